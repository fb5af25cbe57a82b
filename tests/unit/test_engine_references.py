"""What landing compares a file with, computed from staged versions once and kept beside them for later runs
(`derived/`): read back equal to a fresh computation, and computed again when the kept file is missing, corrupt
or made by another definition."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from orchestration.engine import references, staged
from orchestration.engine.references import previous_headline, staged_measures
from orchestration.engine.staged import StagedVersion, derived_path, read_staged_tables
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.quality import plausibility
from orchestration.settings import SOURCES_DIR
from tests.unit.conftest import KIND, PROJECT_ROOT, stage_copy

RELEASES = PROJECT_ROOT / "sources/report_releases/ochttf"


@pytest.fixture(autouse=True)
def new_process() -> Iterator[None]:
    """Each test starts, and may start again, as a new run worker: nothing computed in memory yet."""
    references.staged_measures.cache_clear()
    references._release_summary.cache_clear()
    yield
    references.staged_measures.cache_clear()
    references._release_summary.cache_clear()


def _staged_folder(data_dir: Path) -> Path:
    version = stage_copy(data_dir / "landing", "national_signals")
    return StagedVersion(KIND, version.partition_key, version.sha256).folder


def _not_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(kind: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        raise AssertionError("the measures were computed again, not read back")

    monkeypatch.setattr(plausibility, "measures", refuse)


def test_measures_are_kept_beside_the_staged_version_and_read_back_equal_in_a_later_process(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _staged_folder(data_dir)
    fresh = plausibility.measures(KIND, read_staged_tables(folder)).reset_index(drop=True)
    kept = derived_path(folder, "measures", "parquet")
    assert not kept.exists()

    assert_frame_equal(staged_measures(KIND, folder), fresh)
    assert kept.parent == folder / "derived" and kept.exists()
    assert set(read_staged_tables(folder)) == {KIND}  # the kept frame is not taken for a raw table

    references.staged_measures.cache_clear()
    _not_computed(monkeypatch)
    read_back = staged_measures(KIND, folder)
    assert_frame_equal(read_back, fresh)
    assert len(read_back) == 48 and read_back["value"].isna().sum() == 5  # FY2013-2024, five figures unpublished


@pytest.mark.parametrize("damage", ["corrupt", "missing", "other columns"])
def test_a_kept_measures_file_that_is_corrupt_or_missing_is_computed_again_and_kept_anew(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    folder = _staged_folder(data_dir)
    fresh = staged_measures(KIND, folder)
    kept = derived_path(folder, "measures", "parquet")
    if damage == "corrupt":
        kept.write_bytes(b"PAR1 cut off by a full disk")
    elif damage == "missing":
        kept.unlink()
    else:
        staged.keep_derived_frame(folder, "measures", fresh.drop(columns="period"))
    references.staged_measures.cache_clear()

    assert_frame_equal(staged_measures(KIND, folder), fresh)
    references.staged_measures.cache_clear()
    _not_computed(monkeypatch)
    assert_frame_equal(staged_measures(KIND, folder), fresh)


def test_measures_kept_by_another_definition_are_not_read_and_are_replaced(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _staged_folder(data_dir)
    fresh = staged_measures(KIND, folder)
    current = derived_path(folder, "measures", "parquet")
    # Values an older definition computed (here: every value 0) are never read, whatever they hold.
    with monkeypatch.context() as older_code:
        older_code.setattr(staged, "definition_fingerprint", lambda: "0" * 16)
        staged.keep_derived_frame(folder, "measures", fresh.assign(value=0.0))
    references.staged_measures.cache_clear()

    assert_frame_equal(staged_measures(KIND, folder), fresh)
    assert sorted(p.name for p in (folder / "derived").iterdir()) == [current.name]


def _stage_release(name: str) -> pd.Series:
    tables = SOURCE_KINDS["report_releases"].parse(RELEASES / f"{name}.yaml")
    version = StagedVersion("report_releases", name, "0" * 64)
    version.write_tables(tables)
    version.write_status({"passed": True})
    return tables["report_releases"].iloc[0]


def test_the_previous_release_headline_is_kept_and_read_back_without_reading_the_release(data_dir: Path) -> None:
    _stage_release("ochttf-2015")
    release_2016 = SOURCE_KINDS["report_releases"].parse(RELEASES / "ochttf-2016.yaml")["report_releases"].iloc[0]
    assert previous_headline(release_2016, "ochttf-2016") == 145.0

    folder = StagedVersion("report_releases", "ochttf-2015", "0" * 64).folder
    for table in folder.glob("*.parquet"):
        table.unlink()
    references._release_summary.cache_clear()
    assert previous_headline(release_2016, "ochttf-2016") == 145.0


@pytest.mark.usefixtures("data_dir")
def test_a_files_measures_from_its_staged_copy_equal_those_of_its_parsed_tables() -> None:
    """Landing keeps a file's measures from the tables it was parsed into (engine/land.py), and the files compared
    with it later read them as its staged version's: for every shipped file the two are equal."""
    shipped = [(kind, path) for kind in SOURCE_KINDS for path in sorted((SOURCES_DIR / kind).rglob("*.*"))]
    compared: set[str] = set()
    for kind, path in shipped:
        if path.name.endswith(".provenance.yaml") or path.suffix not in (".yaml", ".csv", ".xlsx"):
            continue
        tables = SOURCE_KINDS[kind].parse(path)
        version = StagedVersion(kind, path.stem, f"sha-of-{path.name}")
        version.write_tables(tables)
        assert_frame_equal(
            staged_measures(kind, version.folder), plausibility.measures(kind, tables).reset_index(drop=True)
        )
        compared.add(kind)
    assert compared == set(SOURCE_KINDS)  # a file of every kind
