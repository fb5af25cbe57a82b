"""Frames the expectation suites validate: the parsed tables plus derived columns and tables.

Rules that span rows (parts of a breakdown versus their total, duplicates, text cells) are turned into
plain columns here, so that each rule is one ordinary great-expectations expectation with row-level detail.
Every frame has a `row_ref` column that says where a row came from: `figures[3]` or `line 17`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from orchestration.vocabulary import vocabulary

# Spreadsheets execute cells starting with these characters (CSV injection): refuse them in text fields.
FORMULA_PATTERN = r"^\s*[=+@\t\r]|^\s*-\s*[A-Za-z(]"
# A headline victim count that moves more than this versus the previous release needs a note.
JUMP_THRESHOLD_PERCENT = 50.0
TEXT_FIELDS = (
    "publisher",
    "title",
    "notes",
    "release_date_note",
    "document_url_note",
    "quote",
    "note",
    "State",
    "dataset_title",
    "dataset_notes",
)


def _figure_columns(figures: pd.DataFrame) -> pd.DataFrame:
    """Columns shared by release figures and hotline published figures."""
    voc = vocabulary()
    frame = figures.copy()
    frame["metric_unit"] = frame["metric"] + ":" + frame["unit"]
    frame["breakdown"] = frame["breakdown_dimension"] + ":" + frame["breakdown_category"]
    value = pd.to_numeric(frame["value"], errors="coerce")
    is_count = frame["unit"] == "count"
    frame["count_value"] = value.where(is_count)
    frame["count_fraction"] = (value % 1).where(is_count)
    frame["percent_value"] = value.where(frame["unit"] == "percent")
    text = frame["value_text"].astype(str)
    suppressed_text = text.str.strip().str.startswith("<")
    frame["suppression_marked"] = np.where(
        suppressed_text, value.isna() & (frame["qualifier"] == "less_than"), frame["qualifier"] != "less_than"
    )
    frame["base_key"] = frame["base_population"].fillna("")
    frame["allowed_metric_units"] = frame["metric"].map(lambda m: "|".join(sorted(voc.metric_units.get(m, []))))
    return frame


def breakdown_totals(figures: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """One row per breakdown (group x dimension): its total, largest part, sum of parts and completeness."""
    voc_required: dict[str, set[str]] = {}
    for dimension, category in vocabulary().required_parts:
        voc_required.setdefault(dimension, set()).add(category)
    counts = figures[(figures["unit"] == "count") & figures["count_value"].notna()]
    totals = counts[counts["breakdown_dimension"] == "total"].groupby(group, dropna=False)["count_value"].max()
    rows = []
    parts = counts[counts["breakdown_dimension"] != "total"]
    for key, part in parts.groupby([*group, "breakdown_dimension"], dropna=False):
        *group_key, dimension = key
        total = totals.get(tuple(group_key) if len(group_key) > 1 else group_key[0])
        required = voc_required.get(dimension)
        complete = bool(required) and required <= set(part["breakdown_category"])
        rows.append(
            {
                "row_ref": f"{dimension} parts " + ", ".join(part["row_ref"]),
                "breakdown": f"{dimension} of {' / '.join(str(k) for k in group_key)}",
                "total": total,
                "max_part": part["count_value"].max(),
                "sum_gap": (part["count_value"].sum() - total) if complete and total is not None else np.nan,
            }
        )
    columns = ["row_ref", "breakdown", "total", "max_part", "sum_gap"]
    return pd.DataFrame(rows, columns=columns).astype({"total": float, "max_part": float, "sum_gap": float})


def text_cells(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Every text cell as (row_ref, field, text), so one expectation can name the field that is wrong."""
    cells = []
    for frame in frames:
        for field in TEXT_FIELDS:
            if field in frame:
                values = frame[["row_ref", field]].dropna()
                cells.extend(
                    {"row_ref": f"{r.row_ref}.{field}", "text": str(getattr(r, field))} for r in values.itertuples()
                )
    return pd.DataFrame(cells, columns=["row_ref", "text"])


def report_release_frames(tables: dict[str, pd.DataFrame], previous_headline: float | None) -> dict[str, pd.DataFrame]:
    releases = tables["report_releases"].copy()
    releases["row_ref"] = "release"
    today = dt.date.today()
    releases["release_days_after_today"] = [
        (d - today).days if isinstance(d, dt.date) else np.nan for d in releases["release_date"]
    ]
    figures = tables["report_figures"].copy()
    figures["row_ref"] = [f"figures[{i}]" for i in figures["figure_index"]]
    figures = _figure_columns(figures)
    group = ["metric", "base_key", "period_start", "period_end"]
    headline = figures[
        (figures["metric"] == "victims")
        & (figures["breakdown_dimension"] == "total")
        & (figures["unit"] == "count")
        & (figures["period_start"] == releases["period_start"].iloc[0])
        & (figures["period_end"] == releases["period_end"].iloc[0])
    ]
    jump = pd.DataFrame({"row_ref": ["release"], "unexplained_jump_percent": [np.nan]})
    if previous_headline and not headline.empty:
        current = float(headline["count_value"].max())
        explained = bool(releases["notes"].notna().iloc[0]) or headline["note"].notna().any()
        if not explained:
            jump.loc[0, "unexplained_jump_percent"] = abs(current - previous_headline) / previous_headline * 100
    return {
        "release": releases,
        "figures": figures,
        "breakdowns": breakdown_totals(figures, group),
        "text_cells": text_cells([releases, figures]),
        "jump": jump,
    }


def hotline_frames(kind: str, table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    frame = table.copy()
    frame["row_ref"] = [f"line {n}" for n in frame["source_line"]]
    frames = {"rows": frame, "text_cells": text_cells([frame])}
    if kind == "hotline_published_figures":
        figures = _figure_columns(frame)
        frames["rows"] = figures
        group = ["jurisdiction", "metric", "base_key", "scope", "period_start", "period_end"]
        frames["breakdowns"] = breakdown_totals(figures, group)
    return frames
