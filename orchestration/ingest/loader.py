"""Writing a validated file version into DuckDB's `raw` schema: appended in one transaction, logged.

Raw tables keep every version of every file: a corrected release adds rows beside the earlier ones, and the
dbt models pick the latest. Loading bytes that were loaded before changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from orchestration.ingest.raw_schema import LOAD_LOG_DDL, RAW_TABLES


@dataclass(frozen=True)
class FileVersion:
    kind: str
    partition_key: str
    path: str
    sha256: str


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(LOAD_LOG_DDL)
    existing: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for table, columns in RAW_TABLES.items():
        if table not in existing:
            ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            conn.execute(f"create table raw.{table} ({ddl})")
            continue
        # A warehouse built before a column was added gets it (nullable: older rows have no value).
        for name, kind in columns.items():
            if name not in existing[table]:
                conn.execute(f'alter table raw.{table} add column "{name}" {kind.replace(" not null", "")}')


def append_file_version(
    conn: duckdb.DuckDBPyConnection, version: FileVersion, frames: Mapping[str, pd.DataFrame], run_id: str
) -> bool:
    """Append one file version's rows to its raw tables, all or nothing; False if it was loaded before.

    Readers see the raw tables either without or with the whole file, never part of it; if an insert fails
    (a value the column types refuse), the transaction rolls back and nothing already loaded changes.
    """
    ensure_raw_schema(conn)
    conn.execute("begin transaction")
    try:
        seen = conn.execute(
            "select count(*) from raw.load_log where source_kind = ? and partition_key = ? and file_sha256 = ?"
            " and outcome = 'loaded'",
            [version.kind, version.partition_key, version.sha256],
        ).fetchone()[0]
        rows = sum(len(frame) for frame in frames.values())
        if not seen:
            for table, frame in frames.items():
                columns = [c for c in RAW_TABLES[table] if c != "loaded_at"]
                incoming = frame[columns]  # noqa: F841 - read by DuckDB's replacement scan
                conn.execute(f"insert into raw.{table} by name select *, now() as loaded_at from incoming")
        conn.execute(
            "insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
            [
                str(uuid.uuid4()),
                version.kind,
                version.partition_key,
                ", ".join(frames),
                version.path,
                version.sha256,
                rows,
                "already_loaded" if seen else "loaded",
                run_id,
            ],
        )
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return not seen
