"""Plausibility: a file's figures against its own earlier periods, the warehouse, and the version it replaces.

Every rule works on one long form, `measures(kind, tables)`: one row per published number with where it sits
in the file (`row_ref`, `field`), its jurisdiction, measure and period. The rules turn it into plain frames
(one row per comparison, the comparison spelled out in `row_ref`) that one great-expectations expectation each
can judge (quality/suites.py), as the other frames do.

Thresholds, and why:
- `JUMP_ERROR_RATIO`: a figure 10 times (or a tenth of) the same jurisdiction's previous period, or of the
  value it replaces, is an extra or a lost digit, not a trend: refused unless the record's `correction_note`
  says why. The largest real year-on-year change in the hotline state tables 2012-2016 is 5.9x (SD calls
  2012-2013: 19 -> 113).
- `WARNING_RATIO`: smaller jumps worth a look; shown, never blocking. A correction that moves a value by more
  than this is refused without a `correction_note`: revisions are small (1,733 -> 1,734), retypings are not.
- `MIN_COUNT`: ratios of small counts are noise (2 -> 9 cases happens), so a change is judged only where the
  larger of the two values is at least this.
- `CASES_PER_CONTACT_MAX`: every hotline case starts from at least one contact. "Calls" are phone calls only,
  and texts, chats, e-mails and web forms lead to cases too, so a state's cases may exceed its calls; but the
  highest real ratio 2012-2016 is 0.66 cases per call (NV 2016: 161 cases from 243 calls). Above 2 cases per
  contact the cases (or the contacts) are mistyped.
- `SHARE_ROUNDING`: the current state table prints each state's share of the national total to two decimals,
  so a share is within 0.005 points of its count divided by the national total; one total must fit every row.

pandas and numpy are imported in the functions: the code location imports this module (the suites name its
thresholds) and loads without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestration.quality.frames import state_code
from orchestration.vocabulary import vocabulary

if TYPE_CHECKING:
    import pandas as pd

JUMP_ERROR_RATIO = 10.0
MIN_COUNT = 20
CASES_PER_CONTACT_MAX = 2.0
# Report releases: the headline moving 50% was already worth a note; hotline tables grow fast in small states.
WARNING_RATIO = {"report_releases": 1.5}
DEFAULT_WARNING_RATIO = 3.0
# What the hotline's state tables count, and the national figure (hotline_published_figures, US) to compare with.
CONTACTS = ("calls", "signals")
NATIONAL_EQUIVALENTS = {
    ("cases", "total", "all"): "cases",
    ("signals", "channel", "phone"): "calls",
    ("signals", "channel", "all"): "signals",
}
CHANGES_LISTED = 50

MEASURE_COLUMNS = ["row_ref", "field", "jurisdiction", "measure", "period_start", "period_end", "period", "value"]
# Columns of the state tables (2012-2016 layout, current layout) and what they count.
STATE_TABLE_MEASURES = {"Calls": "calls", "Cases_Reported": "cases"}
STATE_SIGNALS_MEASURES = {"signals_received": "signals", "cases_identified": "cases"}
# The current state layout prints shares of the national totals to two decimals: each is within this of the truth.
SHARE_ROUNDING = 0.005
SHARE_COLUMNS = {"signals_received": "signals_percent_of_total", "cases_identified": "cases_percent_of_total"}


def warning_ratio(kind: str) -> float:
    return WARNING_RATIO.get(kind, DEFAULT_WARNING_RATIO)


def change_ratio(a: Any, b: Any) -> float:
    """How many times larger the larger value is (NaN below MIN_COUNT or where a value is missing)."""
    import numpy as np
    import pandas as pd

    if pd.isna(a) or pd.isna(b) or max(a, b) < MIN_COUNT:
        return np.nan
    return float(max(a, b) / max(min(a, b), 1))


def _year_period(years: pd.Series) -> tuple[pd.Series, pd.Series]:
    return years.astype(int).astype(str) + "-01-01", years.astype(int).astype(str) + "-12-31"


def _fiscal_period(years: pd.Series) -> tuple[pd.Series, pd.Series]:
    return (years.astype(int) - 1).astype(str) + "-10-01", years.astype(int).astype(str) + "-09-30"


def _melt(frame: pd.DataFrame, columns: dict[str, str], jurisdiction: pd.Series, where: pd.Series) -> pd.DataFrame:
    """One measure row per (row, column): `columns` maps a column to the measure it counts."""
    import pandas as pd

    parts = [
        pd.DataFrame(
            {
                "row_ref": where,
                "field": column,
                "jurisdiction": jurisdiction,
                "measure": measure,
                "period_start": frame["_start"],
                "period_end": frame["_end"],
                "period": frame["_label"],
                "value": pd.to_numeric(frame[column], errors="coerce").astype(float),
            }
        )
        for column, measure in columns.items()
        if column in frame
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=MEASURE_COLUMNS)


def measures(kind: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every published number of a parsed file in the long form the rules compare."""
    import pandas as pd

    if kind == "report_releases":
        return _release_measures(tables)
    [(table, frame)] = tables.items()  # a hotline file fills one raw table
    frame = frame.copy()
    if table == "hotline_state_signals_cases":
        frame["_start"] = frame["period_start"].astype(str)
        frame["_end"] = frame["period_end"].astype(str)
        whole_year = frame["_start"].str.endswith("-01-01") & (frame["_end"] == frame["_start"].str[:4] + "-12-31")
        frame["_label"] = frame["_start"].str[:4].where(whole_year, frame["_start"] + ".." + frame["_end"])
        state = state_code(frame)
        where = "line " + frame["source_line"].astype(str) + " (" + state + " " + frame["_label"] + ")"
        long = _melt(frame, STATE_SIGNALS_MEASURES, "US-" + state, where)
        return long[long["jurisdiction"].isin(vocabulary().jurisdictions)]  # unknown names: state_code_is_real
    if table == "hotline_state_calls_cases":
        frame["_start"], frame["_end"] = _year_period(frame["Year_Date"])
        frame["_label"] = frame["Year_Date"].astype(str)
        jurisdiction = "US-" + frame["postal"].astype(str)
        where = "line " + frame["source_line"].astype(str) + " (" + frame["postal"] + " " + frame["_label"] + ")"
        return _melt(frame, STATE_TABLE_MEASURES, jurisdiction, where)
    if table == "hotline_national_signals_fy":
        frame["_start"], frame["_end"] = _fiscal_period(frame["fiscal_year"])
        frame["_label"] = "FY" + frame["fiscal_year"].astype(str)
        where = "line " + frame["source_line"].astype(str) + " (" + frame["_label"] + ")"
        columns = [c for c in frame if c.endswith(("signals", "victims", "identified")) and c != "fiscal_year"]
        return _melt(frame, {c: c for c in columns}, pd.Series("US", index=frame.index), where)
    if table == "hotline_published_figures":
        _date_range(frame)
        frame["_measure"] = _figure_measure(frame) + "|" + frame["scope"].astype(str)
        where = "line " + frame["source_line"].astype(str) + " (" + frame["figure_id"].astype(str) + ")"
        long = _melt(frame, {"value": "value"}, frame["jurisdiction"], where)
        long["measure"] = frame["_measure"].to_numpy()
        return long
    return pd.DataFrame(columns=MEASURE_COLUMNS)


def _date_range(frame: pd.DataFrame) -> None:
    """The period columns the long form needs, for tables with period_start and period_end dates."""
    frame["_start"] = frame["period_start"].astype(str)
    frame["_end"] = frame["period_end"].astype(str)
    frame["_label"] = frame["_start"] + ".." + frame["_end"]


def _figure_measure(figures: pd.DataFrame) -> pd.Series:
    return (
        figures["metric"].astype(str)
        + "|"
        + figures["base_population"].fillna("").astype(str)
        + "|"
        + figures["breakdown_dimension"].astype(str)
        + ":"
        + figures["breakdown_category"].astype(str)
        + "|"
        + figures["unit"].astype(str)
    )


def _release_measures(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    release = tables["report_releases"].iloc[0]
    figures = tables["report_figures"].copy()
    own = figures["jurisdiction_id"] if "jurisdiction_id" in figures else pd.Series(None, index=figures.index)
    jurisdiction = own.fillna(release["jurisdiction_id"]).astype(str)
    # A figure the publisher repeats keeps its own place: numbered within its key, like the duplicate rule.
    key = [jurisdiction, _figure_measure(figures), figures["period_start"].astype(str), figures["period_end"]]
    ordinal = figures.groupby(key, sort=False).cumcount()
    _date_range(figures)
    breakdown = figures["breakdown_dimension"].astype(str) + ":" + figures["breakdown_category"].astype(str)
    where = "figures[" + figures["figure_index"].astype(str) + "] (" + figures["metric"].astype(str) + " "
    where = where + breakdown + " " + figures["_label"] + ")"
    long = _melt(figures, {"value": "value"}, jurisdiction, where)
    long["measure"] = (_figure_measure(figures) + "|" + ordinal.astype(str)).to_numpy()
    return long


def trend_measures(kind: str, long: pd.DataFrame) -> pd.DataFrame:
    """The numbers followed from period to period: every count of a hotline series, a release's totals."""
    if kind == "hotline_published_figures":  # figures of many scopes and sources: corrections only
        return long.iloc[0:0]
    if kind == "report_releases":
        return long[long["measure"].str.contains("|total:all|count|", regex=False)]
    return long


def _versus(rows: pd.DataFrame, other: str, label: str) -> pd.Series:
    """Where each row is and what it is compared with: `line 2 (AL 2016), Cases_Reported = 48,000 vs 54`."""
    count = "{:,.0f}".format
    return (
        rows["row_ref"]
        + ", "
        + rows["field"]
        + " = "
        + rows["value"].map(count)
        + f" vs {label}"
        + rows[other].map(count)
    )


def jumps(current: pd.DataFrame, earlier: pd.DataFrame, noted: bool) -> pd.DataFrame:
    """Each number against the same jurisdiction's and measure's latest earlier period, in this file or in the
    warehouse's other files (`earlier`, with a `source` column naming the file)."""
    import numpy as np
    import pandas as pd

    columns = ["row_ref", "ratio", "unexplained_ratio"]
    pool = pd.concat([current.assign(source=""), earlier], ignore_index=True).dropna(subset=["value"])
    rows = current.dropna(subset=["value"])
    if rows.empty or pool.empty:
        return pd.DataFrame(columns=columns).astype({"ratio": float, "unexplained_ratio": float})
    series = ["jurisdiction", "measure"]
    left = rows.assign(_at=pd.to_datetime(rows["period_start"])).astype(dict.fromkeys(series, str)).sort_values("_at")
    right = pool.assign(_at=pd.to_datetime(pool["period_end"])).astype(dict.fromkeys(series, str)).sort_values("_at")
    paired = pd.merge_asof(
        left,
        right[["jurisdiction", "measure", "_at", "value", "period", "source"]],
        on="_at",
        by=series,
        direction="backward",
        allow_exact_matches=False,  # a period ending the day this one starts overlaps it
        suffixes=("", "_before"),
    ).dropna(subset=["value_before"])
    ratio = pd.Series(
        [change_ratio(a, b) for a, b in zip(paired["value"], paired["value_before"], strict=True)], dtype=float
    )
    where = paired["source"].map(lambda s: f" in {s}" if s else "")
    refs = _versus(paired, "value_before", "") + " for " + paired["period_before"] + where
    return pd.DataFrame(
        {
            "row_ref": refs.to_numpy(),
            "ratio": ratio.to_numpy(),
            "unexplained_ratio": (ratio * np.nan if noted else ratio).to_numpy(),
        },
        columns=columns,
    )


def national_comparison(current: pd.DataFrame, national: pd.DataFrame) -> pd.DataFrame:
    """State numbers beside the national figure for the same measure and period (none where not published)."""
    import pandas as pd

    states = current[current["jurisdiction"].isin(vocabulary().states) & current["measure"].isin(["cases", *CONTACTS])]
    joined = states.merge(national, on=["measure", "period_start", "period_end"], how="inner", suffixes=("", "_us"))
    return pd.DataFrame(
        {
            "row_ref": _versus(joined, "value_us", "national ") + " (" + joined["source"] + ")",
            "value": joined["value"].astype(float),
            "national": joined["value_us"].astype(float),
        },
        columns=["row_ref", "value", "national"],
    )


def national_figures(published: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """National (US) calendar-period figures for the state rules, from hotline_published_figures tables."""
    import pandas as pd

    parts = []
    for table in published:
        us = table[(table["jurisdiction"] == "US") & (table["unit"] == "count")]
        for (metric, dimension, category), measure in NATIONAL_EQUIVALENTS.items():
            rows = us[
                (us["metric"] == metric)
                & (us["breakdown_dimension"] == dimension)
                & (us["breakdown_category"] == category)
                & us["base_population"].isna()
            ]
            parts.append(
                pd.DataFrame(
                    {
                        "measure": measure,
                        "period_start": rows["period_start"].astype(str),
                        "period_end": rows["period_end"].astype(str),
                        "value": pd.to_numeric(rows["value"], errors="coerce"),
                        "source": rows["source_file"] + " " + rows["figure_id"],
                    }
                )
            )
    columns = ["measure", "period_start", "period_end", "value", "source"]
    if not parts:
        return pd.DataFrame(columns=columns)
    # Several published figures for one period: the largest is the most lenient bound.
    found = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    return found.sort_values("value").drop_duplicates(["measure", "period_start", "period_end"], keep="last")


def contacts_comparison(current: pd.DataFrame) -> pd.DataFrame:
    """Each state row's cases beside CASES_PER_CONTACT_MAX times its contacts (calls or signals)."""
    import pandas as pd

    wide = current[current["measure"].isin(["cases", *CONTACTS])].pivot_table(
        index="row_ref", columns="measure", values="value", aggfunc="first"
    )
    if "cases" not in wide or not any(c in wide for c in CONTACTS):
        return pd.DataFrame(columns=["row_ref", "cases", "contact_limit"]).astype(
            {"cases": float, "contact_limit": float}
        )
    contact = next(c for c in CONTACTS if c in wide)
    cases = wide["cases"].where(wide["cases"] >= MIN_COUNT)
    refs = wide.index.to_series() + ", cases = " + wide["cases"].map("{:,.0f}".format) + f" vs {contact} = "
    return pd.DataFrame(
        {
            "row_ref": (refs + wide[contact].map("{:,.0f}".format)).to_numpy(),
            "cases": cases.astype(float).to_numpy(),
            "contact_limit": (wide[contact] * CASES_PER_CONTACT_MAX).astype(float).to_numpy(),
        }
    )


def coverage(current: pd.DataFrame, partial_scope: str | None) -> pd.DataFrame:
    """One row per (period, state or DC) the table should hold, `present` True where it does.

    Empty when the provenance record declares a partial scope: the table then covers what it says it does.
    """
    import pandas as pd

    columns = ["row_ref", "present"]
    if partial_scope or current.empty:
        return pd.DataFrame(columns=columns).astype({"present": bool})
    expected = sorted(vocabulary().states)
    held = set(zip(current["period"], current["jurisdiction"], strict=True))
    rows = [
        {"row_ref": f"{period}: no row for {state.removeprefix('US-')}", "present": (period, state) in held}
        for period in sorted(current["period"].unique())
        for state in expected
    ]
    return pd.DataFrame(rows, columns=columns)


@dataclass
class Correction:
    """How a re-delivered file differs from the version of it in the warehouse."""

    previous_sha256: str
    added: list[str]
    removed: list[str]
    changed: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "previous_sha256": self.previous_sha256,
            "rows_added": len(self.added),
            "rows_removed": len(self.removed),
            "values_changed": len(self.changed),
            "added": self.added[:CHANGES_LISTED],
            "removed": self.removed[:CHANGES_LISTED],
            "changed": self.changed[:CHANGES_LISTED],
        }

    def markdown(self) -> str:
        lines = [
            f"Compared with the loaded version `{self.previous_sha256[:12]}`: {len(self.added)} row(s) added, "
            f"{len(self.removed)} removed, {len(self.changed)} value(s) changed."
        ]
        if self.changed:
            lines += ["", "| where | old | new | change |", "|---|---|---|---|"]
            lines += [
                f"| {c['row']} | {c['old']:,.0f} | {c['new']:,.0f} | {c['ratio_text']} |"
                for c in self.changed[:CHANGES_LISTED]
            ]
        for title, items in (("Added", self.added), ("Removed", self.removed)):
            if items:
                lines += ["", f"{title}: " + "; ".join(items[:CHANGES_LISTED])]
        return "\n".join(lines)


def correction(current: pd.DataFrame, previous: pd.DataFrame, previous_sha256: str) -> Correction:
    import numpy as np

    key = ["jurisdiction", "measure", "period_start", "period_end", "field"]
    joined = current.merge(previous, on=key, how="outer", suffixes=("", "_old"), indicator=True)
    added = joined[joined["_merge"] == "left_only"]
    removed = joined[joined["_merge"] == "right_only"]
    both = joined[joined["_merge"] == "both"]
    differs = both[~((both["value"] == both["value_old"]) | (both["value"].isna() & both["value_old"].isna()))]
    changed = []
    for row in differs.itertuples(index=False):
        ratio = change_ratio(row.value, row.value_old)
        changed.append(
            {
                "row": f"{row.row_ref}, {row.field}",
                "old": row.value_old,
                "new": row.value,
                "ratio": ratio,
                "ratio_text": "small numbers" if np.isnan(ratio) else f"x{ratio:.2f}",
            }
        )
    return Correction(
        previous_sha256,
        [f"{r.row_ref}, {r.field}" for r in added.itertuples(index=False)],
        [f"{r.row_ref_old}, {r.field}" for r in removed.itertuples(index=False)],
        changed,
    )


def correction_frame(found: Correction | None, noted: bool) -> pd.DataFrame:
    """One row per changed value: `unexplained_ratio` is what the correction rule judges."""
    import numpy as np
    import pandas as pd

    changed = found.changed if found else []
    return pd.DataFrame(
        {
            "row_ref": [f"{c['row']}: {c['old']:,.0f} -> {c['new']:,.0f}" for c in changed],
            "ratio": [c["ratio"] for c in changed],
            "unexplained_ratio": [np.nan if noted else c["ratio"] for c in changed],
        },
        columns=["row_ref", "ratio", "unexplained_ratio"],
    ).astype({"ratio": float, "unexplained_ratio": float})


def implied_total(counts: pd.Series, shares: pd.Series) -> float:
    """The national total that the most rows' count and rounded share agree on.

    Each row with a share says the total lies in [count / (share + rounding), count / (share - rounding)]; the
    point covered by the most of these intervals is the total, so one wrong row cannot move it. Where no point
    fits half of the rows (a shifted column), the median of count / share stands in. NaN without rows.
    """
    import numpy as np

    rows = (counts > 0) | (shares > 0)
    low = (counts / (shares + SHARE_ROUNDING) * 100)[rows]
    high = (counts / (shares - SHARE_ROUNDING).where(shares > SHARE_ROUNDING) * 100)[rows].fillna(np.inf)
    events = sorted([(v, 0) for v in low] + [(v, 1) for v in high])  # at a tie an interval opens before one closes
    best, depth, total = 0, 0, np.nan
    for n, (value, closes) in enumerate(events):
        depth += -1 if closes else 1
        if depth > best:
            best = depth
            following = events[n + 1][0] if n + 1 < len(events) else value
            total = value if np.isinf(following) else (value + following) / 2
    if best * 2 < rows.sum():
        return float((counts / shares * 100)[shares > 0].median())
    return float(total)


def share_consistency(table: pd.DataFrame) -> pd.DataFrame:
    """Each published share beside the share its count makes of the implied national total (current layout)."""
    import pandas as pd

    columns = ["row_ref", "deviation"]
    if "signals_received" not in table:
        return pd.DataFrame(columns=columns).astype({"deviation": float})
    where = "line " + table["source_line"].astype(str) + " (" + state_code(table) + "), "
    parts = []
    for count_column, share_column in SHARE_COLUMNS.items():
        counts, shares = table[count_column].astype(float), table[share_column].astype(float)
        total = implied_total(counts, shares)
        implied = counts / total * 100
        refs = (
            where
            + f"{share_column} = "
            + shares.map("{:.2f}%".format)
            + ", but "
            + counts.map("{:,.0f}".format)
            + f" of the implied national {total:,.0f} is "
            + implied.map("{:.2f}%".format)
        )
        parts.append(pd.DataFrame({"row_ref": refs, "deviation": (implied - shares).abs()}))
    return pd.concat(parts, ignore_index=True)
