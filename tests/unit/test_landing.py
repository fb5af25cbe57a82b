"""Landing one file: the kind's expectations, and the duplicate-delivery check against the ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from orchestration.engine import references
from orchestration.engine.batch import Batch
from orchestration.engine.land import DUPLICATE_CHECK, land, land_all
from orchestration.engine.staged import read_staged_tables
from orchestration.engine.versions import FileVersion
from orchestration.engine.warehouse import Warehouse
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.quality import plausibility
from orchestration.quality.validate import References, validate
from tests.unit.conftest import FISCAL, KIND, stage_copy


def test_a_shipped_table_passes_every_error_level_expectation_on_its_own() -> None:
    tables = SOURCE_KINDS[KIND].parse(FISCAL)
    outcomes = validate(KIND, tables, References()).outcomes
    assert outcomes and all(o.success for o in outcomes if o.severity == "error")


def test_a_hundredfold_figure_is_refused_naming_its_line_field_and_the_year_before() -> None:
    tables = SOURCE_KINDS[KIND].parse(FISCAL)
    frame = tables[KIND]
    frame.loc[frame["fiscal_year"] == 2016, "total_signals"] = 5482300
    failed = [o for o in validate(KIND, tables, References()).outcomes if not o.success]
    jump = next(o for o in failed if o.name == "no_tenfold_jump")
    assert jump.severity == "error"
    assert jump.examples[0]["row"] == "line 5 (FY2016), total_signals = 5,482,300 vs 36,916 for FY2015"


def test_the_same_bytes_under_another_name_are_refused_at_landing_naming_the_earlier_file(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    original = stage_copy(data_dir / "landing", "national_signals")
    batch = Batch("batch", "run", warehouse, accepted=[original])
    batch.prepare()
    batch.promote("all", [original])
    copy = stage_copy(data_dir / "landing", "national_signals_again")
    landing = land(copy, warehouse)
    assert not landing.passed and landing.parse_error is None
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert landing.first_problem == f"{DUPLICATE_CHECK}: the same bytes as national_signals.csv, loaded {today}"
    assert (data_dir / "quarantine" / KIND / "national_signals_again" / copy.sha256 / "report.json").exists()


def test_a_file_that_does_not_parse_is_refused_by_the_parse_check_alone(data_dir: Path) -> None:
    folder = data_dir / "landing" / KIND
    folder.mkdir(parents=True)
    bad = folder / "broken.csv"
    bad.write_text("fiscal_year;total_signals\n2013;1\n", encoding="utf-8")

    landing = land(FileVersion(KIND, "broken", str(bad), ""), Warehouse(data_dir / "warehouse.duckdb"))
    assert landing.outcomes == [] and landing.parse_error is not None
    assert landing.first_problem.startswith(f"{bad}, line 1 (header): the header has one column: wrong delimiter?")


def test_a_file_the_parser_crashes_on_is_refused_naming_it_and_the_batch_goes_on(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fine = _fiscal_file(data_dir / "landing", "fine", keep=(2013, 2014, 2015))
    crashing_file = data_dir / "landing" / KIND / "crashing.csv"
    crashing_file.write_text("fiscal_year,total_signals\n", encoding="utf-8")
    crashing = FileVersion(KIND, "crashing", str(crashing_file), "")
    parse = SOURCE_KINDS[KIND].parse

    def parse_with_a_bug(path: Path) -> dict[str, pd.DataFrame]:
        if path.name == "crashing.csv":
            return {KIND: int("twenty")}  # a ValueError that is not a SourceFileError, as a parser bug would raise
        return parse(path)

    monkeypatch.setitem(SOURCE_KINDS, KIND, dataclasses.replace(SOURCE_KINDS[KIND], parse=parse_with_a_bug))
    refused, accepted = land_all([crashing, fine], Warehouse(data_dir / "warehouse.duckdb"))
    assert refused.first_problem == (
        f"{crashing.path}: the parser failed on this file with ValueError: invalid literal for int() with base 10: "
        "'twenty' (expected a file the parser can read: a parser bug, report it with this file (kept in quarantine))"
    )
    assert not refused.passed and (refused.stored_in / "crashing.csv").is_file()
    assert accepted.passed


def _fiscal_file(landing: Path, name: str, keep: tuple[int, ...], scale: int = 1) -> FileVersion:
    """The shipped fiscal-year table cut to the years `keep`, its signal counts multiplied by `scale`."""
    header, *rows = FISCAL.read_text(encoding="utf-8").splitlines()
    kept = [row.split(",") for row in rows if int(row.split(",")[0]) in keep]
    lines = [header, *(",".join([year, str(int(total) * scale), *rest]) for year, total, *rest in kept)]
    target = landing / KIND / f"{name}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    provenance = FISCAL.with_name(FISCAL.name.split(".")[0] + ".provenance.yaml")
    target.with_name(f"{name}.provenance.yaml").write_text(provenance.read_text(encoding="utf-8"), encoding="utf-8")
    return FileVersion(KIND, name, str(target), "")


def test_files_landed_together_are_judged_as_if_landed_one_by_one(data_dir: Path) -> None:
    """FY2013-2016, then FY2017 at a hundred times its signals (a jump: refused), then FY2018: compared with the
    refused file it would jump too, so it is validated again against the files that passed, as landed alone."""
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    early = _fiscal_file(data_dir / "landing", "early", (2013, 2014, 2015, 2016))
    jumped = _fiscal_file(data_dir / "landing", "jumped", (2017,), scale=100)
    late = _fiscal_file(data_dir / "landing", "late", (2018,))
    landings = list(land_all([early, jumped, late], warehouse))
    assert [landing.passed for landing in landings] == [True, False, True]
    assert landings[1].first_problem.startswith("no_tenfold_jump: ")
    assert "in early" in landings[1].first_problem
    assert (data_dir / "quarantine" / KIND / "jumped").is_dir()
    assert not (data_dir / "quarantine" / KIND / "late").exists()


def test_the_same_files_landed_one_by_one_get_the_same_verdicts(data_dir: Path) -> None:
    """The same three files landed one at a time: the third is judged against the first alone, as together."""
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    files = [
        _fiscal_file(data_dir / "landing", "early", (2013, 2014, 2015, 2016)),
        _fiscal_file(data_dir / "landing", "jumped", (2017,), scale=100),
        _fiscal_file(data_dir / "landing", "late", (2018,)),
    ]
    assert [land(version, warehouse).passed for version in files] == [True, False, True]


def test_each_file_of_a_batch_has_its_measures_computed_once(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file's plausibility measures serve its own validation and every later file compared with it: computed
    once as it is staged, from the tables it was parsed into (its staged copy is not read back for them), even
    when a later file is validated again after a refusal."""
    computed: list[int] = []
    read_back: list[Path] = []
    measures = plausibility.measures

    def counted(kind: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        computed.append(len(next(iter(tables.values()))))
        return measures(kind, tables)

    def read(folder: Path) -> dict[str, pd.DataFrame]:
        read_back.append(folder)
        return read_staged_tables(folder)

    monkeypatch.setattr(plausibility, "measures", counted)
    monkeypatch.setattr(references, "_tables", read)
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    files = [
        _fiscal_file(data_dir / "landing", "early", (2013, 2014, 2015, 2016)),
        _fiscal_file(data_dir / "landing", "jumped", (2017,), scale=100),
        _fiscal_file(data_dir / "landing", "late", (2018,)),
    ]
    landings = list(land_all(files, warehouse))
    assert [landing.passed for landing in landings] == [True, False, True]
    assert "line 2 (FY2017), total_signals = 6,893,800 vs 54,823 for FY2016 in early" in landings[1].first_problem
    assert computed == [4, 1, 1]
    assert read_back == []
