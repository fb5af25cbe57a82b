"""Writing validated file versions into a warehouse file's `raw` schema (a candidate, never the live file).

Raw tables keep every version of every file: a corrected release adds rows beside the earlier ones, and the
dbt models pick the latest by `loaded_at`. Each version gets its own `loaded_at` (the batch's start plus its
position), so two versions of one file in one batch still have an order. A retraction deletes a version's rows
and logs it as `retracted`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

import duckdb
import pandas as pd

from orchestration.ingest.discovery import FileVersion
from orchestration.ingest.raw_schema import LOAD_LOG_DDL, RAW_TABLES


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


def _log(
    conn: duckdb.DuckDBPyConnection,
    version: FileVersion,
    tables: list[str],
    rows: int,
    outcome: str,
    at: dt.datetime,
    run_id: str,
) -> None:
    conn.execute(
        "insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            str(uuid.uuid4()),
            version.kind,
            version.partition_key,
            ", ".join(tables),
            version.path,
            version.sha256,
            rows,
            outcome,
            at,
            run_id,
        ],
    )


def append_file_version(
    conn: duckdb.DuckDBPyConnection,
    version: FileVersion,
    frames: Mapping[str, pd.DataFrame],
    run_id: str,
    loaded_at: dt.datetime,
) -> None:
    """Append one file version's rows to its raw tables and log the load, all or nothing."""
    ensure_raw_schema(conn)
    conn.execute("begin transaction")
    try:
        for table, frame in frames.items():
            columns = [c for c in RAW_TABLES[table] if c != "loaded_at"]
            incoming = frame[columns]  # noqa: F841 - read by DuckDB's replacement scan
            conn.execute(
                f"insert into raw.{table} by name select *, ?::timestamptz as loaded_at from incoming", [loaded_at]
            )
        _log(conn, version, list(frames), sum(len(f) for f in frames.values()), "loaded", loaded_at, run_id)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def retract_file_version(
    conn: duckdb.DuckDBPyConnection, version: FileVersion, tables: list[str], run_id: str, at: dt.datetime
) -> int:
    """Delete one version's rows from its raw tables and log the retraction; returns the rows deleted."""
    ensure_raw_schema(conn)
    conn.execute("begin transaction")
    try:
        deleted = 0
        for table in tables:
            deleted += len(
                conn.execute(f"delete from raw.{table} where file_sha256 = ? returning 1", [version.sha256]).fetchall()
            )
        _log(conn, version, tables, deleted, "retracted", at, run_id)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return deleted
