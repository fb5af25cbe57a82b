"""Parsed files between landing and the warehouse: Parquet per table plus a status, by partition and hash.

`staged/<kind>/<partition>/<sha256>/` holds one delivered file version: `status.json` (parse and validation
outcome) and one Parquet file per raw table. The raw-loading step reads only versions whose status passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration.settings import staged_dir


@dataclass(frozen=True)
class StagedVersion:
    kind: str
    partition_key: str
    sha256: str

    @property
    def folder(self) -> Path:
        return staged_dir() / self.kind / self.partition_key / self.sha256

    def write_tables(self, tables: dict[str, pd.DataFrame]) -> None:
        """Write each table as Parquet through DuckDB's built-in writer (no pyarrow needed)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as conn:
            for name, frame in tables.items():
                conn.register("frame", _text_where_empty(frame))
                conn.execute(f"copy frame to '{self.folder / name}.parquet' (format parquet)")
                conn.unregister("frame")

    def read_tables(self) -> dict[str, pd.DataFrame]:
        return read_staged_tables(self.folder)

    def write_status(self, status: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "status.json").write_text(json.dumps(status, indent=2, default=str), encoding="utf-8")

    def status(self) -> dict[str, Any]:
        path = self.folder / "status.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _text_where_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of Python objects with no value at all (an optional text no row of this file has) stay text.

    DuckDB cannot infer a type from nothing: 1.5 registers such a column as INTEGER, and pandas then refuses to
    fill it with a string (`Invalid value 'US-CA-ORANGE' for dtype 'Int32'`); 2.x gave it a NULL type instead.
    """
    empty = [c for c in frame.columns if frame[c].dtype == object and frame[c].isna().all()]
    return frame.astype(dict.fromkeys(empty, "string")) if empty else frame


def read_staged_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The tables of one staged version folder, by raw table name."""
    with duckdb.connect() as conn:
        return {
            path.stem: conn.execute("select * from read_parquet(?)", [str(path)]).df()
            for path in sorted(folder.glob("*.parquet"))
        }


def latest_passed_versions(kind: str, exclude_partition: str | None = None) -> list[StagedVersion]:
    """The newest version that passed validation, for every partition of a kind (for cross-release rules)."""
    versions = []
    root = staged_dir() / kind
    for partition in sorted(p for p in root.glob("*") if p.is_dir() and p.name != exclude_partition):
        passed = [v for v in partition.glob("*/status.json") if json.loads(v.read_text()).get("passed")]
        if passed:
            newest = max(passed, key=lambda p: p.stat().st_mtime)
            versions.append(StagedVersion(kind, partition.name, newest.parent.name))
    return versions
