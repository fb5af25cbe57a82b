"""Writing parsed rows into DuckDB's `raw` schema: whole tables swapped in one transaction, every load logged."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.ingest.raw_schema import LOAD_LOG_DDL, RAW_TABLES


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    sha256: str
    row_count: int


def replace_raw_tables(
    conn: duckdb.DuckDBPyConnection,
    frames: Mapping[str, pd.DataFrame],
    files: Sequence[LoadedFile],
    run_id: str,
) -> None:
    """Replace each `raw.<table>` with its frame and log the files, all or nothing.

    Readers of the file see either the previous tables or the new ones, never a half-loaded state; if any
    insert fails (a type the DDL refuses), the transaction rolls back and the previous tables stay.
    """
    conn.execute("create schema if not exists raw")
    conn.execute(LOAD_LOG_DDL)
    conn.execute("begin transaction")
    try:
        for table, frame in frames.items():
            columns = RAW_TABLES[table]
            ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            conn.execute(f"create or replace table raw.{table} ({ddl})")
            selected = frame[list(columns)]  # noqa: F841 - read by DuckDB's replacement scan
            conn.execute(f"insert into raw.{table} by name select * from selected")
        for loaded in files:
            conn.execute(
                "insert into raw.load_log values (?, ?, ?, ?, ?, now(), ?)",
                [str(uuid.uuid4()), ", ".join(frames), str(loaded.path), loaded.sha256, loaded.row_count, run_id],
            )
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
