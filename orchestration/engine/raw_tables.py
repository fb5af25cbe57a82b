"""The warehouse's `raw` schema: its tables, the load log, the batch log, and writing file versions into it.

Raw tables keep every version of every file: a corrected release adds rows beside the earlier ones, and the
dbt models pick the latest by `loaded_at`. Each version gets its own `loaded_at` (the batch's start plus its
position), so two versions of one file in one batch still have an order. A retraction deletes a version's rows
and logs it as `retracted`. `raw.load_log` lives in the same file as the rows, so "loaded" and the rows move
together; `raw.batch_log` records every promoted batch. Written only into a candidate, never the live file.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from orchestration.engine.dbt_files import dbt_fingerprint
from orchestration.engine.versions import FileVersion
from orchestration.engine.warehouse import Warehouse

if TYPE_CHECKING:
    import pandas as pd

# Every raw row names the file version it came from and when that version was loaded.
_PROVENANCE = {
    "source_file": "varchar not null",
    "file_sha256": "varchar not null",
    "loaded_at": "timestamp with time zone not null",
}
# Hotline rows carry the provenance record shipped beside their file.
_DATASET = {
    "dataset_id": "varchar not null",
    "dataset_title": "varchar not null",
    "dataset_publisher": "varchar not null",
    "dataset_source_url": "varchar",
    "dataset_document_type": "varchar not null",
    "dataset_reliability": "varchar",
    "dataset_obtained_from": "varchar not null",
    "dataset_notes": "varchar",
    # Optional: what a table deliberately leaves out (no every-state rule then), and why a correction is large.
    "dataset_partial_scope": "varchar",
    "dataset_correction_note": "varchar",
}

# One published figure with its provenance: the same columns in release files and the hotline's compiled figures.
_FIGURE = {
    "metric": "varchar not null",
    "base_population": "varchar",
    "breakdown_dimension": "varchar not null",
    "breakdown_category": "varchar not null",
    "value": "double",
    "value_text": "varchar not null",
    "suppressed_below": "integer",
    "unit": "varchar not null",
    "qualifier": "varchar not null",
    "source_url": "varchar not null",
    "quote": "varchar",
    "reliability": "varchar not null",
    "note": "varchar",
}

RAW_TABLES: dict[str, dict[str, str]] = {
    "report_releases": {
        "release_id": "varchar not null",
        "publisher": "varchar not null",
        "publisher_code": "varchar not null",
        "title": "varchar not null",
        "document_type": "varchar not null",
        "jurisdiction_id": "varchar not null",
        "release_date": "date",
        "release_date_note": "varchar",
        "release_year": "integer",
        "period_start": "date not null",
        "period_end": "date not null",
        "document_url": "varchar",
        "document_url_note": "varchar",
        "notes": "varchar",
        # What the figures cover (seeds/code_lists.csv, list scope); task_force unless the release says otherwise.
        "scope": "varchar",
        "correction_note": "varchar",
        **_PROVENANCE,
    },
    "report_figures": {
        "release_id": "varchar not null",
        "figure_index": "integer not null",
        # Set where one release covers many jurisdictions (UNODC: one per country); else the release's.
        "jurisdiction_id": "varchar",
        "period_start": "date not null",
        "period_end": "date not null",
        **_FIGURE,
        **_PROVENANCE,
    },
    "hotline_state_calls_cases": {
        "source_line": "integer not null",
        "Year_Date": "integer not null",
        "Calls": "integer not null",
        "Cases_Reported": "integer not null",
        "State": "varchar not null",
        "postal": "varchar not null",
        **_DATASET,
        **_PROVENANCE,
    },
    # The current state layout ("Signals and cases by State in <year>"): period from the provenance record,
    # postal code from the state's name (NULL where unknown), shares of the national totals as published.
    "hotline_state_signals_cases": {
        "source_line": "integer not null",
        "State": "varchar not null",
        "signals_received": "integer not null",
        "signals_percent_of_total": "double not null",
        "cases_identified": "integer not null",
        "cases_percent_of_total": "double not null",
        "postal": "varchar",
        "period_start": "date not null",
        "period_end": "date not null",
        **_DATASET,
        **_PROVENANCE,
    },
    "hotline_national_signals_fy": {
        "source_line": "integer not null",
        "fiscal_year": "integer not null",
        "total_signals": "integer not null",
        "substantive_signals": "integer",
        "signals_from_potential_victims": "integer not null",
        "potential_situations_identified": "integer not null",
        **_DATASET,
        **_PROVENANCE,
    },
    "hotline_published_figures": {
        "source_line": "integer not null",
        "figure_id": "varchar not null",
        "jurisdiction": "varchar not null",
        "period_start": "date not null",
        "period_end": "date not null",
        "scope": "varchar not null",
        **_FIGURE,
        **_DATASET,
        **_PROVENANCE,
    },
}

BATCH_LOG_DDL = """
create table if not exists raw.batch_log (
    batch_id varchar not null,
    run_id varchar not null,
    started_at timestamp with time zone not null,
    promoted_at timestamp with time zone not null,
    dbt_fingerprint varchar not null,
    dbt_selection varchar not null,
    accepted json not null,
    quarantined json not null,
    retracted json not null
)
"""

LOAD_LOG_DDL = """
create table if not exists raw.load_log (
    load_id varchar not null,
    source_kind varchar not null,
    partition_key varchar not null,
    raw_tables varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    row_count integer not null,
    outcome varchar not null,
    loaded_at timestamp with time zone not null,
    run_id varchar not null
)
"""


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
    """Append one file version's rows, from its parsed frames, to its raw tables and log the load, all or nothing."""
    ensure_raw_schema(conn)

    def insert(table: str, columns: str) -> int:
        conn.register("incoming", frames[table])
        try:
            sql = f"insert into raw.{table} by name select {columns}, ?::timestamptz as loaded_at from incoming"
            return _inserted(conn, sql, [loaded_at])
        finally:
            conn.unregister("incoming")

    _append(conn, version, list(frames), insert, run_id, loaded_at)


def append_staged_version(
    conn: duckdb.DuckDBPyConnection,
    version: FileVersion,
    files: Mapping[str, Path],
    run_id: str,
    loaded_at: dt.datetime,
) -> None:
    """Append one staged file version's rows to its raw tables and log the load, all or nothing. DuckDB reads
    its Parquet files (`files`, by raw table) itself: no pandas frame in between. The raw schema must exist."""

    def insert(table: str, columns: str) -> int:
        sql = f"insert into raw.{table} by name select {columns}, ?::timestamptz as loaded_at from read_parquet(?)"
        return _inserted(conn, sql, [loaded_at, str(files[table])])

    _append(conn, version, list(files), insert, run_id, loaded_at)


def _append(
    conn: duckdb.DuckDBPyConnection,
    version: FileVersion,
    tables: list[str],
    insert: Callable[[str, str], int],
    run_id: str,
    loaded_at: dt.datetime,
) -> None:
    """`insert(table, columns)` each table's rows (the columns a file provides: all but `loaded_at`) and log the
    load, in one transaction."""
    conn.execute("begin transaction")
    try:
        rows = 0
        for table in tables:
            rows += insert(table, ", ".join(f'"{c}"' for c in RAW_TABLES[table] if c != "loaded_at"))
        _log(conn, version, tables, rows, "loaded", loaded_at, run_id)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def _inserted(conn: duckdb.DuckDBPyConnection, sql: str, parameters: list[object]) -> int:
    """Run an insert; the number of rows it inserted."""
    row = conn.execute(sql, parameters).fetchone()
    return int(row[0]) if row else 0


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


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
    )


@dataclass(frozen=True)
class WarehouseState:
    """What the live file holds: its last promoted batch and the dbt project it was built with."""

    batch_id: str | None
    dbt_fingerprint: str | None


def read_state(warehouse: Warehouse) -> WarehouseState:
    """The last promoted batch of a warehouse file (the live one, or a candidate), if any."""
    with warehouse.read_live() as conn:
        if conn is None or not table_exists(conn, "raw", "batch_log"):
            return WarehouseState(None, None)
        row = conn.execute(
            "select batch_id, dbt_fingerprint from raw.batch_log order by promoted_at desc limit 1"
        ).fetchone()
    return WarehouseState(*row) if row else WarehouseState(None, None)


def record_batch(
    conn: duckdb.DuckDBPyConnection,
    batch_id: str,
    run_id: str,
    started_at: dt.datetime,
    selection: str,
    accepted: list[str],
    quarantined: list[str],
    retracted: list[str],
) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(BATCH_LOG_DDL)
    conn.execute(
        "insert into raw.batch_log values (?, ?, ?, now(), ?, ?, ?::json, ?::json, ?::json)",
        [
            batch_id,
            run_id,
            started_at,
            dbt_fingerprint(),
            selection,
            json.dumps(accepted),
            json.dumps(quarantined),
            json.dumps(retracted),
        ],
    )
