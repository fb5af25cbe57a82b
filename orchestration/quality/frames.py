"""Frames the expectation suites validate: the parsed tables plus derived columns and tables.

Rules that span rows (parts of a breakdown versus their total, duplicates, text cells) are turned into
plain columns here, so that each rule is one ordinary great-expectations expectation with row-level detail.
Every frame has a `row_ref` column that says where a row came from: `figures[3]` or `line 17`.
pandas and numpy are imported in the functions: the code location imports this module (the suites name its
thresholds) and loads without them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from orchestration.parsers.report_release import TRANSCRIBED_SUFFIXES
from orchestration.parsers.unodc_glotip import REPEATED_NOTE
from orchestration.vocabulary import OPEN_CATEGORY, PART_SEPARATOR, vocabulary

if TYPE_CHECKING:
    import pandas as pd

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
    import numpy as np
    import pandas as pd

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
    frame["repeat_ordinal"] = 0
    frame["allowed_metric_units"] = frame["metric"].map(lambda m: "|".join(sorted(voc.metric_units.get(m, []))))
    return frame


def breakdown_parts(figures: pd.DataFrame) -> pd.DataFrame:
    """One row per part of each figure's breakdown (`gender+age_group` / `female+minor` gives two), with the
    category of an open dimension (free text, e.g. citizenship) written as `*`: what the vocabulary lists."""
    import pandas as pd

    open_dimensions = vocabulary().open_dimensions
    combined = figures["breakdown_dimension"].astype(str).str.contains(PART_SEPARATOR, regex=False)
    single = figures[~combined]
    parts = [
        pd.DataFrame(
            {
                "row_ref": single["row_ref"],
                "dimension": single["breakdown_dimension"].astype(str),
                "category": single["breakdown_category"].astype(str),
            }
        )
    ]
    if combined.any():  # few rows: split them part by part
        several = figures[combined]
        rows = [
            (ref, dimension, category)
            for ref, dimensions, categories in zip(
                several["row_ref"], several["breakdown_dimension"], several["breakdown_category"], strict=True
            )
            for dimension, category in zip(
                str(dimensions).split(PART_SEPARATOR), _padded(str(categories), str(dimensions)), strict=True
            )
        ]
        parts.append(pd.DataFrame(rows, columns=["row_ref", "dimension", "category"]))
    exploded = pd.concat(parts, ignore_index=True)
    category = exploded["category"].where(~exploded["dimension"].isin(open_dimensions), OPEN_CATEGORY)
    return pd.DataFrame({"row_ref": exploded["row_ref"], "part": exploded["dimension"] + ":" + category})


def _padded(categories: str, dimensions: str) -> list[str]:
    """The categories of a combined breakdown, one per dimension ('' where they do not line up: reported)."""
    values = categories.split(PART_SEPARATOR)
    wanted = dimensions.count(PART_SEPARATOR) + 1
    return values if len(values) == wanted else [""] * wanted


def breakdown_totals(figures: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """One row per breakdown (group x dimension): its total, largest part, sum of parts and completeness."""
    import numpy as np
    import pandas as pd

    required: dict[str, int] = {}
    for dimension, _category in vocabulary().required_parts:
        required[dimension] = required.get(dimension, 0) + 1
    required_pairs = {f"{d}:{c}" for d, c in vocabulary().required_parts}
    counts = figures[(figures["unit"] == "count") & figures["count_value"].notna()]
    totals = (
        counts[counts["breakdown_dimension"] == "total"]
        .groupby(group, dropna=False)["count_value"]
        .max()
        .rename("total")
    )
    parts = counts[counts["breakdown_dimension"] != "total"].assign(
        is_required=lambda f: (f["breakdown_dimension"] + ":" + f["breakdown_category"]).isin(required_pairs)
    )
    columns = ["row_ref", "breakdown", "total", "max_part", "sum_gap"]
    if parts.empty:
        return pd.DataFrame(columns=columns).astype({"total": float, "max_part": float, "sum_gap": float})
    by_breakdown = parts.groupby([*group, "breakdown_dimension"], dropna=False, sort=False).agg(
        first_ref=("row_ref", "first"),
        part_count=("row_ref", "size"),
        max_part=("count_value", "max"),
        sum_of_parts=("count_value", "sum"),
        required_present=("is_required", "sum"),
    )
    joined = by_breakdown.reset_index().merge(totals.reset_index(), on=group, how="left")
    complete = joined["required_present"] >= joined["breakdown_dimension"].map(required).fillna(np.inf)
    labels = joined[group[0]].astype(str)
    for column in group[1:]:
        labels = labels + " / " + joined[column].astype(str)
    return pd.DataFrame(
        {
            "row_ref": joined["breakdown_dimension"]
            + " parts from "
            + joined["first_ref"]
            + " ("
            + joined["part_count"].astype(str)
            + " parts)",
            "breakdown": joined["breakdown_dimension"] + " of " + labels,
            "total": joined["total"].astype(float),
            "max_part": joined["max_part"].astype(float),
            "sum_gap": (joined["sum_of_parts"] - joined["total"])
            .where(complete & joined["total"].notna())
            .astype(float),
        },
        columns=columns,
    )


def text_cells(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Every text cell as (row_ref, field, text), so one expectation can name the field that is wrong."""
    import pandas as pd

    cells = []
    for frame in frames:
        fields = [field for field in TEXT_FIELDS if field in frame]
        if not fields:
            continue
        melted = frame[["row_ref", *fields]].melt(id_vars="row_ref", var_name="field", value_name="text").dropna()
        cells.append(
            pd.DataFrame({"row_ref": melted["row_ref"] + "." + melted["field"], "text": melted["text"].astype(str)})
        )
    return pd.concat(cells, ignore_index=True) if cells else pd.DataFrame(columns=["row_ref", "text"])


def report_release_frames(tables: dict[str, pd.DataFrame], previous_headline: float | None) -> dict[str, pd.DataFrame]:
    import numpy as np
    import pandas as pd

    releases = tables["report_releases"].copy()
    releases["row_ref"] = "release"
    today = dt.date.today()
    releases["release_days_after_today"] = [
        (d - today).days if isinstance(d, dt.date) else np.nan for d in releases["release_date"]
    ]
    figures = tables["report_figures"].copy()
    figures["row_ref"] = [f"figures[{i}]" for i in figures["figure_index"]]
    figures = _figure_columns(figures)
    # A release may cover many jurisdictions (one per figure); otherwise every figure is the release's.
    figures["jurisdiction_key"] = figures["jurisdiction_id"].fillna("") if "jurisdiction_id" in figures else ""
    group = ["jurisdiction_key", "metric", "base_key", "period_start", "period_end"]
    # A publisher's file that repeats a figure's key says so in the note (parsers/unodc_glotip.py): such rows are
    # numbered, so the duplicate rule still catches every repeat the parser did not explain.
    repeated = figures["note"].fillna("").str.startswith(REPEATED_NOTE)
    key = [*group, "breakdown", "unit"]
    figures["repeat_ordinal"] = figures.groupby(key, dropna=False, sort=False).cumcount().where(repeated, 0)
    headline = figures[
        (figures["metric"] == "victims")
        & (figures["breakdown_dimension"] == "total")
        & (figures["unit"] == "count")
        & (figures["period_start"] == releases["period_start"].iloc[0])
        & (figures["period_end"] == releases["period_end"].iloc[0])
    ]
    breakdowns = breakdown_totals(figures, group)
    transcribed = (
        str(releases["source_file"].iloc[0]).endswith(TRANSCRIBED_SUFFIXES) if "source_file" in releases else True
    )
    jump = pd.DataFrame({"row_ref": ["release"], "unexplained_jump_percent": [np.nan]})
    if previous_headline and not headline.empty:
        current = float(headline["count_value"].max())
        explained = bool(releases["notes"].notna().iloc[0]) or headline["note"].notna().any()
        if not explained:
            jump.loc[0, "unexplained_jump_percent"] = abs(current - previous_headline) / previous_headline * 100
    return {
        "release": releases,
        "figures": figures,
        # Transcribed releases (YAML) must add up; a publisher's own data file is checked with warnings only.
        "breakdowns": breakdowns if transcribed else breakdowns.iloc[0:0],
        "publisher_breakdowns": breakdowns.iloc[0:0] if transcribed else breakdowns,
        "breakdown_parts": breakdown_parts(figures),
        "text_cells": text_cells([releases, figures]),
        "jump": jump,
    }


def state_code(table: pd.DataFrame) -> pd.Series:
    """Each state row's postal code, or its name as written where the name is unknown (current layout)."""
    return table["postal"].fillna(table["State"]) if "signals_received" in table else table["postal"]


def state_rows(table: pd.DataFrame) -> pd.DataFrame:
    """A state table in either layout as one frame: `state_code` (postal code, else the name as written), `year`,
    and `calls` (2012-2016 layout), `signals` (current layout) and `cases`, NaN where a layout has none."""
    import numpy as np
    import pandas as pd

    frame = table.copy()
    current = "signals_received" in frame
    frame["state_code"] = state_code(frame)
    frame["year"] = pd.to_datetime(frame["period_start"]).dt.year if current else frame["Year_Date"]
    frame["calls"] = np.nan if current else frame["Calls"].astype(float)
    frame["signals"] = frame["signals_received"].astype(float) if current else np.nan
    frame["cases"] = (frame["cases_identified"] if current else frame["Cases_Reported"]).astype(float)
    frame["row_ref"] = (
        "line " + frame["source_line"].astype(str) + " (" + frame["state_code"] + " " + frame["year"].astype(str) + ")"
    )
    return frame


def hotline_frames(kind: str, table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    frame = table.copy()
    frame["row_ref"] = [f"line {n}" for n in frame["source_line"]]
    if kind == "hotline_state_calls_cases":
        frame = state_rows(table)
    frames = {"rows": frame, "text_cells": text_cells([frame])}
    if kind == "hotline_published_figures":
        figures = _figure_columns(frame)
        frames["rows"] = figures
        group = ["jurisdiction", "metric", "base_key", "scope", "period_start", "period_end"]
        frames["breakdowns"] = breakdown_totals(figures, group)
        frames["breakdown_parts"] = breakdown_parts(figures)
    return frames
