"""The landing zone: where source files arrive, one subfolder per source kind.

Reached through `LandingZone` (a Dagster resource) so that sensors and assets never touch paths directly;
another store (object storage) can be added by implementing the same few methods. The pipeline never
modifies or deletes a landed file: accepted files are copied to the archive by content hash, refused ones
to quarantine with a report.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.ingest.discovery import SOURCE_KINDS, LandedFile, list_files, unsafe_name_problem
from orchestration.settings import archive_dir, quarantine_dir

__all__ = ["SOURCE_KINDS", "LandedFile", "LandingZone", "archive", "quarantine", "unsafe_name_problem"]


class LandingZone(dg.ConfigurableResource):
    """A folder of landed files (plus, optionally, the project's shipped `sources/` as a read-only root)."""

    path: str
    shipped_path: str | None = None

    def roots(self, include_shipped: bool = True) -> list[Path]:
        roots = [Path(self.path)]
        if self.shipped_path and include_shipped:
            roots.append(Path(self.shipped_path))
        return roots

    def list_files(self, kind: str, include_shipped: bool = True) -> Iterator[LandedFile]:
        """Every file of a kind, in landing (and shipped) roots, cheaply: a stat per file, no reads."""
        return list_files(self.roots(include_shipped), kind)


def archive(file: LandedFile, sha256: str) -> Path:
    """Copy an accepted file to the archive under its content hash (idempotent)."""
    target = archive_dir() / file.kind / f"{sha256}{''.join(file.path.suffixes)}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file.path, target)
    return target


def quarantine(file: LandedFile, sha256: str, report: dict[str, Any]) -> Path:
    """Copy a refused file with its report to `quarantine/<kind>/<key>/<sha256>/`; the original stays.

    `report.json` is written last (through a rename): its presence is what marks these bytes as refused.
    """
    folder = quarantine_dir() / file.kind / file.partition_key / sha256
    folder.mkdir(parents=True, exist_ok=True)
    if file.path.exists():
        shutil.copyfile(file.path, folder / file.path.name)
    partial = folder / "report.json.partial"
    partial.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    partial.replace(folder / "report.json")
    return folder


def ensure_landing_folders(path: Path) -> None:
    for kind in SOURCE_KINDS:
        (path / kind).mkdir(parents=True, exist_ok=True)
