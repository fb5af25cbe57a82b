"""The warehouse on DuckLake: the same write-audit-publish as the file, published into a lake many hosts share.

The lake profile (`HT_LAKE_CATALOG` set) keeps the file profile's candidate: a batch is loaded into a local
DuckDB file and dbt builds and tests it there. What changes is where the tested state goes and who may write:

- **Writer exclusion across hosts**: a session-level PostgreSQL advisory lock on the catalog's server. The server
  frees it when the holder's connection drops (a SIGKILLed process, a dead host once TCP keepalive gives up), so a
  dead writer never blocks the next. Before it publishes, the writer checks that its lock connection is still the
  holder (PostgreSQL restarted mid-batch: the run fails and publishes nothing).
- **Publish is one DuckLake commit**: the tables and views the batch changed (compared with the local working
  copy of the last published state) are replaced in the lake, and a row naming the batch goes into the pointer
  table `ht_ledger.published`, in the same transaction. Readers never see half a batch, and a batch that failed
  its tests never reaches the lake at all: nothing to revert, no branches needed. The pointer row then gets the
  snapshot id of that commit (a writer that died in between leaves it NULL; the next writer fills it in).
- **BI readers** attach the lake `READ_ONLY, SNAPSHOT_VERSION <published>`: a pinned, whole, audited state. This
  project never expires snapshots; whoever does must keep the ones named in `ht_ledger.published`.
- **The ledger lives in the lake**: `raw.load_log` and `raw.batch_log` are lake tables like the data, and every
  refused version is recorded in `ht_ledger.refused` the moment it is refused, so a second host skips what the
  first refused. Quarantined files and reports stay in the data dir (point it at a shared path to share them).
- **A second host** (or a wiped data dir) pulls the published state into its working copy before its first batch:
  `<working copy>.lake-snapshot` names the snapshot the working copy equals.

Why not run dbt on the lake itself: DuckLake has no branches, so a failed build would have to be reverted table
by table, and dbt-duckdb on DuckLake needs one thread (dbt-duckdb #748, ducklake #1404) and fails on concurrent
CREATE OR REPLACE (ducklake #1248). Building in a local candidate keeps dbt as fast as on the file profile.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.engine.extensions import connection_config, extension_directory, install_extensions
from orchestration.engine.raw_tables import read_state
from orchestration.engine.warehouse import Warehouse, WarehouseBusy, create_view_sql
from orchestration.settings import default_lake_data_path, redacted

logger = logging.getLogger(__name__)

LAKE_ALIAS = "lake"
# Ours, beside the warehouse's schemas: the pointer to the published snapshot and the refused versions.
LEDGER_SCHEMA = "ht_ledger"
# The key of the writer's advisory lock in the catalog's database (any fixed 64-bit number unique to this use).
WRITER_LOCK_KEY = int.from_bytes(hashlib.sha256(b"ht-warehouse writer").digest()[:8], "big", signed=True)
COMMIT_AUTHOR = "ht-warehouse"
POINTER_DDL = f"""
create table if not exists {LAKE_ALIAS}.{LEDGER_SCHEMA}.published (
    batch_id varchar not null,
    published_at timestamp with time zone not null,
    lake_snapshot bigint
)
"""
REFUSED_DDL = f"""
create table if not exists {LAKE_ALIAS}.{LEDGER_SCHEMA}.refused (
    source_kind varchar not null,
    partition_key varchar not null,
    file_sha256 varchar not null,
    file_path varchar not null,
    refused_by varchar,
    first_problem varchar,
    host varchar not null,
    refused_at timestamp with time zone not null
)
"""
# Schemas DuckDB makes by itself: never part of what a batch publishes.
_BUILT_IN_SCHEMAS = ("main", "information_schema", "pg_catalog", LEDGER_SCHEMA)
# DuckLake's words when an attach finds no lake in the catalog yet (read-write without a data path, read-only).
_NOT_CREATED = ("data_path is not set", "creating a new DuckLake is explicitly disabled")


class LakeUnavailable(RuntimeError):
    """The lake's catalog (PostgreSQL) or data path could not be reached."""


@functools.cache
def _extensions_ready() -> Path:
    return install_extensions()


def attach(
    conn: duckdb.DuckDBPyConnection,
    catalog: str,
    data_path: str | None,
    *,
    alias: str = LAKE_ALIAS,
    read_only: bool = False,
    snapshot: int | None = None,
    s3: dict[str, str] | None = None,
) -> None:
    """Attach the lake to `conn` as `alias`: read-write at its head, or read-only (pinned to `snapshot`).

    `data_path` None: the path the catalog records (a new lake is created in `default_lake_data_path()`).
    """
    conn.execute(f"set extension_directory = '{_extensions_ready()}'")
    if s3:  # a data path on S3 (set here, or recorded by the catalog)
        options = ", ".join(f"{name} '{value}'" for name, value in s3.items())
        conn.execute(f"create or replace secret ht_lake_s3 (type s3, {options})")
    options = [f"data_path '{data_path}'"] if data_path else []
    if read_only:
        options.append("read_only")
    if snapshot is not None:
        options.append(f"snapshot_version {int(snapshot)}")
    quoted = catalog.replace("'", "''")
    statement = f"attach 'ducklake:postgres:{quoted}' as {alias}" + (f" ({', '.join(options)})" if options else "")
    try:
        try:
            conn.execute(statement)
        except duckdb.InvalidInputException as error:
            if not any(words in str(error) for words in _NOT_CREATED):
                raise
            # No lake in this catalog yet: create it (empty), then attach as asked.
            new_path = data_path or default_lake_data_path()
            conn.execute(f"attach 'ducklake:postgres:{quoted}' as ht_new_lake (data_path '{new_path}')")
            conn.execute("detach ht_new_lake")
            conn.execute(statement)
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        raise LakeUnavailable(
            f"Cannot open the lake (catalog {redacted(catalog)}, data path {data_path or 'as the catalog records'}): "
            f"{first_line}. Check that PostgreSQL is running and HT_LAKE_CATALOG names its database (the password "
            "comes from PGPASSWORD or ~/.pgpass), and that HT_LAKE_DATA_PATH (when set) is the lake's data path "
            "and reachable from this host."
        ) from error


@dataclass(frozen=True)
class Relation:
    """A table or view of the warehouse, with what tells whether it changed: its DDL and a digest of its rows."""

    schema: str
    name: str
    kind: str  # "table" or "view"
    sql: str

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.name}"'


def relations(conn: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], Relation]:
    """Every table and view of the warehouse's own schemas in `database`."""
    placeholders = ", ".join("?" for _ in _BUILT_IN_SCHEMAS)
    rows = conn.execute(
        f"select schema_name, table_name, 'table', sql from duckdb_tables() where database_name = ? "
        f"and schema_name not in ({placeholders}) union all "
        f"select schema_name, view_name, 'view', sql from duckdb_views() where database_name = ? and not internal "
        f"and schema_name not in ({placeholders})",
        [database, *_BUILT_IN_SCHEMAS, database, *_BUILT_IN_SCHEMAS],
    ).fetchall()
    return {(schema, name): Relation(schema, name, kind, sql) for schema, name, kind, sql in rows}


def _lake_columns(conn: duckdb.DuckDBPyConnection, database: str, relation: Relation) -> str:
    """A table's columns as DuckLake holds them: names, types and NOT NULL. DuckLake refuses UNIQUE, PRIMARY KEY
    and CHECK constraints; the dbt build enforced the contract's in the candidate before anything is copied."""
    rows = conn.execute(
        "select column_name, data_type, is_nullable from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, relation.schema, relation.name],
    ).fetchall()
    return ", ".join(f'"{name}" {data_type}{"" if nullable else " not null"}' for name, data_type, nullable in rows)


def _digest(conn: duckdb.DuckDBPyConnection, database: str, relation: Relation) -> tuple[Any, ...]:
    if relation.kind == "view":
        return (relation.sql,)
    count, total = conn.execute(
        f"select count(*), sum(hash(t)::hugeint) from {database}.{relation.qualified} as t"
    ).fetchone()
    return (_lake_columns(conn, database, relation), count, total)


def changed_relations(
    conn: duckdb.DuckDBPyConnection, source: str, base: str | None
) -> tuple[list[Relation], list[Relation]]:
    """What `source` holds that `base` does not (new or changed), and what `base` holds that `source` dropped."""
    new = relations(conn, source)
    old = relations(conn, base) if base else {}
    changed = [
        relation
        for key, relation in sorted(new.items())
        if key not in old
        or old[key].kind != relation.kind
        or _digest(conn, source, relation) != _digest(conn, base or "", old[key])
    ]
    dropped = [relation for key, relation in sorted(old.items()) if key not in new]
    return changed, dropped


def copy_relations(
    conn: duckdb.DuckDBPyConnection, source: str, target: str, changed: list[Relation], dropped: list[Relation]
) -> None:
    """Replace `changed` (columns with their NOT NULL constraints, then rows) and drop `dropped` in `target`.

    Views are written last, with their SQL as the source holds it (names without a catalog: they resolve in the
    database that holds them). Runs inside the caller's transaction.
    """
    existing = relations(conn, target)

    def drop(relation: Relation) -> None:
        there = existing.get((relation.schema, relation.name))
        if there is not None:  # DuckDB's `drop view` refuses a table of that name, so drop what is there
            conn.execute(f"drop {there.kind} {target}.{there.qualified}")

    for relation in dropped:
        drop(relation)
    for schema in sorted({relation.schema for relation in changed}):
        conn.execute(f'create schema if not exists {target}."{schema}"')
    conn.execute(f"use {target}")
    views = _dependency_order([r for r in changed if r.kind == "view"])
    # Views first out (a view may read a table about to be replaced), then tables in, then views in.
    for relation in reversed(views):
        drop(relation)
    for relation in [r for r in changed if r.kind == "table"]:
        drop(relation)
        conn.execute(f"create table {relation.qualified} ({_lake_columns(conn, source, relation)})")
        conn.execute(f"insert into {target}.{relation.qualified} select * from {source}.{relation.qualified}")
    for relation in views:
        conn.execute(create_view_sql(relation.schema, relation.name, relation.sql))


def _dependency_order(views: list[Relation]) -> list[Relation]:
    """Views after the views they read (DuckDB binds a view when it is created): staging before intermediate."""
    pattern = {v: re.compile(rf"\b{re.escape(v.schema)}\.{re.escape(v.name)}\b") for v in views}
    ordered: list[Relation] = []
    pending = list(views)
    while pending:
        ready = [v for v in pending if not any(o is not v and pattern[o].search(v.sql) for o in pending)]
        if not ready:  # a cycle cannot be created in DuckDB; keep going in name order rather than loop forever
            ready = pending[:1]
        ordered += ready
        pending = [v for v in pending if v not in ready]
    return ordered


def published_snapshot(conn: duckdb.DuckDBPyConnection, alias: str = LAKE_ALIAS) -> int | None:
    """The snapshot id the pointer table names as published (None before the first publish)."""
    if not _has_table(conn, "published", alias):
        return None
    return conn.execute(f"select max(lake_snapshot) from {alias}.{LEDGER_SCHEMA}.published").fetchone()[0]


def _name_unnamed_publications(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Fill in the snapshot id of publications whose writer died between its commit and naming it."""
    if not _has_table(conn, "published"):
        return []
    unnamed = conn.execute(
        f"select batch_id from {LAKE_ALIAS}.{LEDGER_SCHEMA}.published where lake_snapshot is null"
    ).fetchall()
    done = []
    for (batch_id,) in unnamed:
        snapshot = _commit_of(conn, batch_id)
        conn.execute(
            f"update {LAKE_ALIAS}.{LEDGER_SCHEMA}.published set lake_snapshot = ? where batch_id = ?",
            [snapshot, batch_id],
        )
        done.append(f"named the lake snapshot {snapshot} of batch {batch_id}")
    return done


def _commit_message(batch_id: str) -> str:
    return f"publish batch {batch_id}"


def _commit_of(conn: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    return conn.execute(
        f"select max(snapshot_id) from ducklake_snapshots('{LAKE_ALIAS}') where author = ? and commit_message = ?",
        [COMMIT_AUTHOR, _commit_message(batch_id)],
    ).fetchone()[0]


class _LakeReader:
    """One in-memory DuckDB per process and lake: the lake's head attached read-only (each new query sees the
    latest commit) and the published snapshot attached pinned until the pointer moves. Looking at the lake then
    costs a query, not an attach (about 0.3 s each). Queries go through cursors, so threads may share it."""

    # Pinned snapshots kept attached: a reader in another thread may still be using the previous one.
    KEEP_PINNED = 3

    def __init__(self, catalog: str, data_path: str | None, s3: dict[str, str]) -> None:
        self.catalog, self.data_path, self.s3 = catalog, data_path, s3
        self.conn = duckdb.connect(config=connection_config(extension_directory()))
        attach(self.conn, catalog, data_path, alias=_HEAD_ALIAS, read_only=True, s3=s3)
        self.pinned: list[int] = []
        self.lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.conn.cursor()

    def published(self) -> int | None:
        return published_snapshot(self.cursor(), _HEAD_ALIAS)

    def pinned_cursor(self, snapshot: int) -> duckdb.DuckDBPyConnection:
        """A cursor whose default catalog is the lake pinned at `snapshot`."""
        alias = f"published_{int(snapshot)}"
        with self.lock:
            if snapshot not in self.pinned:
                attach(
                    self.conn, self.catalog, self.data_path, alias=alias, read_only=True, snapshot=snapshot, s3=self.s3
                )
                self.pinned.append(snapshot)
                while len(self.pinned) > self.KEEP_PINNED:
                    self.conn.execute(f"detach published_{self.pinned.pop(0)}")
        cursor = self.cursor()
        cursor.execute(f"use {alias}")
        return cursor


_HEAD_ALIAS = "lake_head"
_READERS: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], _LakeReader] = {}
_READERS_LOCK = threading.Lock()


class LakeWarehouse(Warehouse):
    """The warehouse published into DuckLake; `path` is this host's working copy of the published state."""

    def __init__(
        self, path: Path, catalog: str, data_path: str | None = None, s3: dict[str, str] | None = None
    ) -> None:
        super().__init__(path)
        self.catalog = catalog
        self.data_path = data_path
        self.s3 = s3 or {}
        self._lock_connection: Any = None

    def __str__(self) -> str:
        data = self.data_path or "as its catalog records"
        return f"DuckLake {redacted(self.catalog)} (data {data}; working copy {self.path})"

    @property
    def synced_marker(self) -> Path:
        """Names the lake snapshot the working copy equals; absent: the working copy must be pulled again."""
        return self.path.with_name(self.path.name + ".lake-snapshot")

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False, snapshot: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory DuckDB with the lake attached as `lake`."""
        with duckdb.connect(config=connection_config(extension_directory())) as conn:
            attach(conn, self.catalog, self.data_path, read_only=read_only, snapshot=snapshot, s3=self.s3)
            yield conn

    def _reader(self) -> _LakeReader:
        key = (self.catalog, self.data_path, tuple(sorted(self.s3.items())))
        with _READERS_LOCK:
            if key not in _READERS:
                _READERS[key] = _LakeReader(self.catalog, self.data_path, self.s3)
            return _READERS[key]

    def _forget_reader(self) -> None:
        """Drop this process's reader (its PostgreSQL connection may be gone): the next look opens a new one."""
        with _READERS_LOCK:
            _READERS.pop((self.catalog, self.data_path, tuple(sorted(self.s3.items()))), None)

    def _read(self, read: Callable[[_LakeReader], Any]) -> Any:
        """`read` on this process's reader, once more on a new one if the first failed (a restarted server)."""
        try:
            return read(self._reader())
        except duckdb.Error as error:
            logger.info("Reopening the lake after: %s", str(error).splitlines()[0] if str(error) else error)
            self._forget_reader()
            return read(self._reader())

    def published(self) -> int | None:
        """The published snapshot id, read from the pointer table at the lake's head."""
        return self._read(lambda reader: reader.published())

    @contextlib.contextmanager
    def read_live(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """The published state, pinned to its snapshot, as the connection's default catalog."""

        def pinned(reader: _LakeReader) -> duckdb.DuckDBPyConnection | None:
            snapshot = reader.published()
            return None if snapshot is None else reader.pinned_cursor(snapshot)

        cursor = self._read(pinned)
        try:
            yield cursor
        finally:
            if cursor is not None:
                cursor.close()

    def attach_live(self, conn: duckdb.DuckDBPyConnection, alias: str) -> int | None:
        snapshot = self.published()
        attach(conn, self.catalog, self.data_path, alias=alias, read_only=True, snapshot=snapshot, s3=self.s3)
        return snapshot

    @contextlib.contextmanager
    def writer_lock(
        self, owner: str, timeout: float | None = None, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """PostgreSQL's session-level advisory lock, held by one connection for as long as the batch runs."""
        import psycopg2

        holder = f"ht-warehouse writer: {owner} (PID {os.getpid()} on {socket.gethostname()})"
        try:
            lock = psycopg2.connect(
                self.catalog,
                application_name=holder[:63],
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
                connect_timeout=10,
            )
        except psycopg2.Error as error:
            raise LakeUnavailable(
                f"Cannot take the writer lock in the lake's catalog {redacted(self.catalog)}: {str(error).strip()}"
            ) from error
        lock.autocommit = True
        started, told = time.monotonic(), False
        try:
            with lock.cursor() as cursor:
                while True:
                    cursor.execute("select pg_try_advisory_lock(%s)", [WRITER_LOCK_KEY])
                    if cursor.fetchone()[0]:
                        break
                    who = self._lock_holder(cursor)
                    if timeout is not None and time.monotonic() - started > timeout:
                        raise WarehouseBusy(f"The lake is being written by {who}; waited {timeout:.0f}s")
                    if not told and on_wait:
                        on_wait(f"Waiting for {who} to finish writing the lake")
                        told = True
                    time.sleep(0.5)
            self._lock_connection = lock
            yield
        finally:
            self._lock_connection = None
            lock.close()  # ends the session: PostgreSQL releases the lock

    @staticmethod
    def _lock_holder(cursor: Any) -> str:
        cursor.execute(
            "select a.application_name, a.client_addr from pg_locks l join pg_stat_activity a on a.pid = l.pid "
            "where l.locktype = 'advisory' and l.granted and l.objid = (%s::bigint & 4294967295)::oid",
            [WRITER_LOCK_KEY],
        )
        row = cursor.fetchone()
        return f"{row[0] or 'another session'} ({row[1] or 'local'})" if row else "another writer"

    def _still_holding_lock(self) -> None:
        """Fail before publishing if the lock's session is gone (PostgreSQL restarted, connection dropped)."""
        import psycopg2

        try:
            with self._lock_connection.cursor() as cursor:
                cursor.execute(
                    "select count(*) from pg_locks where locktype = 'advisory' and granted and pid = pg_backend_pid()"
                )
                held = cursor.fetchone()[0] > 0
        except (AttributeError, psycopg2.Error) as error:
            raise LakeUnavailable(
                "Lost the lake's writer lock (its PostgreSQL session ended: was the server restarted?). "
                "Not publishing this batch; the lake stays at its last published snapshot and the next run redoes it."
            ) from error
        if not held:
            raise LakeUnavailable("The lake's writer lock is no longer held by this session: not publishing")

    def clear_stale(self) -> list[str]:
        done = super().clear_stale()
        with self.connect() as conn:
            done += _name_unnamed_publications(conn)
        return done

    def new_candidate(self) -> Path:
        """The working copy, brought to the published snapshot when it is not there, copied to a candidate."""
        self._sync_working_copy()
        return super().new_candidate()

    def _sync_working_copy(self) -> None:
        snapshot = self.published()
        synced = self.synced_marker.read_text().strip() if self.synced_marker.exists() else None
        wanted = str(snapshot) if snapshot is not None else "empty"
        if synced == wanted and (snapshot is None or self.path.exists()):
            return
        self.synced_marker.unlink(missing_ok=True)
        self.discard(self.path)
        if snapshot is not None:
            pulled = self.path.with_name(self.path.name + ".pulling")
            self.discard(pulled)
            with self.connect(read_only=True, snapshot=snapshot) as conn:
                conn.execute(f"attach '{pulled}' as working_copy")
                conn.execute("begin")
                copy_relations(conn, LAKE_ALIAS, "working_copy", list(relations(conn, LAKE_ALIAS).values()), [])
                conn.execute("commit")
                conn.execute("use memory")
                conn.execute("detach working_copy")
            os.replace(pulled, self.path)
            logger.info("Pulled lake snapshot %s into the working copy %s", snapshot, self.path)
        self.synced_marker.write_text(wanted + "\n")

    def promote(self, candidate: Path) -> None:
        """Publish what the candidate changed into the lake in one commit, with its pointer row; then make the
        candidate the working copy."""
        batch_id = _candidate_batch(candidate)
        self._still_holding_lock()
        with self.connect() as conn:
            conn.execute(f"attach '{candidate}' as candidate (read_only)")
            base = None
            if self.path.exists():
                conn.execute(f"attach '{self.path}' as working_copy (read_only)")
                base = "working_copy"
            changed, dropped = changed_relations(conn, "candidate", base)
            conn.execute("begin")
            conn.execute(f"call {LAKE_ALIAS}.set_commit_message(?, ?)", [COMMIT_AUTHOR, _commit_message(batch_id)])
            conn.execute(f"create schema if not exists {LAKE_ALIAS}.{LEDGER_SCHEMA}")
            conn.execute(POINTER_DDL)
            copy_relations(conn, "candidate", LAKE_ALIAS, changed, dropped)
            conn.execute(f"insert into {LAKE_ALIAS}.{LEDGER_SCHEMA}.published values (?, now(), null)", [batch_id])
            conn.execute("commit")
            conn.execute("use memory")
            logger.info("Published %d changed and %d dropped relations into the lake", len(changed), len(dropped))
            snapshot = _commit_of(conn, batch_id)
            conn.execute(
                f"update {LAKE_ALIAS}.{LEDGER_SCHEMA}.published set lake_snapshot = ? where batch_id = ?",
                [snapshot, batch_id],
            )
        self.synced_marker.unlink(missing_ok=True)
        super().promote(candidate)
        self.synced_marker.write_text(f"{snapshot}\n")

    def refused_versions(self) -> set[tuple[str, str, str]]:
        def refused(reader: _LakeReader) -> set[tuple[str, str, str]]:
            cursor = reader.cursor()
            if not _has_table(cursor, "refused", _HEAD_ALIAS):
                return set()
            rows = cursor.execute(
                f"select source_kind, partition_key, file_sha256 from {_HEAD_ALIAS}.{LEDGER_SCHEMA}.refused"
            ).fetchall()
            return {(kind, key, sha) for kind, key, sha in rows}

        return self._read(refused)

    def record_refusal(self, key: tuple[str, str, str], path: str, report: dict[str, Any]) -> None:
        kind, partition_key, sha256 = key
        with self.connect() as conn:
            conn.execute(f"create schema if not exists {LAKE_ALIAS}.{LEDGER_SCHEMA}")
            conn.execute(REFUSED_DDL)
            conn.execute(
                f"insert into {LAKE_ALIAS}.{LEDGER_SCHEMA}.refused values (?, ?, ?, ?, ?, ?, ?, now())",
                [
                    kind,
                    partition_key,
                    sha256,
                    path,
                    report.get("refused_by"),
                    str(report.get("first_problem") or "")[:2000],
                    socket.gethostname(),
                ],
            )


def _has_table(conn: duckdb.DuckDBPyConnection, name: str, alias: str = LAKE_ALIAS) -> bool:
    """Whether the ledger schema of the lake attached as `alias` has the table `name` yet."""
    return bool(
        conn.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
            [alias, LEDGER_SCHEMA, name],
        ).fetchone()[0]
    )


def _candidate_batch(candidate: Path) -> str:
    """The batch a candidate records as its last (Batch.promote writes it into raw.batch_log first)."""
    batch_id = read_state(Warehouse(candidate)).batch_id
    if batch_id is None:
        raise RuntimeError(f"{candidate} records no batch (raw.batch_log): not publishing it")
    return batch_id
