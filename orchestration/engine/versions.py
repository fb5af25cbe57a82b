"""File versions: which landed files there are, of which kind, under acceptable names. No Dagster here.

A file version is `(kind, partition key, sha256)`: the unit the ledger, a batch and the warehouse's load log
speak of. Listing costs a stat per file, so `ht-warehouse build` tells "nothing new" in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration.parsers.files import PROVENANCE_SUFFIX, sha256_of
from orchestration.parsers.kinds import SOURCE_KINDS

# A file's stem becomes its partition key: plain names only, so a name can never reach outside its folder.
_SAFE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class LandedFile:
    kind: str
    path: Path
    size: int
    mtime: float

    @property
    def partition_key(self) -> str:
        return self.path.name.split(".")[0]

    def sha256(self) -> str:
        return sha256_of(self.path)


@dataclass(frozen=True)
class FileVersion:
    """One delivered version of one file (kind, partition key, sha256): the unit a batch processes."""

    kind: str
    partition_key: str
    path: str
    sha256: str
    mtime: float = 0.0

    @property
    def label(self) -> str:
        """`<kind>/<key>@<sha256 prefix>`, for logs and the batch log."""
        return f"{self.kind}/{self.partition_key}@{self.sha256[:12]}"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.partition_key, self.sha256)

    def as_config(self) -> dict[str, str]:
        return {"kind": self.kind, "partition_key": self.partition_key, "path": self.path, "sha256": self.sha256}


def unsafe_name_problem(name: str) -> str | None:
    """Why a landed file name is refused, or None when it is a plain `<key>.<ext>` name."""
    if "/" in name or "\\" in name or ".." in name:
        return f"the file name {name!r} contains a path separator or '..'"
    stem = name.split(".")[0]
    if not _SAFE_STEM.match(stem):
        return f"the file name {name!r} is not a plain name (letters, digits, '-' and '_', at most 100)"
    return None


def _not_data(path: Path) -> bool:
    """Hidden files (`.DS_Store`, `.gitkeep`) and Markdown notes: never data, so never named as not taken."""
    return path.name.startswith(".") or path.suffix == ".md"


def unsupported_files(roots: Iterable[Path], kind: str) -> Iterator[Path]:
    """Files in a kind's folder that no parser takes (say so rather than ignore them silently)."""
    for root in roots:
        folder = root / kind
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                side_file = path.name.endswith(PROVENANCE_SUFFIX) or _not_data(path)
                if path.is_file() and path.suffix.lower() not in SOURCE_KINDS[kind].suffixes and not side_file:
                    yield path


def misplaced_files(roots: Iterable[Path]) -> Iterator[str]:
    """What a root holds outside every kind's folder: files at its top and folders of no kind. Nothing there is
    ever taken, so say so (a file dropped one folder off would otherwise wait unseen)."""
    kinds = ", ".join(f"{kind}/" for kind in SOURCE_KINDS)
    for root in roots:
        if not root.is_dir():
            continue
        for entry in sorted(root.iterdir()):
            if _not_data(entry) or entry.name in SOURCE_KINDS:
                continue
            if entry.is_file():
                yield f"{entry}: not in a source kind's folder; move it into its kind's folder under {root}/ ({kinds})"
            elif entry.is_dir() and (files := sum(1 for p in entry.rglob("*") if p.is_file() and not _not_data(p))):
                yield (
                    f"{entry}/: not a source kind's folder, so its {files} file(s) are not taken; "
                    f"the kinds' folders under {root}/ are {kinds}"
                )


def list_files(roots: Iterable[Path], kind: str) -> Iterator[LandedFile]:
    """Every file of a kind under the given roots, cheaply: a stat per file, no reads."""
    suffixes = SOURCE_KINDS[kind].suffixes
    for root in roots:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in suffixes and not path.name.endswith(PROVENANCE_SUFFIX) and path.is_file():
                stat = path.stat()
                yield LandedFile(kind, path, stat.st_size, stat.st_mtime)
