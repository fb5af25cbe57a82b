"""The landing zone: where source files arrive, one subfolder per source kind.

Reached through `LandingZone` (a Dagster resource) so that sensors and assets never touch paths directly;
another store (object storage) can be added by implementing the same few methods. The pipeline never
modifies or deletes a landed file: accepted files are copied to the archive by content hash, rejected ones
to quarantine with a report.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.ingest.files import sha256_of
from orchestration.ingest.report_release import PROVENANCE_SUFFIX
from orchestration.settings import archive_dir, quarantine_dir

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


def unsafe_name_problem(name: str) -> str | None:
    """Why a landed file name is refused, or None when it is a plain `<key>.<ext>` name."""
    if "/" in name or "\\" in name or ".." in name:
        return f"the file name {name!r} contains a path separator or '..'"
    stem = name.split(".")[0]
    if not _SAFE_STEM.match(stem):
        return f"the file name {name!r} is not a plain name (letters, digits, '-' and '_', at most 100)"
    return None


class LandingZone(dg.ConfigurableResource):
    """A folder of landed files (plus, optionally, the project's shipped `sources/` as a read-only root)."""

    path: str
    shipped_path: str | None = None

    def roots(self) -> list[Path]:
        roots = [Path(self.path)]
        if self.shipped_path:
            roots.append(Path(self.shipped_path))
        return roots

    def list_files(self, kind: str, include_shipped: bool = True) -> Iterator[LandedFile]:
        """Every file of a kind, in landing (and shipped) roots, cheaply: a stat per file, no reads."""
        suffixes = SOURCE_KINDS[kind]
        for root in self.roots() if include_shipped else [Path(self.path)]:
            folder = root / kind
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() in suffixes and not path.name.endswith(PROVENANCE_SUFFIX) and path.is_file():
                    stat = path.stat()
                    yield LandedFile(kind, path, stat.st_size, stat.st_mtime)

    def find(self, kind: str, partition_key: str) -> LandedFile | None:
        """The newest file delivered for a partition (a correction in landing wins over an older copy)."""
        matches = [f for f in self.list_files(kind) if f.partition_key == partition_key]
        return max(matches, key=lambda f: f.mtime) if matches else None

    def archive(self, file: LandedFile, sha256: str) -> Path:
        """Copy an accepted file to the archive under its content hash (idempotent)."""
        target = archive_dir() / file.kind / f"{sha256}{''.join(file.path.suffixes)}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file.path, target)
        return target

    def quarantine(self, file: LandedFile, sha256: str, report: dict[str, Any]) -> Path:
        """Copy a refused file with its report to `quarantine/<kind>/<key>/<sha256>/`; the original stays."""
        folder = quarantine_dir() / file.kind / file.partition_key / sha256
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file.path, folder / file.path.name)
        (folder / "report.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        return folder


def ensure_landing_folders(zone: LandingZone) -> None:
    for kind in SOURCE_KINDS:
        (Path(zone.path) / kind).mkdir(parents=True, exist_ok=True)
