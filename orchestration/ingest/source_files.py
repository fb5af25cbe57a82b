"""The shipped source files as Dagster assets, so that the lineage graph starts at the file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.ingest.hotline import HOTLINE_TABLES
from orchestration.settings import PROJECT_ROOT, SOURCES_DIR

RELEASES_DIR = SOURCES_DIR / "report_releases"
HOTLINE_DIR = SOURCES_DIR / "hotline"


def release_files() -> list[Path]:
    return sorted(RELEASES_DIR.rglob("*.yaml"))


def hotline_files() -> list[Path]:
    return [HOTLINE_DIR / table.file_name for table in HOTLINE_TABLES]


def source_file_key(path: Path) -> dg.AssetKey:
    """`sources/report_releases/ochttf/ochttf_2021.yaml` -> `source_files/report_releases/ochttf_2021`."""
    kind = path.relative_to(SOURCES_DIR).parts[0]
    return dg.AssetKey(["source_files", kind, path.name.split(".")[0]])


def source_file_spec(path: Path, description: str) -> dg.AssetSpec:
    relative = path.relative_to(PROJECT_ROOT)
    return dg.AssetSpec(
        key=source_file_key(path),
        description=description,
        group_name="sources",
        kinds={path.suffix.lstrip(".")},
        metadata={
            "path": dg.MetadataValue.path(str(relative)),
        },
    )


def source_file_specs() -> list[dg.AssetSpec]:
    releases = [
        source_file_spec(p, f"Report release file {p.name} (release format, see sources/README.md).")
        for p in release_files()
    ]
    hotline = [
        source_file_spec(p, f"Hotline statistics file {p.name}, with its provenance record beside it.")
        for p in hotline_files()
    ]
    return releases + hotline
