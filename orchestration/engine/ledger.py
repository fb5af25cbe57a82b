"""What has been processed: the ledger that decides which landed bytes are new. No Dagster here.

A file version is `(kind, partition key, sha256)`. It is processed once it is either
- accepted: logged as `loaded` in the live warehouse's `raw.load_log` (and not retracted since), which moves
  together with the data in one rename, so a crash can never leave "loaded" and the rows out of step; or
- refused: `quarantine/<kind>/<key>/<sha256>/report.json` exists (landing checks, a dbt test, or a retraction).
Anything else landed is pending, whatever happened to earlier runs: a killed run leaves its files pending.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestration.engine.raw_tables import table_exists
from orchestration.engine.versions import (
    FileVersion,
    LandedFile,
    list_files,
    misplaced_files,
    unsafe_name_problem,
    unsupported_files,
)
from orchestration.engine.warehouse import Warehouse
from orchestration.parsers.files import sha256_of
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.settings import data_dir, quarantine_dir

# A file modified within this many seconds may still be being copied in: it waits for the next look, unless the
# landing folders' notifications showed its writer closing it (engine/watch.py).
SETTLE_SECONDS = 1.0
# A file closed by its writer is taken once nothing more was heard of it for this long: the notification of a write
# that reopened it may still be on its way, and file times run a few milliseconds behind the clock.
CLOSE_QUIET_SECONDS = 0.05


class HashCache:
    """sha256 per (path, size, mtime): a look at 10,000 landed files reads only the ones that changed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "state" / "file_hashes.json"
        try:
            self._entries: dict[str, list] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._entries = {}
        self._dirty = False

    def sha256(self, file: LandedFile) -> str:
        stamp = [file.size, file.mtime]
        entry = self._entries.get(str(file.path))
        if entry and entry[:2] == stamp:
            return entry[2]
        sha = sha256_of(file.path)
        self._entries[str(file.path)] = [*stamp, sha]
        self._dirty = True
        return sha

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(self._entries), encoding="utf-8")
        partial.replace(self.path)
        self._dirty = False


@dataclass(frozen=True)
class AcceptedVersion:
    """A file version live in the warehouse: its last outcome in `raw.load_log` is `loaded`."""

    version: FileVersion
    loaded_at: dt.datetime


# The one question asked of the load log: which versions are live. A version is live when its latest outcome
# is `loaded` (a retraction logs `retracted` after it).
_LIVE_VERSIONS = """
select source_kind, partition_key, file_sha256, arg_max(file_path, loaded_at), max(loaded_at)
from raw.load_log
where outcome in ('loaded', 'retracted')
group by source_kind, partition_key, file_sha256
having arg_max(outcome, loaded_at) = 'loaded'
order by 5
"""


def live_versions(warehouse: Warehouse) -> list[AcceptedVersion]:
    """Every version loaded into the live warehouse and not retracted since, oldest load first."""
    with warehouse.read_live() as conn:
        if conn is None or not table_exists(conn, "raw", "load_log"):
            return []
        rows = conn.execute(_LIVE_VERSIONS).fetchall()
    return [AcceptedVersion(FileVersion(kind, key, path, sha), at) for kind, key, sha, path, at in rows]


def accepted_versions(warehouse: Warehouse) -> set[tuple[str, str, str]]:
    """(kind, key, sha256) of every version loaded into the live warehouse and not retracted since."""
    return {accepted.version.key for accepted in live_versions(warehouse)}


def live_version_of(warehouse: Warehouse, kind: str, partition_key: str) -> AcceptedVersion | None:
    """The version of one file name that is live (the latest loaded), if any."""
    same = [a for a in live_versions(warehouse) if (a.version.kind, a.version.partition_key) == (kind, partition_key)]
    return same[-1] if same else None


def same_bytes_elsewhere(warehouse: Warehouse, version: FileVersion) -> AcceptedVersion | None:
    """A live version of another file name of the same kind with exactly these bytes: a duplicate delivery."""
    return next(
        (
            a
            for a in live_versions(warehouse)
            if a.version.kind == version.kind
            and a.version.sha256 == version.sha256
            and a.version.partition_key != version.partition_key
        ),
        None,
    )


def refused_versions(kinds: Iterable[str] = SOURCE_KINDS) -> set[tuple[str, str, str]]:
    """(kind, key, sha256) of every version in quarantine (refused, failed a dbt test, or retracted)."""
    refused = set()
    for kind in kinds:
        for report in (quarantine_dir() / kind).glob("*/*/report.json"):
            refused.add((kind, report.parent.parent.name, report.parent.name))
    return refused


@dataclass
class Discovery:
    pending: list[FileVersion]
    processed: int
    unsettled: int
    skipped: list[str]
    # Seconds until the youngest unsettled file is old enough to take (0 when none is unsettled).
    settles_in: float = 0.0


def discover(
    roots: list[Path],
    warehouse: Warehouse,
    limit: int | None = None,
    settle: float = SETTLE_SECONDS,
    closed_at: Callable[[Path], float | None] | None = None,
) -> Discovery:
    """Every landed file version not processed yet, oldest first (a correction after its original).

    A file modified within `settle` seconds waits, unless `closed_at` (the landing watch's) says its writer closed it
    after its last modification, at least CLOSE_QUIET_SECONDS ago.
    """
    cache = HashCache()
    done = accepted_versions(warehouse) | refused_versions() | warehouse.refused_versions()
    now = time.time()
    seen: set[tuple[str, str, str]] = set()
    pending: list[FileVersion] = []
    skipped: list[str] = list(misplaced_files(roots))
    processed = unsettled = 0
    settles_in = 0.0
    for kind in SOURCE_KINDS:
        for path in unsupported_files(roots, kind):
            skipped.append(f"{path}: not a file type {kind}/ takes (expected {', '.join(SOURCE_KINDS[kind].suffixes)})")
        for file in list_files(roots, kind):
            if problem := unsafe_name_problem(file.path.name):
                skipped.append(f"{file.path}: {problem}; rename it to <key>.<extension>")
                continue
            closed = _closed_since_modified(file, closed_at)
            if closed is not None and now - closed < CLOSE_QUIET_SECONDS:
                unsettled += 1
                settles_in = max(settles_in, CLOSE_QUIET_SECONDS - (now - closed))
                continue
            if closed is None and now - file.mtime < settle:
                unsettled += 1
                if file.mtime <= now:  # a modification time in the future (clock skew) settles when the clock does
                    settles_in = max(settles_in, settle - (now - file.mtime))
                continue
            version = FileVersion(kind, file.partition_key, str(file.path), cache.sha256(file), file.mtime)
            if version.key in done or version.key in seen:
                processed += 1
                continue
            seen.add(version.key)
            pending.append(version)
    cache.save()
    pending.sort(key=lambda v: (v.mtime, v.path))
    return Discovery(pending[:limit] if limit else pending, processed, unsettled, skipped, settles_in)


def _closed_since_modified(file: LandedFile, closed_at: Callable[[Path], float | None] | None) -> float | None:
    """When the file's writer was seen closing it, if that was after its last modification (its bytes are then
    complete); else None."""
    closed = closed_at(file.path) if closed_at else None
    return closed if closed is not None and closed >= file.mtime else None


def find_accepted(warehouse: Warehouse, file_or_sha: str) -> list[FileVersion]:
    """Accepted versions matching a file path (its latest accepted version) or a sha256 (or a prefix of 8+)."""
    versions = [accepted.version for accepted in live_versions(warehouse)]
    if _looks_like_sha(file_or_sha):
        return [v for v in versions if v.sha256.startswith(file_or_sha.lower())]
    target = Path(file_or_sha).resolve()
    same_file = [v for v in versions if v.path == str(target) or Path(v.path).name == target.name]
    return same_file[-1:]


def _looks_like_sha(text: str) -> bool:
    return len(text) >= 8 and all(c in "0123456789abcdef" for c in text.lower())
