"""What has been processed: the ledger that decides which landed bytes are new. No Dagster here.

A file version is `(kind, partition key, sha256)`. It is processed once it is either
- accepted: logged as `loaded` in the live warehouse's `raw.load_log` (and not retracted since), which moves
  together with the data in one rename, so a crash can never leave "loaded" and the rows out of step; or
- refused: `quarantine/<kind>/<key>/<sha256>/report.json` exists (landing checks, a dbt test, or a retraction).
Anything else landed is pending, whatever happened to earlier runs: a killed run leaves its files pending.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.ingest.discovery import (
    SOURCE_KINDS,
    FileVersion,
    LandedFile,
    list_files,
    unsafe_name_problem,
    unsupported_files,
)
from orchestration.ingest.files import sha256_of
from orchestration.settings import data_dir, quarantine_dir

# A file modified within this many seconds may still be being copied in: it waits for the next look.
SETTLE_SECONDS = 1.0


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


def accepted_versions(warehouse: Path) -> set[tuple[str, str, str]]:
    """(kind, key, sha256) of every version loaded into the live warehouse and not retracted since."""
    if not warehouse.exists():
        return set()
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        if not conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'load_log'"
        ).fetchone()[0]:
            return set()
        rows = conn.execute(
            "select source_kind, partition_key, file_sha256, arg_max(outcome, loaded_at) from raw.load_log "
            "where outcome in ('loaded', 'retracted') group by all"
        ).fetchall()
    return {(kind, key, sha) for kind, key, sha, last in rows if last == "loaded"}


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


def discover(roots: list[Path], warehouse: Path, limit: int | None = None, settle: float = SETTLE_SECONDS) -> Discovery:
    """Every landed file version not processed yet, oldest first (a correction after its original)."""
    cache = HashCache()
    done = accepted_versions(warehouse) | refused_versions()
    now = time.time()
    seen: set[tuple[str, str, str]] = set()
    pending: list[FileVersion] = []
    skipped: list[str] = []
    processed = unsettled = 0
    for kind in SOURCE_KINDS:
        for path in unsupported_files(roots, kind):
            skipped.append(f"{path}: not a file type {kind}/ takes (expected {', '.join(SOURCE_KINDS[kind])})")
        for file in list_files(roots, kind):
            if problem := unsafe_name_problem(file.path.name):
                skipped.append(f"{file.path}: {problem}; rename it to <key>.<extension>")
                continue
            if now - file.mtime < settle:
                unsettled += 1
                continue
            version = FileVersion(kind, file.partition_key, str(file.path), cache.sha256(file), file.mtime)
            if version.key in done or version.key in seen:
                processed += 1
                continue
            seen.add(version.key)
            pending.append(version)
    cache.save()
    pending.sort(key=lambda v: (v.mtime, v.path))
    return Discovery(pending[:limit] if limit else pending, processed, unsettled, skipped)


def find_accepted(warehouse: Path, file_or_sha: str) -> list[FileVersion]:
    """Accepted versions matching a file path (its latest accepted version) or a sha256 (or a prefix of 8+)."""
    if not warehouse.exists():
        return []
    target = str(Path(file_or_sha).resolve()) if not _looks_like_sha(file_or_sha) else None
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select source_kind, partition_key, arg_max(file_path, loaded_at), file_sha256, max(loaded_at) "
            "from raw.load_log where outcome in ('loaded', 'retracted') group by source_kind, partition_key, "
            "file_sha256 having arg_max(outcome, loaded_at) = 'loaded' order by 5"
        ).fetchall()
    versions = [FileVersion(kind, key, path, sha) for kind, key, path, sha, _ in rows]
    if target is None:
        return [v for v in versions if v.sha256.startswith(file_or_sha.lower())]
    same_file = [v for v in versions if v.path == target or Path(v.path).name == Path(target).name]
    return same_file[-1:]


def _looks_like_sha(text: str) -> bool:
    return len(text) >= 8 and all(c in "0123456789abcdef" for c in text.lower())
