"""Charts of the published snapshot, drawn with matplotlib (imported here only, when the charts asset runs)."""

from __future__ import annotations

import base64
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd

# Hotline state pages: show the states with the most cases; 51 bars are unreadable in the UI.
TOP_STATES = 15
# States followed over the years: the largest by cases in the latest year; more lines are unreadable.
SERIES_STATES = 6


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    path: Path

    def markdown(self) -> str:
        """The PNG inline, so the Dagster UI shows it in the asset's metadata."""
        encoded = base64.b64encode(self.path.read_bytes()).decode("ascii")
        return f"**{self.title}**\n\n![{self.title}](data:image/png;base64,{encoded})"


def _victims_by_period_and_type(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The US task force with the longest series (today: Orange County), periods in order, types as columns."""
    frame = conn.execute(
        """
        with busiest as (
            select jurisdiction_id from bi.victims_by_period_and_type
            where jurisdiction_id like 'US-%'
            group by jurisdiction_id order by count(distinct period_label) desc, jurisdiction_id limit 1
        )
        select jurisdiction_name, period_label, period_start, trafficking_type, victims
        from bi.victims_by_period_and_type
        where jurisdiction_id in (select jurisdiction_id from busiest)
        order by period_start, trafficking_type
        """
    ).df()
    return frame


def _hotline_cases_by_state(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Cases per state in the calendar year the hotline's state pages cover most states for (latest first)."""
    return conn.execute(
        f"""
        with states as (
            select state_postal, period_label, period_start, cases
            from bi.hotline_cases
            where jurisdiction_level = 'state' and measure = 'cases' and breakdown = 'total' and cases is not null
        ),

        best_year as (
            select period_start from states
            group by period_start order by count(distinct state_postal) desc, period_start desc limit 1
        )

        -- Two sources can give the same state and year (they agree, or audit.conflict_register says so).
        select state_postal, any_value(period_label) as period_label, max(cases) as cases
        from states
        where period_start = (select period_start from best_year)
        group by state_postal
        order by cases desc
        limit {TOP_STATES}
        """
    ).df()


def _hotline_state_series(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Exact cases and contacts (phone calls, or signals on all channels) per year for the largest states."""
    return conn.execute(
        f"""
        with figures as (
            select state_postal, year(period_start) as year, 'cases' as series, cases as value
            from bi.hotline_cases
            where jurisdiction_level = 'state' and measure = 'cases' and breakdown = 'total' and qualifier = 'exact'
                and period_label = cast(year(period_start) as varchar)
            union all
            select state_postal, year(period_start), case channel when 'phone' then 'calls' else 'signals' end, signals
            from bi.hotline_signals
            where jurisdiction_level = 'state' and measure = 'signals' and channel in ('phone', 'all')
                and qualifier = 'exact' and period_label = cast(year(period_start) as varchar)
        ),

        largest as (
            select state_postal from figures
            where series = 'cases' and year = (select max(year) from figures where series = 'cases')
            group by state_postal order by max(value) desc limit {SERIES_STATES}
        )

        -- Two sources can give the same state and year (they agree, or audit.conflict_register says so).
        select state_postal, year, series, max(value) as value
        from figures
        where state_postal in (select state_postal from largest)
        group by all
        order by state_postal, year
        """
    ).df()


def _draw_state_series(plt, series: pd.DataFrame, path: Path) -> Chart:
    """Two panels over the years: cases, and contacts, where the state tables changed from phone calls to
    signals on every channel. Years no source covers stay empty (no line is drawn across them)."""
    import pandas as pd

    years = list(range(int(series["year"].min()), int(series["year"].max()) + 1))
    figure, (cases_ax, contacts_ax) = plt.subplots(1, 2, figsize=(12, 4.8), sharex=True)
    states = series.groupby("state_postal")["value"].max().sort_values(ascending=False).index
    for n, state in enumerate(states):
        color = f"C{n}"
        rows = series[series["state_postal"] == state].pivot_table(index="year", columns="series", values="value")
        rows = rows.reindex(years)
        cases_ax.plot(rows.index, rows.get("cases"), marker="o", color=color, label=state)
        if "calls" in rows:
            contacts_ax.plot(rows.index, rows["calls"], marker="o", color=color, label=f"{state} calls")
        if "signals" in rows:
            contacts_ax.plot(rows.index, rows["signals"], marker="s", linestyle="--", color=color)
    first_signals = series.loc[series["series"] == "signals", "year"].min()
    if pd.notna(first_signals):
        for ax in (cases_ax, contacts_ax):
            ax.axvline(first_signals - 0.5, color="grey", linestyle=":", linewidth=1)
        contacts_ax.annotate(
            "calls (phone only) | signals\n(all channels)",
            xy=(first_signals - 0.6, 0.97),
            xycoords=("data", "axes fraction"),
            ha="right",
            va="top",
            fontsize="small",
            color="grey",
        )
    cases_ax.set(title="Cases", xlabel="Year", ylabel="Cases")
    contacts_ax.set(title="Contacts: calls (circles), then signals (squares)", xlabel="Year", ylabel="Contacts")
    cases_ax.legend(title=None, fontsize="small")
    title = f"National Human Trafficking Hotline, largest {len(states)} states by year (years not published are gaps)"
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return Chart("hotline_states_by_year", title, path)


def draw_charts(snapshot: Path, folder: Path) -> list[Chart]:
    """Draw the summary charts from the snapshot into `folder` as PNG files: into a folder beside it, renamed to
    `folder` once every chart is drawn, so that `folder` holds all of them or does not exist."""
    partial = folder.with_name(f".{folder.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        charts = _draw(snapshot, partial)
        shutil.rmtree(folder, ignore_errors=True)  # drawn again
        partial.rename(folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return [replace(chart, path=folder / chart.path.name) for chart in charts]


def _draw(snapshot: Path, folder: Path) -> list[Chart]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with duckdb.connect(str(snapshot), read_only=True) as conn:
        victims = _victims_by_period_and_type(conn)
        states = _hotline_cases_by_state(conn)
        series = _hotline_state_series(conn)
    charts: list[Chart] = []

    if not victims.empty:
        wide = victims.pivot_table(
            index=["period_start", "period_label"], columns="trafficking_type", values="victims", aggfunc="sum"
        ).droplevel("period_start")
        title = f"Victims assisted by period and trafficking type: {victims['jurisdiction_name'].iloc[0]}"
        ax = wide.plot(kind="bar", stacked=True, figsize=(9, 4.5), rot=0)
        ax.set(title=title, xlabel="Reporting period (as released)", ylabel="Victims")
        ax.legend(title=None, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
        charts.append(_save(plt, ax, folder / "victims_by_period_and_type.png", "victims_by_period_and_type", title))

    if not states.empty:
        title = (
            f"National Human Trafficking Hotline cases by state, {states['period_label'].iloc[0]} (top {TOP_STATES})"
        )
        ax = states.iloc[::-1].plot(kind="barh", x="state_postal", y="cases", legend=False, figsize=(8, 5))
        ax.set(title=title, xlabel="Cases reported to the hotline", ylabel="State")
        charts.append(_save(plt, ax, folder / "hotline_cases_by_state.png", "hotline_cases_by_state", title))

    if not series.empty:
        charts.append(_draw_state_series(plt, series, folder / "hotline_states_by_year.png"))
    return charts


def _save(plt, ax, path: Path, name: str, title: str) -> Chart:
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=90)
    plt.close(ax.figure)
    return Chart(name, title, path)
