"""Where landed files go: accepted ones to the archive by content hash, refused ones to quarantine with a report.

The pipeline never modifies or deletes a landed file. A report in quarantine is the "refused" half of the
ledger (engine/ledger.py); `raw.load_log` in the warehouse is the "accepted" half.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from orchestration.engine.versions import LandedFile
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.settings import archive_dir, quarantine_dir


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
