"""What a file is compared with: the other files of its kind, national figures, the version it replaces.

- Other files: the newest version of every other file name that passed its landing checks (staged Parquet),
  including files landed earlier in the same batch.
- The version a file replaces: the version of the same file name that is live in the warehouse (the live
  `raw.load_log`, read-only), read back from its staged Parquet.
Staged versions never change (their folders are named by sha256), so each is read once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.ingest.staging import StagedVersion, latest_passed_versions, read_staged_tables
from orchestration.quality import plausibility
from orchestration.settings import duckdb_path

# A staged version never changes (its folder is named by its sha256): read once per process.
_tables = functools.cache(read_staged_tables)


@functools.cache
def _measures(kind: str, folder: Path) -> pd.DataFrame:
    return plausibility.measures(kind, _tables(folder))


def staged_tables(version: StagedVersion) -> dict[str, pd.DataFrame]:
    return _tables(version.folder)


def other_files_measures(kind: str, partition_key: str) -> pd.DataFrame:
    """The followed numbers of every other file of this kind, each with its file name as `source`."""
    parts = [
        plausibility.trend_measures(kind, _measures(kind, v.folder)).assign(source=v.partition_key)
        for v in latest_passed_versions(kind, exclude_partition=partition_key)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=plausibility.MEASURE_COLUMNS)


def national_figures() -> pd.DataFrame:
    versions = latest_passed_versions("hotline_published_figures")
    tables = [staged_tables(v).get("hotline_published_figures") for v in versions]
    return plausibility.national_figures(t for t in tables if t is not None)


@dataclass(frozen=True)
class LoadedVersion:
    sha256: str
    measures: pd.DataFrame


def loaded_version(kind: str, partition_key: str, warehouse: Path | None = None) -> LoadedVersion | None:
    """The version of this file name that is live in the warehouse, if any (and still staged)."""
    warehouse = warehouse or duckdb_path()
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        if not conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'load_log'"
        ).fetchone()[0]:
            return None
        row = conn.execute(
            "select arg_max(file_sha256, loaded_at) from ("
            "  select file_sha256, max(loaded_at) as loaded_at, arg_max(outcome, loaded_at) as last_outcome"
            "  from raw.load_log where source_kind = ? and partition_key = ? and outcome in ('loaded', 'retracted')"
            "  group by file_sha256"
            ") where last_outcome = 'loaded'",
            [kind, partition_key],
        ).fetchone()
    if not row or row[0] is None:
        return None
    version = StagedVersion(kind, partition_key, row[0])
    if not version.folder.exists():
        return None
    return LoadedVersion(row[0], _measures(kind, version.folder))
