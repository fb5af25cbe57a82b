"""The live warehouse file and its candidates: write beside it, test there, swap with one rename.

- One writer at a time holds `<warehouse>.lock` with `flock`. The kernel releases it when the process ends,
  however it ends (SIGKILL included), so a dead writer never blocks the next one.
- A batch copies the live file to `<warehouse>.candidate` and writes only there; so does dbt, whose profile
  names that file. The live file is never opened for writing: readers of it are never blocked and never see
  half a batch. One fixed name (there is one writer at a time) keeps dbt's profile, and so its partial parsing,
  the same from run to run.
- `promote` checkpoints the candidate and renames it over the live file (atomic on POSIX). A candidate left by
  a killed writer is deleted by the next one, after it has stopped that writer's dbt process if it still runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import DBT_PROJECT_DIR

logger = logging.getLogger(__name__)

BATCH_LOG_DDL = """
create table if not exists raw.batch_log (
    batch_id varchar primary key,
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


class WarehouseBusy(RuntimeError):
    """Another live process holds the warehouse's writer lock."""


@dataclass(frozen=True)
class WarehouseState:
    """What the live file holds: its last promoted batch and the dbt project it was built with."""

    batch_id: str | None
    dbt_fingerprint: str | None


def dbt_fingerprint() -> str:
    """A hash of the dbt project's files: when it changes, every model is rebuilt (not only those downstream)."""
    digest = hashlib.sha256()
    files = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_state(warehouse: Path) -> WarehouseState:
    if not warehouse.exists():
        return WarehouseState(None, None)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        exists = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'batch_log'"
        ).fetchone()[0]
        if not exists:
            return WarehouseState(None, None)
        row = conn.execute(
            "select batch_id, dbt_fingerprint from raw.batch_log order by promoted_at desc limit 1"
        ).fetchone()
    return WarehouseState(*row) if row else WarehouseState(None, None)


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


def _dbt_pid_file(warehouse: Path) -> Path:
    return warehouse.with_name(f"{warehouse.name}.dbt-pid")


def record_dbt_process(warehouse: Path, pid: int) -> None:
    """Remember the dbt process writing the candidate, so that the next writer can stop it if we die."""
    _dbt_pid_file(warehouse).write_text(str(pid), encoding="utf-8")


def forget_dbt_process(warehouse: Path) -> None:
    """The recorded dbt process has ended."""
    _dbt_pid_file(warehouse).unlink(missing_ok=True)


def _stop_orphaned_dbt(warehouse: Path) -> str | None:
    """A dbt process of a writer that was killed may still write the candidate: stop it (SIGKILL)."""
    pid_file = _dbt_pid_file(warehouse)
    try:
        pid = int(pid_file.read_text(encoding="utf-8"))
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return None
    pid_file.unlink(missing_ok=True)
    if b"dbt" not in command:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return f"stopped dbt (PID {pid}) left running by a writer that died"


def remove_stale_candidate(warehouse: Path) -> list[str]:
    """Clear what a writer that died left behind. Call only while holding the lock."""
    done = [note] if (note := _stop_orphaned_dbt(warehouse)) else []
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


def promote(candidate: Path, warehouse: Path) -> None:
    """Make the tested candidate the live warehouse: checkpoint it, then one rename."""
    with duckdb.connect(str(candidate)) as conn:
        conn.execute("checkpoint")
    wal = candidate.with_name(candidate.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{candidate} still has a write-ahead log after a checkpoint; not promoting it")
    wal.unlink(missing_ok=True)
    os.replace(candidate, warehouse)
