"""Landing one file: the kind's expectations, and the duplicate-delivery check against the ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from orchestration.engine.batch import Batch
from orchestration.engine.land import DUPLICATE_CHECK, land
from orchestration.engine.versions import FileVersion
from orchestration.engine.warehouse import Warehouse
from orchestration.parsers.kinds import SOURCE_KINDS
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
