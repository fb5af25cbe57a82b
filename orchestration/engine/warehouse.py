"""The live warehouse file and its candidates: write beside it, test there, swap with one rename.

- One writer at a time holds `<warehouse>.lock` with `flock`. The kernel releases it when the process ends,
  however it ends (SIGKILL included), so a dead writer never blocks the next one.
- A batch copies the live file to `<warehouse>.candidate` and writes only there; so does dbt, whose profile
  names that file. The live file is never opened for writing: readers of it are never blocked and never see
  half a batch. One fixed name (there is one writer at a time) keeps dbt's profile, and so its partial parsing,
  the same from run to run.
- `promote` checkpoints the candidate and renames it over the live file (atomic on POSIX). A candidate left by
  a killed writer is deleted by the next one (dbt runs inside the writer's process, so it died with it).
- Everything else reads the live state through `read_live`, read-only.

This module is the storage seam of the engine: `Warehouse` is what the engine calls; `engine/lake.py` is the
second backend (DuckLake, its catalog in PostgreSQL) behind the same methods, and `engine/storage.py` picks one.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

logger = logging.getLogger(__name__)


class WarehouseBusy(RuntimeError):
    """Another live process holds the warehouse's writer lock."""


class WarehouseLocked(RuntimeError):
    """DuckDB refused to open a warehouse file because another process holds it."""


class WarehouseTooNew(RuntimeError):
    """The warehouse file was written by a newer DuckDB (2.x) than the one installed, which cannot read it."""


_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")
# DuckDB's words for a file in a newer storage format than it can read (a data dir built with duckdb 2.x).
_NEWER_STORAGE = re.compile(
    r"read a database file with version number (?P<found>\d+), "
    r"but we can only read versions between (?P<range>\d+ and \d+)"
)


@contextlib.contextmanager
def read_live(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The live warehouse, read-only (None before the first build). DuckDB's lock error names its holder."""
    if not warehouse.exists():
        yield None
        return
    try:
        conn = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:
        raise _explained(warehouse, error) from error
    with conn:
        yield conn


def _explained(warehouse: Path, error: duckdb.IOException) -> Exception:
    """DuckDB's "Could not set lock" or "version number" as an error that names the file and what to do."""
    text = str(error)
    if newer := _NEWER_STORAGE.search(text):
        return WarehouseTooNew(
            f"The DuckDB file {warehouse} was written by a newer DuckDB (storage version {newer['found']}; "
            f"duckdb {duckdb.__version__} reads versions between {newer['range']}), probably a build made before "
            "the project moved to duckdb 1.5.5, and cannot be opened. Fix: rebuild it. Move the old data dir aside "
            "(`mv data data.duckdb2`, or wherever HT_DATA_DIR points; copy back any files you dropped into its "
            "landing/ folder) and run `make build`."
        )
    if "Could not set lock" not in text:
        return error
    match = _HOLDER.search(text)
    holder = f"{match['program']} (PID {match['pid']})" if match else "another process"
    return WarehouseLocked(
        f"The DuckDB file {warehouse} is locked by {holder}. DuckDB allows one writing process per file. "
        "Fix: close that process (a DuckDB client or BI tool holding the file open, another `ht-warehouse build` "
        "or `dg dev`), or open readers with read_only=True. The pipeline itself never writes this file in place: "
        "it writes a candidate copy and swaps it in (orchestration/engine/)."
    )


def _holder(lock_path: Path) -> str:
    try:
        return lock_path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextlib.contextmanager
def writer_lock(
    warehouse: Path, owner: str, timeout: float | None = None, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's single writer lock; wait for it (reporting once who holds it), or time out."""
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+", encoding="utf-8") as handle:
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if timeout is not None and time.monotonic() - started > timeout:
                    raise WarehouseBusy(
                        f"{warehouse} is being written by {_holder(lock_path)}; waited {timeout:.0f}s"
                    ) from None
                if not told and on_wait:
                    on_wait(f"Waiting for {_holder(lock_path)} to finish writing {warehouse.name}")
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{owner} (PID {os.getpid()})\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


class Warehouse:
    """The live warehouse as one local DuckDB file: the embedded profile, and the base every profile builds on.

    The engine reaches storage only through these methods; `engine/lake.py` keeps the same candidate file and
    adds DuckLake behind them (a lock that holds across hosts, publish into the lake, the ledger in its catalog).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def __str__(self) -> str:
        return str(self.path)

    @property
    def candidate_path(self) -> Path:
        """Where a batch is written and tested; dbt's profile names the same file (`<HT_DUCKDB_PATH>.candidate`)."""
        return self.path.with_name(f"{self.path.name}.candidate")

    def read_live(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection | None]:
        """The live state, read-only, as the connection's default catalog (None before the first build)."""
        return read_live(self.path)

    def writer_lock(
        self, owner: str, timeout: float | None = None, on_wait: Callable[[str], None] | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """The single writer's lock: wait for it (reporting once who holds it), or time out with WarehouseBusy."""
        return writer_lock(self.path, owner, timeout, on_wait)

    def clear_stale(self) -> list[str]:
        """Clear what a writer that died left behind. Call only while holding the lock."""
        done = []
        for path in (self.candidate_path, _wal(self.candidate_path)):
            if path.exists():
                path.unlink()
                done.append(f"removed {path.name}")
        return done

    def new_candidate(self) -> Path:
        """A fresh copy of the live warehouse (or an empty file on the first build) to write a batch into."""
        candidate = self.candidate_path
        self.discard(candidate)
        if self.path.exists():
            shutil.copyfile(self.path, candidate)
        return candidate

    def discard(self, candidate: Path) -> None:
        for path in (candidate, _wal(candidate)):
            path.unlink(missing_ok=True)

    def promote(self, candidate: Path) -> None:
        """Make the tested candidate the live warehouse: checkpoint it, then one rename."""
        _checkpoint(candidate)
        os.replace(candidate, self.path)

    def attach_live(self, conn: duckdb.DuckDBPyConnection, alias: str) -> int | None:
        """Attach the live state read-only to `conn` as `alias` (the published snapshot is copied from it); returns
        the lake snapshot it is pinned to, or None for a file."""
        conn.execute(f"attach '{self.path}' as {alias} (read_only)")
        return None

    def refused_versions(self) -> set[tuple[str, str, str]]:
        """(kind, key, sha256) of versions refused elsewhere and recorded with the warehouse; here, none: the
        quarantine folder of this host is the whole record (engine/ledger.py reads it)."""
        return set()

    def record_refusal(self, key: tuple[str, str, str], path: str, report: dict[str, Any]) -> None:
        """Record a refused version with the warehouse (a shared backend tells other hosts); the file backend
        needs nothing beyond the quarantine report."""


_VIEW_HEAD = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+\S+?\s+AS\s+", re.IGNORECASE)


def create_view_sql(schema: str, name: str, sql: str) -> str:
    """`CREATE OR REPLACE VIEW "schema"."name" AS ...` from a view's SQL as duckdb_views() gives it: a DuckDB file
    names the schema there, a DuckLake catalog does not."""
    head = _VIEW_HEAD.match(sql)
    if head is None:
        raise ValueError(f"Not a CREATE VIEW statement for {schema}.{name}: {sql[:80]}")
    return f'CREATE OR REPLACE VIEW "{schema}"."{name}" AS {sql[head.end() :]}'


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _checkpoint(candidate: Path) -> None:
    """Fold the candidate's write-ahead log into it, so that the file alone is the whole state."""
    with duckdb.connect(str(candidate)) as conn:
        conn.execute("checkpoint")
    wal = _wal(candidate)
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{candidate} still has a write-ahead log after a checkpoint; not promoting it")
    wal.unlink(missing_ok=True)
