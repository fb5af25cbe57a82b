"""National Human Trafficking Hotline statistics, in the shapes the hotline publishes them.

Each data file ships with a `<name>.provenance.yaml` record (publisher, URL, how it was obtained).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.ingest.csv_table import as_int, optional, read_csv_table
from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.files import load_yaml_mapping, provenance_path, sha256_of
from orchestration.ingest.values import parse_date, parse_value
from orchestration.vocabulary import vocabulary

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


def _member(allowed: Callable[[], Collection[str]], what: str) -> Callable[[str], str]:
    """A converter that accepts only codes from one of the project's vocabularies."""

    def convert(text: str) -> str:
        if text not in allowed():
            raise ValueError(f"unknown {what}")
        return text

    return convert


def _code(list_name: str) -> Callable[[str], str]:
    return _member(lambda: vocabulary().codes(list_name), list_name)


def _state_postal(text: str) -> str:
    if f"US-{text}" not in vocabulary().jurisdictions:
        raise ValueError("not a U.S. state or DC postal code")
    return text


def _year(text: str) -> int:
    year = int(text)
    if not 2000 <= year <= dt.date.today().year:
        raise ValueError("year out of range")
    return year


def _non_negative(text: str) -> int:
    value = as_int(text)
    if value < 0:
        raise ValueError("negative count")
    return value


def _value(text: str) -> str:
    parse_value(text)  # raises ValueError with what was found
    return text


STATE_CALLS_CASES = {
    "Year_Date": (_year, "a calendar year such as 2016"),
    "Calls": (_non_negative, "a non-negative whole number of calls"),
    "Cases_Reported": (_non_negative, "a non-negative whole number of cases"),
    "State": (str, "the state's name as a lower-case slug"),
    "postal": (_state_postal, "a U.S. state or DC postal code such as CA"),
}
NATIONAL_SIGNALS_FY = {
    "fiscal_year": (_year, "a federal fiscal year such as 2024"),
    "total_signals": (_non_negative, "a non-negative whole number"),
    "substantive_signals": (optional(_non_negative), "a non-negative whole number, or empty before FY2018"),
    "signals_from_potential_victims": (_non_negative, "a non-negative whole number"),
    "potential_situations_identified": (_non_negative, "a non-negative whole number"),
}
PUBLISHED_FIGURES = {
    "figure_id": (str, "a unique figure id"),
    "jurisdiction": (_member(lambda: vocabulary().jurisdictions, "jurisdiction"), "a jurisdiction id such as US-CA"),
    "period_start": (lambda t: parse_date(t), "an ISO date"),
    "period_end": (lambda t: parse_date(t), "an ISO date"),
    "metric": (_member(lambda: vocabulary().metric_units, "metric"), "a metric from dbt_project/seeds/metrics.csv"),
    "base_population": (
        optional(_member(lambda: vocabulary().base_populations, "base population")),
        "a base population from dbt_project/seeds/base_populations.csv, or empty",
    ),
    "breakdown_dimension": (str, "a breakdown dimension"),
    "breakdown_category": (str, "a breakdown category"),
    "value": (_value, 'a number, or a suppressed value such as "<3"'),
    "unit": (_code("unit"), "a unit from the code list"),
    "qualifier": (_code("qualifier"), "a qualifier from the code list"),
    "scope": (_code("scope"), "a scope from the code list"),
    "source_url": (str, "the URL the figure was read on"),
    "quote": (str, "a short quote, or empty"),
    "reliability": (_code("reliability"), "primary, secondary, derived or uncertain"),
    "note": (str, "free text"),
}


@dataclass(frozen=True)
class HotlineTable:
    """One hotline data file: its spec, and the raw table it loads into."""

    file_name: str
    raw_table: str
    columns: dict[str, tuple[Callable[[str], object], str]]


HOTLINE_TABLES = (
    HotlineTable("state_calls_cases_2012_2016.csv", "hotline_state_calls_cases", STATE_CALLS_CASES),
    HotlineTable("national_signals_fy2013_2024.csv", "hotline_national_signals_fy", NATIONAL_SIGNALS_FY),
    HotlineTable("published_figures.csv", "hotline_published_figures", PUBLISHED_FIGURES),
)


def read_provenance(data_file: Path) -> dict[str, Any]:
    path = provenance_path(data_file)
    if not path.exists():
        raise SourceFileError(
            data_file,
            None,
            f"no provenance record {path.name} beside it",
            "every source file to ship with its provenance",
        )
    record = load_yaml_mapping(path)
    missing = [f for f in PROVENANCE_FIELDS if f not in record]
    if missing:
        raise SourceFileError(path, None, f"missing field(s) {', '.join(missing)}", ", ".join(PROVENANCE_FIELDS))
    return {f: record[f] for f in PROVENANCE_FIELDS}


def _check_published_figures(path: Path, frame: pd.DataFrame) -> None:
    voc = vocabulary()
    for row in frame.itertuples():
        where = f"line {row.source_line}"
        if (row.breakdown_dimension, row.breakdown_category) not in voc.breakdowns:
            raise SourceFileError(
                path,
                f"{where}, column breakdown_category",
                f"unknown breakdown {row.breakdown_dimension}:{row.breakdown_category}",
                "a pair from dbt_project/seeds/breakdown_categories.csv",
            )
        if row.unit not in voc.metric_units[row.metric]:
            raise SourceFileError(
                path,
                f"{where}, column unit",
                f"unit {row.unit!r} for metric {row.metric}",
                " or ".join(sorted(voc.metric_units[row.metric])),
            )
    duplicated = frame[frame["figure_id"].duplicated()]
    if not duplicated.empty:
        first = duplicated.iloc[0]
        raise SourceFileError(
            path,
            f"line {first.source_line}, column figure_id",
            f"duplicate figure_id {first.figure_id!r}",
            "unique figure ids",
        )


def read_hotline_table(path: Path, table: HotlineTable) -> pd.DataFrame:
    frame = read_csv_table(path, table.columns)
    if table.raw_table == "hotline_published_figures":
        _check_published_figures(path, frame)
        parsed = frame["value"].map(parse_value)
        frame["value_text"] = frame["value"]
        frame["value"] = parsed.map(lambda p: p.value)
        frame["suppressed_below"] = parsed.map(lambda p: p.suppressed_below)
        frame["qualifier"] = [
            "less_than" if p.suppressed_below is not None else q
            for p, q in zip(parsed, frame["qualifier"], strict=True)
        ]
    frame["source_file"] = path.name
    frame["file_sha256"] = sha256_of(path)
    return frame
