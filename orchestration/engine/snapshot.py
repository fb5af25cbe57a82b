"""The published snapshot: a read-only copy of the BI-facing schemas that BI tools open instead of the warehouse.

A snapshot is built beside the live one and swapped in with one atomic rename, so a reader opens either the
previous snapshot or the new one, never half of one, and never waits for a build: the warehouse file (one
writer at a time) is only read here, and readers never touch it.

Layout under the publish directory (`HT_PUBLISH_DIR`, default `<data dir>/published`):

    current -> snapshots/<snapshot_id>     symlink, replaced atomically on every publish
    snapshots/<snapshot_id>/warehouse.duckdb   the snapshot (DuckDB storage readable by DuckDB 1.4 and later)
    snapshots/<snapshot_id>/parquet/<schema>.<table>.parquet
    snapshots/<snapshot_id>/manifest.json  what was published: source versions, git revision, checks, row counts
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from orchestration.engine.warehouse import Warehouse, create_view_sql
from orchestration.settings import PROJECT_ROOT

# BI tools embed their own DuckDB: the PyPI duckdb-cli is 1.5, many drivers 1.4. DuckDB 2.x writes a storage
# format 1.x cannot read; v1.4.0 is the newest format every DuckDB since 1.4 opens.
SNAPSHOT_STORAGE_VERSION = "v1.4.0"
SNAPSHOT_FILE = "warehouse.duckdb"
CURRENT_LINK = "current"
# The charts of a snapshot, in its folder: drawn elsewhere and renamed into place once all are drawn.
CHARTS_FOLDER = "charts"
# Tables copied from the warehouse; the bi schema's views are re-created over them.
TABLE_SCHEMAS = ("marts", "audit")
VIEW_SCHEMAS = ("bi",)


@dataclass
class Publication:
    """What one publish wrote; saved as the snapshot's manifest.json and as audit.publication inside it."""

    snapshot_id: str
    published_at: str
    git_revision: str
    storage_version: str
    source_versions: list[dict[str, Any]]
    check_summary: dict[str, int]
    row_counts: dict[str, int] = field(default_factory=dict)
    # The live warehouse's last promoted batch (raw.batch_log): a snapshot is current when this matches.
    batch_id: str | None = None
    parquet_files: dict[str, str] = field(default_factory=dict)
    # On the lake profile: the DuckLake snapshot this copy was exported from (the one BI readers attach).
    lake_snapshot: int | None = None
    # The newest check record (Dagster's asset check execution id) its check results had read: the next publish
    # reads only the records after it (defs/publish.py).
    check_records_read_to: int | None = None


def git_revision(root: Path = PROJECT_ROOT) -> str:
    """The commit the code ran from (with `-dirty` if changed), or `unknown` outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() or "unknown"


def new_snapshot_id(now: dt.datetime | None = None) -> str:
    """Sortable and unique enough for one writer: UTC time to the microsecond."""
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def _relations(conn: duckdb.DuckDBPyConnection, schemas: Sequence[str], kind: str) -> list[tuple[str, str, str]]:
    """(schema, name, sql) of the warehouse's tables or views in the given schemas."""
    placeholders = ", ".join("?" for _ in schemas)
    if kind == "table":
        sql = f"select schema_name, table_name, sql from duckdb_tables() where database_name = 'warehouse' and schema_name in ({placeholders}) order by all"  # noqa: E501
    else:
        sql = f"select schema_name, view_name, sql from duckdb_views() where database_name = 'warehouse' and schema_name in ({placeholders}) and not internal order by all"  # noqa: E501
    return conn.execute(sql, list(schemas)).fetchall()


def _copy_into(conn: duckdb.DuckDBPyConnection, publication: Publication) -> None:
    """Copy the tables and re-create the views inside the attached `snapshot`."""
    for schema in (*TABLE_SCHEMAS, *VIEW_SCHEMAS):
        conn.execute(f"create schema snapshot.{schema}")
    for schema, name, _ in _relations(conn, TABLE_SCHEMAS, "table"):
        conn.execute(f"create table snapshot.{schema}.{name} as select * from warehouse.{schema}.{name}")
    # dbt writes the bi views with catalog-free references (macro local_ref): their SQL works in the snapshot.
    conn.execute("use snapshot")
    for schema, name, view_sql in _relations(conn, VIEW_SCHEMAS, "view"):
        conn.execute(create_view_sql(schema, name, view_sql))
    conn.execute("use memory")


def _record_publication(conn: duckdb.DuckDBPyConnection, publication: Publication) -> None:
    """audit.publication: one row saying what this snapshot is; readers can check their totals against it."""
    conn.execute(
        "create table snapshot.audit.publication as select * from (values "
        "(?, ?::timestamptz, ?, ?, ?::json, ?::json, ?::json)) as t(snapshot_id, published_at, git_revision, "
        "storage_version, source_versions, check_summary, row_counts)",
        [
            publication.snapshot_id,
            publication.published_at,
            publication.git_revision,
            publication.storage_version,
            json.dumps(publication.source_versions),
            json.dumps(publication.check_summary),
            json.dumps(publication.row_counts),
        ],
    )


def _snapshot_relations(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute(
        "select schema_name || '.' || table_name from duckdb_tables() where database_name = 'snapshot' "
        "union all select schema_name || '.' || view_name from duckdb_views() "
        "where database_name = 'snapshot' and not internal order by 1"
    ).fetchall()
    return [relation for (relation,) in rows]


def _count_rows(conn: duckdb.DuckDBPyConnection, publication: Publication) -> None:
    for relation in _snapshot_relations(conn):
        publication.row_counts[relation] = conn.execute(f"select count(*) from snapshot.{relation}").fetchone()[0]


def _live_relations(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """`<schema>.<name>` of the warehouse's tables and views that a snapshot copies."""
    tables, views = _relations(conn, TABLE_SCHEMAS, "table"), _relations(conn, VIEW_SCHEMAS, "view")
    return [f"{schema}.{name}" for schema, name, _ in [*tables, *views]]


def _export_parquet(
    conn: duckdb.DuckDBPyConnection, catalog: str, relations: Sequence[str], folder: Path, publication: Publication
) -> None:
    """The relations of `catalog` as `<schema>.<name>.parquet`, for tools that read Parquet."""
    for relation in relations:
        target = folder / f"{relation}.parquet"
        conn.execute(f"copy {catalog}.{relation} to '{target}' (format parquet)")
        publication.parquet_files[relation] = str(target.relative_to(folder.parent))


def _swap_current(publish_dir: Path, snapshot_id: str) -> None:
    """Point `current` at the new snapshot with one rename (atomic on POSIX): readers see old or new, not both."""
    temporary = publish_dir / f".{CURRENT_LINK}-{snapshot_id}"
    temporary.symlink_to(Path("snapshots") / snapshot_id, target_is_directory=True)
    os.replace(temporary, publish_dir / CURRENT_LINK)


def current_publication(publish_dir: Path) -> dict[str, Any] | None:
    """The manifest of the snapshot `current` points at, or None before the first publish."""
    try:
        return json.loads((publish_dir / CURRENT_LINK / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def charts_drawn(publish_dir: Path) -> bool:
    """Whether the snapshot `current` points at has its charts (a build stopped while drawing them leaves none)."""
    return (publish_dir / CURRENT_LINK / CHARTS_FOLDER).is_dir()


def published_check_results(publish_dir: Path) -> tuple[list[dict[str, Any]], int | None]:
    """The check results of the snapshot `current` points at, and the newest check record they had read; no rows
    and None before the first publish or when that snapshot cannot be read."""
    folder = (publish_dir / CURRENT_LINK).resolve()  # once: a publish may swap `current` meanwhile
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], None
    read_to = manifest.get("check_records_read_to")
    if read_to is None:
        return [], None
    try:
        with duckdb.connect(str(folder / SNAPSHOT_FILE), read_only=True) as conn:
            cursor = conn.execute(f"select {', '.join(CHECK_RESULT_COLUMNS)} from audit.check_results")
            rows = [dict(zip(CHECK_RESULT_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:  # in the session's time zone: back to UTC, as the rows read from Dagster
            row["evaluated_at"] = row["evaluated_at"].astimezone(dt.UTC) if row["evaluated_at"] else None
    except (OSError, duckdb.Error):
        return [], None
    return rows, int(read_to)


def _prune(snapshots_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` snapshots. Readers holding an old file keep reading it (POSIX unlink)."""
    published = sorted(p for p in snapshots_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    removed = published[:-keep] if keep > 0 else []
    for folder in removed:
        shutil.rmtree(folder)
    return [folder.name for folder in removed]


def publish_snapshot(
    warehouse: Warehouse,
    publish_dir: Path,
    source_versions: list[dict[str, Any]],
    check_summary: dict[str, int],
    check_results: list[dict[str, Any]],
    keep: int,
    batch_id: str | None = None,
    check_records_read_to: int | None = None,
) -> tuple[Publication, list[str]]:
    """Write a new snapshot beside the live one, export Parquet, swap it in and prune old ones.

    Returns the publication and the ids of the snapshots pruned. Nothing a reader can open changes until the
    final rename; a failure before it leaves only a `.building-*` folder, removed here.
    """
    snapshots_dir = publish_dir / "snapshots"
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    publication = Publication(
        snapshot_id=new_snapshot_id(),
        published_at=dt.datetime.now(dt.UTC).isoformat(),
        git_revision=git_revision(),
        storage_version=SNAPSHOT_STORAGE_VERSION,
        source_versions=source_versions,
        check_summary=check_summary,
        batch_id=batch_id,
        check_records_read_to=check_records_read_to,
    )
    building = snapshots_dir / f".building-{publication.snapshot_id}"
    building.mkdir()
    try:
        with duckdb.connect() as conn:
            publication.lake_snapshot = warehouse.attach_live(conn, "warehouse")
            conn.execute(
                f"attach '{building / SNAPSHOT_FILE}' as snapshot (storage_version '{SNAPSHOT_STORAGE_VERSION}')"
            )
            parquet, copied = building / "parquet", _live_relations(conn)
            parquet.mkdir()
            # Every relation the snapshot copies is also written as Parquet, from the same attached warehouse,
            # while it is being copied: a second connection, the other core.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet") as pool:
                exported = pool.submit(_export_parquet, conn.cursor(), "warehouse", copied, parquet, publication)
                _copy_into(conn, publication)
                _write_check_results(conn, check_results)
                _count_rows(conn, publication)
                _record_publication(conn, publication)
                exported.result()
            only_here = [relation for relation in _snapshot_relations(conn) if relation not in copied]
            _export_parquet(conn, "snapshot", only_here, parquet, publication)
            publication.parquet_files = dict(sorted(publication.parquet_files.items()))
            conn.execute("detach snapshot")
        (building / "manifest.json").write_text(json.dumps(asdict(publication), indent=2) + "\n", encoding="utf-8")
        final = snapshots_dir / publication.snapshot_id
        os.replace(building, final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _swap_current(publish_dir, publication.snapshot_id)
    return publication, _prune(snapshots_dir, keep)


CHECK_RESULT_COLUMNS = {
    "asset_key": "varchar",
    "check_name": "varchar",
    "partition_key": "varchar",
    "run_id": "varchar",
    "status": "varchar",
    "passed": "boolean",
    "severity": "varchar",
    "description": "varchar",
    "evaluated_at": "timestamptz",
}


def _write_check_results(conn: duckdb.DuckDBPyConnection, results: list[dict[str, Any]]) -> None:
    """audit.check_results: the latest result of every asset check (per file for the landing checks)."""
    columns = ", ".join(f"{name} {kind}" for name, kind in CHECK_RESULT_COLUMNS.items())
    conn.execute(f"create table snapshot.audit.check_results ({columns})")
    if results:  # from a DataFrame in one statement: executemany took about 1 s for 500 rows
        import pandas as pd

        frame = pd.DataFrame(
            [[row[name] for name in CHECK_RESULT_COLUMNS] for row in results], columns=[*CHECK_RESULT_COLUMNS]
        )
        conn.register("check_results_frame", frame)
        casts = ", ".join(f"{name}::{kind}" for name, kind in CHECK_RESULT_COLUMNS.items())
        conn.execute(f"insert into snapshot.audit.check_results select {casts} from check_results_frame")
        conn.unregister("check_results_frame")
