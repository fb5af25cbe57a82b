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

This module is the storage seam of the engine: a second backend (a lake whose catalog takes the place of the
file) provides the same lock, candidate, promote and `read_live`.
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


def candidate_path(warehouse: Path) -> Path:
    """Where a batch is written and tested; dbt's profiles.yml names the same file (`<HT_DUCKDB_PATH>.candidate`)."""
    return warehouse.with_name(f"{warehouse.name}.candidate")


def remove_stale_candidate(warehouse: Path) -> list[str]:
    """Clear what a writer that died left behind: its candidate. Call only while holding the lock."""
    done = []
    candidate = candidate_path(warehouse)
    for path in (candidate, candidate.with_name(candidate.name + ".wal")):
        if path.exists():
            path.unlink()
            done.append(f"removed {path.name}")
    return done


def new_candidate(warehouse: Path) -> Path:
    """A fresh copy of the live warehouse (or an empty file on the first build) to write a batch into."""
    candidate = candidate_path(warehouse)
    discard(candidate)
    if warehouse.exists():
        shutil.copyfile(warehouse, candidate)
    return candidate


def discard(candidate: Path) -> None:
    for path in (candidate, candidate.with_name(candidate.name + ".wal")):
        path.unlink(missing_ok=True)


def promote(candidate: Path, warehouse: Path) -> None:
    """Make the tested candidate the live warehouse: checkpoint it, then one rename."""
    with duckdb.connect(str(candidate)) as conn:
        conn.execute("checkpoint")
    wal = candidate.with_name(candidate.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{candidate} still has a write-ahead log after a checkpoint; not promoting it")
    wal.unlink(missing_ok=True)
    os.replace(candidate, warehouse)
