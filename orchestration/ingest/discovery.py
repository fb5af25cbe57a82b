"""Finding landed files: which folders hold which kind, which names are acceptable. No Dagster here.

Kept free of Dagster so that `ht-warehouse build` can tell "nothing new" in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration.ingest.files import sha256_of

# A publisher's data file comes with `<name>.provenance.yaml` beside it: a side-file, never a file of its own.
PROVENANCE_SUFFIX = ".provenance.yaml"

# Source kinds and the file types each accepts. A kind is a subfolder of the landing zone and of sources/.
SOURCE_KINDS: dict[str, tuple[str, ...]] = {
    # A YAML release, or a publisher's data file with `<name>.provenance.yaml` beside it (not a release itself).
    "report_releases": (".yaml", ".yml", ".xlsx", ".csv"),
    "hotline_state_calls_cases": (".csv",),
    "hotline_national_signals_fy": (".csv",),
    "hotline_published_figures": (".csv",),
}

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


def unsupported_files(roots: Iterable[Path], kind: str) -> Iterator[Path]:
    """Files in a kind's folder that no parser takes (say so rather than ignore them silently)."""
    for root in roots:
        folder = root / kind
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                side_file = path.name.endswith(PROVENANCE_SUFFIX) or path.name.startswith(".") or path.suffix == ".md"
                if path.is_file() and path.suffix.lower() not in SOURCE_KINDS[kind] and not side_file:
                    yield path


def list_files(roots: Iterable[Path], kind: str) -> Iterator[LandedFile]:
    """Every file of a kind under the given roots, cheaply: a stat per file, no reads."""
    suffixes = SOURCE_KINDS[kind]
    for root in roots:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in suffixes and not path.name.endswith(PROVENANCE_SUFFIX) and path.is_file():
                stat = path.stat()
                yield LandedFile(kind, path, stat.st_size, stat.st_mtime)
