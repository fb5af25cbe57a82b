"""Unit-test fixtures: a private data directory per test, and small file versions staged from shipped sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.engine.staged import StagedVersion
from orchestration.engine.versions import FileVersion
from orchestration.parsers.files import sha256_of
from orchestration.parsers.kinds import SOURCE_KINDS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FISCAL = PROJECT_ROOT / "sources/hotline_national_signals_fy/national_signals_fy2013_2024.csv"
KIND = "hotline_national_signals_fy"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every path the engine derives from the settings points into this test's own folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("HT_DATA_DIR", str(folder))
    monkeypatch.setenv("HT_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
    monkeypatch.setenv("HT_LANDING_DIR", str(folder / "landing"))
    folder.mkdir(parents=True)
    return folder


def stage_copy(landing: Path, name: str, edit: str | None = None) -> FileVersion:
    """A copy of the shipped fiscal-year table landed as `<name>.csv` (optionally with one edit), parsed and staged
    as the landing step would: a real file version whose rows can be loaded."""
    folder = landing / KIND
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.csv"
    text = FISCAL.read_text(encoding="utf-8")
    target.write_text(text + edit if edit else text, encoding="utf-8")
    provenance = FISCAL.with_name(FISCAL.name.split(".")[0] + ".provenance.yaml")
    target.with_name(f"{name}.provenance.yaml").write_text(provenance.read_text(encoding="utf-8"), encoding="utf-8")
    version = FileVersion(KIND, name, str(target), sha256_of(target))
    StagedVersion(KIND, name, version.sha256).write_tables(SOURCE_KINDS[KIND].parse(target))
    return version
