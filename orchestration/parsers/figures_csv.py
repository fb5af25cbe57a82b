"""The `figures_csv` release layout: one CSV row per figure, for releases too large to transcribe as YAML.

Columns are the figure fields of the YAML format (sources/README.md) plus `jurisdiction`; provenance shared by all
rows (source URL, reliability) may come from the `<release_id>.provenance.yaml` beside the file instead. DuckDB
reads the file (millions of rows per second); values are parsed column-wise, never row by row.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.parsers.errors import SourceFileError, raise_first_invalid
from orchestration.parsers.figure_fields import OPTIONAL_FIGURE_FIELDS, REQUIRED_FIGURE_FIELDS
from orchestration.parsers.values import parse_values

# The YAML figure fields plus the figure's own jurisdiction; URL and reliability may come from the provenance record.
COLUMNS = ("jurisdiction", *REQUIRED_FIGURE_FIELDS, *OPTIONAL_FIGURE_FIELDS)
REQUIRED_COLUMNS = ("metric", "value", "unit", "period_start", "period_end")


def _line(position: int) -> str:
    return f"line {position + 2}"  # the header is line 1


def _one_column_problem(path: Path, frame: pd.DataFrame) -> None:
    """DuckDB's CSV sniffer reads a file as one column when a line does not fit the others (a line of spaces does
    that): say so, with the line, rather than that every column is missing."""
    if len(frame.columns) != 1 or "," not in str(frame.columns[0]):
        return
    blank = frame.iloc[:, 0].fillna("").str.strip() == ""
    if blank.any():
        line = _line(int(blank.to_numpy().argmax()))
        raise SourceFileError(
            path, line, "a line of spaces only: the rows cannot be split into columns", "no blank line"
        )
    raise SourceFileError(path, None, "the rows cannot be split into columns", "comma-separated rows like the header")


def parse_figures_csv(path: Path, release: dict, defaults: dict) -> pd.DataFrame:
    """Figures of a `figures_csv` file in the raw `report_figures` shape; errors name the line and field."""
    try:
        with duckdb.connect() as conn:
            frame = conn.execute(
                "select * from read_csv(?, header = true, all_varchar = true, auto_detect = true)", [str(path)]
            ).df()
    except duckdb.Error as exc:
        raise SourceFileError(
            path, None, f"not a readable CSV file ({str(exc).splitlines()[0]})", "UTF-8 CSV with a header"
        ) from exc
    _one_column_problem(path, frame)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame]
    unknown = [c for c in frame if c not in COLUMNS]
    if missing or unknown:
        found = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise SourceFileError(path, "line 1 (header)", found, f"columns {', '.join(COLUMNS)}")
    if frame.empty:
        raise SourceFileError(path, None, "no figure rows", "one row per figure below the header")
    parsed = parse_values(frame["value"])
    expected = 'a number such as 357 or 1,521, or "<5"'
    raise_first_invalid(path, ~parsed["valid"], parsed["value_text"], _line, "value", expected)
    for column in ("period_start", "period_end"):
        dates = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
        raise_first_invalid(path, dates.isna(), frame[column], _line, column, "an ISO date YYYY-MM-DD")
        frame[column] = dates.dt.date
    for column, default in (("source_url", defaults.get("source_url")), ("reliability", defaults.get("reliability"))):
        values = frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        frame[column] = values.fillna(default) if default else values
        expected = f"a {column} in the row or in the provenance record"
        raise_first_invalid(path, frame[column].isna(), frame[column], _line, column, expected)
    qualifier = frame.get("qualifier", pd.Series(None, index=frame.index, dtype=object))
    return pd.DataFrame(
        {
            "release_id": release["release_id"],
            "figure_index": np.arange(2, len(frame) + 2),  # the CSV line number
            "jurisdiction_id": frame.get("jurisdiction"),
            "metric": frame["metric"],
            "base_population": frame.get("base_population"),
            "breakdown_dimension": frame.get("breakdown_dimension", "total"),
            "breakdown_category": frame.get("breakdown_category", "all"),
            "value": parsed["value"],
            "value_text": parsed["value_text"],
            "suppressed_below": parsed["suppressed_below"],
            "unit": frame["unit"],
            # A suppressed value is less_than whatever the row says (as in YAML releases).
            "qualifier": parsed["qualifier"].where(parsed["qualifier"] == "less_than", qualifier.fillna("exact")),
            "period_start": frame["period_start"],
            "period_end": frame["period_end"],
            "source_url": frame["source_url"],
            "quote": frame.get("quote"),
            "reliability": frame["reliability"],
            "note": frame.get("note"),
        }
    )
