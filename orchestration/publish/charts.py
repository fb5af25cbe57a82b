"""Charts of the published snapshot, drawn with matplotlib (imported here only, when the charts asset runs)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

# Hotline state pages: show the states with the most cases; 51 bars are unreadable in the UI.
TOP_STATES = 15


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


def draw_charts(snapshot: Path, folder: Path) -> list[Chart]:
    """Draw the summary charts from the snapshot into `folder` as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        victims = _victims_by_period_and_type(conn)
        states = _hotline_cases_by_state(conn)
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
    return charts


def _save(plt, ax, path: Path, name: str, title: str) -> Chart:
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=90)
    plt.close(ax.figure)
    return Chart(name, title, path)
