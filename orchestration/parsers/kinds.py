"""The one registry of source kinds: each kind's landing folder, file types, parser, raw tables and cadence.

Importing this module is cheap (no pandas, no parser): `ht-warehouse build` lists landed files with it when
nothing is new. The parsers are imported when a file is parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

Parser = Callable[[Path], "dict[str, pd.DataFrame]"]


@dataclass(frozen=True)
class SourceKind:
    """A kind of source file: its landing subfolder, the file types it takes, its parser, the raw tables it
    feeds, and how often its publisher brings a new file."""

    name: str
    description: str
    suffixes: tuple[str, ...]
    parse: Parser
    raw_tables: tuple[str, ...]
    # How long the publisher may go without a new file before the UI flags the source as stale.
    max_days_between_files: int

    @property
    def partitions_name(self) -> str:
        return f"{self.name}_files"


def _parse_release(path: Path) -> dict[str, pd.DataFrame]:
    import pandas as pd

    from orchestration.parsers.report_release import parse_release_file

    parsed = parse_release_file(path)
    return {"report_releases": pd.DataFrame([parsed.release]), "report_figures": parsed.figures}


def _hotline_parser(kind: str) -> Parser:
    def parse(path: Path) -> dict[str, pd.DataFrame]:
        from orchestration.parsers.hotline import parse_hotline_kind

        return parse_hotline_kind(path, kind)

    return parse


def _hotline_kind(name: str, shapes: str, raw_tables: tuple[str, ...]) -> SourceKind:
    return SourceKind(
        name,
        f"National Human Trafficking Hotline tables shaped {shapes}, with provenance records.",
        (".csv",),
        _hotline_parser(name),
        raw_tables,
        # The hotline publishes its statistics yearly.
        max_days_between_files=365,
    )


SOURCE_KIND_LIST = (
    SourceKind(
        "report_releases",
        "Task-force report releases, one YAML file per release (sources/README.md).",
        # A YAML release, or a publisher's data file with `<name>.provenance.yaml` beside it.
        (".yaml", ".yml", ".xlsx", ".csv"),
        _parse_release,
        ("report_releases", "report_figures"),
        # OCHTTF has published every one to two years since 2014.
        max_days_between_files=2 * 365,
    ),
    # A folder may take several layouts (the state tables), each loading into its own raw table; the layouts
    # are declared in parsers/hotline.py (HOTLINE_TABLES), and tests/unit check the two agree.
    _hotline_kind(
        "hotline_state_calls_cases",
        "Year_Date,Calls,Cases_Reported,State,postal or State,Signals received,% of total signals,Cases identified,"
        "% of total cases",
        ("hotline_state_calls_cases", "hotline_state_signals_cases"),
    ),
    _hotline_kind(
        "hotline_national_signals_fy",
        "fiscal_year,total_signals,substantive_signals,signals_from_potential_victims,potential_situations_identified",
        ("hotline_national_signals_fy",),
    ),
    _hotline_kind(
        "hotline_published_figures",
        "figure_id,jurisdiction,period_start,period_end,metric,base_population,breakdown_dimension,"
        "breakdown_category,value,unit,qualifier,scope,source_url,quote,reliability,note",
        ("hotline_published_figures",),
    ),
)
SOURCE_KINDS = {kind.name: kind for kind in SOURCE_KIND_LIST}
