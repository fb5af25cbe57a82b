"""Source kinds: how each kind of landed file is parsed into rows for the raw tables it feeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.hotline import HOTLINE_TABLES, PERIOD_FIELDS, parse_hotline_file
from orchestration.ingest.report_release import parse_release_file

Parser = Callable[[Path], dict[str, pd.DataFrame]]


def _parse_release(path: Path) -> dict[str, pd.DataFrame]:
    parsed = parse_release_file(path)
    return {"report_releases": pd.DataFrame([parsed.release]), "report_figures": parsed.figures}


def _hotline_parser(kind: str) -> Parser:
    def parse(path: Path) -> dict[str, pd.DataFrame]:
        parsed = parse_hotline_file(path)
        if parsed.table.kind_name != kind:
            expected = " or ".join(",".join(t.header) for t in HOTLINE_TABLES if t.kind_name == kind)
            raise SourceFileError(
                path,
                "line 1 (header)",
                f"a {parsed.table.kind_name} table landed in the {kind} folder",
                f"the header {expected}",
            )
        frame = parsed.frame.copy()
        for field, value in parsed.provenance.items():
            if field not in ("dataset_id", *PERIOD_FIELDS):  # a period read from the record is in the rows
                frame[f"dataset_{field}"] = value
        return {parsed.table.raw_table: frame}

    return parse


def _hotline_kinds() -> list[SourceKind]:
    """One kind per landing folder; a folder may take several layouts (the state tables), each its raw table."""
    kinds = []
    for name in dict.fromkeys(t.kind_name for t in HOTLINE_TABLES):
        tables = [t for t in HOTLINE_TABLES if t.kind_name == name]
        shapes = " or ".join(",".join(t.header) for t in tables)
        kinds.append(
            SourceKind(
                name,
                f"National Human Trafficking Hotline tables shaped {shapes}, with provenance records.",
                _hotline_parser(name),
                tuple(t.raw_table for t in tables),
                # The hotline publishes its statistics yearly.
                max_days_between_files=365,
            )
        )
    return kinds


@dataclass(frozen=True)
class SourceKind:
    """A kind of source file: its landing subfolder, parser, the raw tables it feeds, and its expected cadence."""

    name: str
    description: str
    parse: Parser
    raw_tables: tuple[str, ...]
    # How long the publisher may go without a new file before the UI flags the source as stale.
    max_days_between_files: int

    @property
    def partitions_name(self) -> str:
        return f"{self.name}_files"


SOURCE_KIND_LIST = (
    SourceKind(
        "report_releases",
        "Task-force report releases, one YAML file per release (sources/README.md).",
        _parse_release,
        ("report_releases", "report_figures"),
        # OCHTTF has published every one to two years since 2014.
        max_days_between_files=2 * 365,
    ),
    *_hotline_kinds(),
)
SOURCE_KINDS_BY_NAME = {kind.name: kind for kind in SOURCE_KIND_LIST}
