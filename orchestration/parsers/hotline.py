"""National Human Trafficking Hotline statistics, in the shapes the hotline publishes them.

Four table shapes are known; a file's header says which one it is. The state tables come in two layouts, both
landed in `hotline_state_calls_cases/`: the 2012-2016 state pages (`Year_Date, Calls, Cases_Reported, State,
postal`) and the current statistics page ("Signals and cases by State in <year>": `State, Signals received, % of
total signals, Cases identified, % of total cases`), whose year is only in the page's heading and so comes from the
provenance record (`period_start`, `period_end`). Each data file ships with a `<name>.provenance.yaml` record
beside it (publisher, URL, how it was obtained). Types are checked here; whether codes (states, metrics) are known
is checked by the expectation suite.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.parsers.csv_table import as_int, header_problem, optional, read_csv_table
from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.files import (
    check_size,
    load_yaml_mapping,
    one_value,
    provenance_path,
    read_text,
    sha256_of,
)
from orchestration.parsers.values import finite, parse_date, parse_value
from orchestration.vocabulary import SEEDS_DIR

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
# there), `correction_note` why a re-delivered table changes values beyond the thresholds (quality/plausibility.py),
# `period_start`/`period_end` the period of a table that does not say it (required for the current state layout).
PERIOD_FIELDS = ("period_start", "period_end")
OPTIONAL_PROVENANCE_FIELDS = ("partial_scope", "correction_note", *PERIOD_FIELDS)
# State and territory names as the hotline writes them where they differ from dbt_project/seeds/jurisdictions.csv.
NAME_ALIASES = {"northern marianas islands": "northern mariana islands", "us virgin islands": "u.s. virgin islands"}
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


def _percent(text: str) -> float:
    """A published share such as `0.71%` (the % sign optional), as a number of percent."""
    return finite(float(text.removesuffix("%").strip()))


def _value(text: str) -> str:
    """A published value, kept as text here (parsed below); the reader names the cell and what was found."""
    try:
        parse_value(text)
    except ValueError:
        raise ValueError("not a number") from None
    return text


Columns = dict[str, tuple[Callable[[str], object], str]]

STATE_CALLS_CASES: Columns = {
    "Year_Date": (_year, "a calendar year such as 2016"),
    "Calls": (_count, "a whole number of calls"),
    "Cases_Reported": (_count, "a whole number of cases"),
    "State": (str, "the state's name as a lower-case slug"),
    "postal": (str, "a U.S. state or DC postal code such as CA"),
}
STATE_SIGNALS_CASES: Columns = {
    "State": (str, "a state, DC or territory name such as California"),
    "Signals received": (_count, "a whole number of signals"),
    "% of total signals": (_percent, 'a share of the national signals such as "0.71%"'),
    "Cases identified": (_count, "a whole number of cases"),
    "% of total cases": (_percent, 'a share of the national cases such as "0.87%"'),
}
# The current layout's published column names as raw column names.
STATE_SIGNALS_CASES_RAW = {
    "Signals received": "signals_received",
    "% of total signals": "signals_percent_of_total",
    "Cases identified": "cases_identified",
    "% of total cases": "cases_percent_of_total",
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
    """A table shape the hotline publishes, the raw table its files load into, and the kind (landing folder)."""

    raw_table: str
    columns: Columns
    kind: str = ""
    # The table does not say its period: the provenance record's period_start/period_end give it.
    period_from_provenance: bool = False

    @property
    def kind_name(self) -> str:
        return self.kind or self.raw_table

    @property
    def header(self) -> list[str]:
        return list(self.columns)


HOTLINE_TABLES = (
    HotlineTable("hotline_state_calls_cases", STATE_CALLS_CASES),
    HotlineTable(
        "hotline_state_signals_cases",
        STATE_SIGNALS_CASES,
        kind="hotline_state_calls_cases",
        period_from_provenance=True,
    ),
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
    for field in (*PROVENANCE_FIELDS, *OPTIONAL_PROVENANCE_FIELDS):  # each goes into one column of every row
        one_value(path, field, record.get(field))
    optional = {f: str(record[f]).strip() if record.get(f) else None for f in OPTIONAL_PROVENANCE_FIELDS}
    return {**{f: record[f] for f in PROVENANCE_FIELDS}, **optional}


def _provenance_period(data_file: Path, provenance: dict[str, Any]) -> tuple[dt.date, dt.date]:
    record = provenance_path(data_file)
    missing = [f for f in PERIOD_FIELDS if not provenance.get(f)]
    if missing:
        raise SourceFileError(
            record,
            None,
            f"no {' and no '.join(missing)}: {data_file.name} is a state table in the current layout, which does not "
            "say its year (the hotline prints it in the heading above the table)",
            "period_start and period_end, e.g. period_start: 2024-01-01 and period_end: 2024-12-31",
        )
    try:
        start, end = parse_date(provenance["period_start"]), parse_date(provenance["period_end"])
    except ValueError as exc:
        raise SourceFileError(record, "period_start/period_end", str(exc), "ISO dates such as 2024-01-01") from exc
    if end < start:
        raise SourceFileError(record, "period_end", f"{end} is before period_start {start}", "a period in order")
    return start, end


def _state_postal(name: str) -> str | None:
    """The postal code of a state, DC or territory name (None where unknown: the suite names the row)."""
    key = " ".join(name.lower().split())
    return _postal_by_name().get(NAME_ALIASES.get(key, key))


@functools.cache
def _postal_by_name() -> dict[str, str]:
    with (SEEDS_DIR / "jurisdictions.csv").open(newline="", encoding="utf-8") as fh:
        return {
            r["jurisdiction_name"].lower(): r["state_postal"]
            for r in csv.DictReader(fh)
            if r["jurisdiction_level"] in ("state", "territory")
        }


def parse_hotline_file(path: Path) -> ParsedHotlineFile:
    """Parse a hotline data file and its provenance record; raise SourceFileError naming row and column."""
    check_size(path, MAX_HOTLINE_BYTES)
    table = detect_table(path)
    frame = read_csv_table(path, table.columns)
    provenance = read_provenance(path)
    if table.period_from_provenance:
        frame["period_start"], frame["period_end"] = _provenance_period(path, provenance)
        frame = frame.rename(columns=STATE_SIGNALS_CASES_RAW)
        frame["postal"] = frame["State"].map(_state_postal)
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
    sha = sha256_of(path)
    frame["dataset_id"] = provenance["dataset_id"]
    frame["source_file"] = path.name
    frame["file_sha256"] = sha
    return ParsedHotlineFile(table=table, frame=frame, provenance=provenance, sha256=sha)


def parse_hotline_kind(path: Path, kind: str) -> dict[str, pd.DataFrame]:
    """A hotline file landed in `kind`'s folder as its raw table's rows, provenance fields as `dataset_*` columns."""
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
