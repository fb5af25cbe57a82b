"""The `figures_csv` release layout: one CSV row per figure, for releases too large to transcribe as YAML.

Columns are the figure fields of the YAML format (sources/README.md) plus `jurisdiction`; provenance shared by all
rows (source URL, reliability) may come from the `<release_id>.provenance.yaml` beside the file instead. DuckDB
reads the file (millions of rows per second); values are parsed column-wise, never row by row.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.ingest.errors import SourceFileError

REQUIRED_COLUMNS = ("metric", "value", "unit", "period_start", "period_end")
OPTIONAL_COLUMNS = (
    "jurisdiction",
    "base_population",
    "breakdown_dimension",
    "breakdown_category",
    "qualifier",
    "source_url",
    "quote",
    "reliability",
    "note",
)
_SUPPRESSED = r"^<\s*(\d+)$"
_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$")


def _first_bad(path: Path, frame: pd.DataFrame, bad: pd.Series, field: str, expected: str) -> None:
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceFileError(
            path,
            f"line {position + 2}.{field}",
            f"found {frame[field].iloc[position]!r} ({int(bad.sum())} such rows)",
            expected,
        )


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
    missing = [c for c in REQUIRED_COLUMNS if c not in frame]
    unknown = [c for c in frame if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        found = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise SourceFileError(
            path, "line 1 (header)", found, f"columns {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"
        )
    if frame.empty:
        raise SourceFileError(path, None, "no figure rows", "one row per figure below the header")
    text = frame["value"].fillna("").str.strip()
    suppressed = text.str.extract(_SUPPRESSED, expand=False)
    is_number = text.str.match(_NUMBER)
    _first_bad(path, frame, suppressed.isna() & ~is_number, "value", 'a number such as 357 or 1,521, or "<5"')
    for column in ("period_start", "period_end"):
        dates = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
        _first_bad(path, frame, dates.isna(), column, "an ISO date YYYY-MM-DD")
        frame[column] = dates.dt.date
    for column, default in (("source_url", defaults.get("source_url")), ("reliability", defaults.get("reliability"))):
        values = frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        frame[column] = values.fillna(default) if default else values
        _first_bad(path, frame, frame[column].isna(), column, f"a {column} in the row or in the provenance record")
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
            "value": pd.to_numeric(text.str.replace(",", "", regex=False).where(is_number), errors="coerce"),
            "value_text": text,
            "suppressed_below": pd.to_numeric(suppressed, errors="coerce").astype("Int64"),
            "unit": frame["unit"],
            "qualifier": np.where(suppressed.notna(), "less_than", qualifier.fillna("exact")),
            "period_start": frame["period_start"],
            "period_end": frame["period_end"],
            "source_url": frame["source_url"],
            "quote": frame.get("quote"),
            "reliability": frame["reliability"],
            "note": frame.get("note"),
        }
    )
