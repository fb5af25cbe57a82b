"""National Human Trafficking Hotline statistics, in the shapes the hotline publishes them.

Three table shapes are known; a file's header says which one it is. Each data file ships with a
`<name>.provenance.yaml` record beside it (publisher, URL, how it was obtained). Types are checked here;
whether codes (states, metrics) are known is checked by the expectation suite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.ingest.csv_table import as_int, header_problem, optional, read_csv_table
from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.files import check_size, load_yaml_mapping, provenance_path, read_text, sha256_of
from orchestration.ingest.values import parse_date, parse_value

PROVENANCE_FIELDS = (
    "dataset_id",
    "title",
    "publisher",
    "source_url",
    "document_type",
    "reliability",
    "obtained_from",
    "notes",
)
# Optional: `partial_scope` says which states a table deliberately leaves out (else every state and DC must be
# there), `correction_note` why a re-delivered table changes values beyond the thresholds (quality/plausibility.py).
OPTIONAL_PROVENANCE_FIELDS = ("partial_scope", "correction_note")
# The largest real table is a few hundred rows; a file far beyond this is a mistake, not a statistics table.
MAX_HOTLINE_BYTES = 50 * 1024 * 1024


def _year(text: str) -> int:
    year = int(text)
    if not 2000 <= year <= dt.date.today().year:
        raise ValueError("year out of range")
    return year


def _count(text: str) -> int:
    """A whole number of calls or cases; sign and plausibility are the suite's call."""
    return as_int(text)


def _value(text: str) -> str:
    parse_value(text)  # raises ValueError with what was found
    return text


Columns = dict[str, tuple[Callable[[str], object], str]]

STATE_CALLS_CASES: Columns = {
    "Year_Date": (_year, "a calendar year such as 2016"),
    "Calls": (_count, "a whole number of calls"),
    "Cases_Reported": (_count, "a whole number of cases"),
    "State": (str, "the state's name as a lower-case slug"),
    "postal": (str, "a U.S. state or DC postal code such as CA"),
}
NATIONAL_SIGNALS_FY: Columns = {
    "fiscal_year": (_year, "a federal fiscal year such as 2024"),
    "total_signals": (_count, "a whole number"),
    "substantive_signals": (optional(_count), "a whole number, or empty before FY2018"),
    "signals_from_potential_victims": (_count, "a whole number"),
    "potential_situations_identified": (_count, "a whole number"),
}
PUBLISHED_FIGURES: Columns = {
    "figure_id": (str, "a unique figure id"),
    "jurisdiction": (str, "a jurisdiction id such as US-CA"),
    "period_start": (parse_date, "an ISO date"),
    "period_end": (parse_date, "an ISO date"),
    "metric": (str, "a metric from dbt_project/seeds/metrics.csv"),
    "base_population": (str, "a base population from dbt_project/seeds/base_populations.csv, or empty"),
    "breakdown_dimension": (str, "a breakdown dimension"),
    "breakdown_category": (str, "a breakdown category"),
    "value": (_value, 'a number, or a suppressed value such as "<3"'),
    "unit": (str, "a unit from the code list"),
    "qualifier": (str, "a qualifier from the code list"),
    "scope": (str, "a scope from the code list"),
    "source_url": (str, "the URL the figure was read on"),
    "quote": (str, "a short quote, or empty"),
    "reliability": (str, "primary, secondary, derived or uncertain"),
    "note": (str, "free text"),
}


@dataclass(frozen=True)
class HotlineTable:
    """A table shape the hotline publishes, and the raw table its files load into."""

    raw_table: str
    columns: Columns

    @property
    def header(self) -> list[str]:
        return list(self.columns)


HOTLINE_TABLES = (
    HotlineTable("hotline_state_calls_cases", STATE_CALLS_CASES),
    HotlineTable("hotline_national_signals_fy", NATIONAL_SIGNALS_FY),
    HotlineTable("hotline_published_figures", PUBLISHED_FIGURES),
)


@dataclass(frozen=True)
class ParsedHotlineFile:
    table: HotlineTable
    frame: pd.DataFrame
    provenance: dict[str, Any]
    sha256: str


def detect_table(path: Path) -> HotlineTable:
    """Which table shape a file has, from its header line."""
    first_line = read_text(path).splitlines()[0].strip()
    header = [name.strip() for name in first_line.split(",")]
    for table in HOTLINE_TABLES:
        if header == table.header:
            return table
    best = max(HOTLINE_TABLES, key=lambda t: len(set(t.header) & set(header)))
    problem = header_problem(header, best.header)
    shapes = " | ".join(",".join(t.header) for t in HOTLINE_TABLES)
    raise SourceFileError(path, "line 1 (header)", problem, f"one of the hotline table headers: {shapes}")


def read_provenance(data_file: Path) -> dict[str, Any]:
    path = provenance_path(data_file)
    if not path.exists():
        raise SourceFileError(
            data_file, None, f"no provenance record {path.name} beside it", "every source file to ship with one"
        )
    record = load_yaml_mapping(path)
    missing = [f for f in PROVENANCE_FIELDS if f not in record]
    if missing:
        raise SourceFileError(path, None, f"missing field(s) {', '.join(missing)}", ", ".join(PROVENANCE_FIELDS))
    optional = {f: str(record[f]).strip() if record.get(f) else None for f in OPTIONAL_PROVENANCE_FIELDS}
    return {**{f: record[f] for f in PROVENANCE_FIELDS}, **optional}


def parse_hotline_file(path: Path) -> ParsedHotlineFile:
    """Parse a hotline data file and its provenance record; raise SourceFileError naming row and column."""
    check_size(path, MAX_HOTLINE_BYTES)
    table = detect_table(path)
    frame = read_csv_table(path, table.columns)
    if table.raw_table == "hotline_published_figures":
        parsed = frame["value"].map(parse_value)
        frame["value_text"] = frame["value"]
        frame["value"] = parsed.map(lambda p: p.value)
        frame["suppressed_below"] = parsed.map(lambda p: p.suppressed_below)
        frame["qualifier"] = [
            "less_than" if p.suppressed_below is not None else q
            for p, q in zip(parsed, frame["qualifier"], strict=True)
        ]
        frame["base_population"] = frame["base_population"].replace("", None)
    provenance = read_provenance(path)
    sha = sha256_of(path)
    frame["dataset_id"] = provenance["dataset_id"]
    frame["source_file"] = path.name
    frame["file_sha256"] = sha
    return ParsedHotlineFile(table=table, frame=frame, provenance=provenance, sha256=sha)
