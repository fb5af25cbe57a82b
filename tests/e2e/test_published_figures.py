"""After a full build, the marts reproduce figures exactly as their sources published them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import BuiltWarehouse, shipped_file_count

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_full_build_passes_every_error_level_dbt_test(built_warehouse: BuiltWarehouse) -> None:
    from orchestration.defs.dbt.assets import warehouse_dbt_models
    from orchestration.defs.dbt.checks import listed_tests
    from orchestration.defs.publish import latest_dbt_test_results, latest_evaluations

    # 8 OCHTTF releases, 1 press article, UNODC, 4 hotline tables.
    assert "Files:         14 loaded, 0 refused" in built_warehouse.build_output
    assert shipped_file_count() == 14
    tests = latest_dbt_test_results(built_warehouse.instance)
    failed = [f"{t['asset_key']}:{t['check_name']}" for t in tests if not t["passed"]]
    # Only the warnings on UNODC's own inconsistencies (parts above totals in the published data) fail.
    assert sorted(failed) == [
        "marts/fct_victims:fct_victims_publisher_data_parts_not_exceeding_total",
        "marts/fct_victims:fct_victims_publisher_data_parts_sum_to_total",
        "marts/victims_by_year_and_type:victims_by_year_and_type_publisher_data_share_of_total_within_0_100",
    ]
    assert {t["severity"] for t in tests if not t["passed"]} == {"WARN"}
    # Every dbt test ran in the full build (a hundred and more), reported by its model's one `dbt_tests` check.
    declared = [test for spec in warehouse_dbt_models.check_specs for test in listed_tests(spec)]
    assert len(tests) == len(declared) > 100
    models = latest_evaluations(built_warehouse.instance, list(warehouse_dbt_models.check_keys))
    assert len(models) == len(warehouse_dbt_models.check_keys) < 40
    warned = {r.key.asset_key.to_user_string() for r in models if not r.event.asset_check_evaluation.passed}
    assert warned == {"marts/fct_victims", "marts/victims_by_year_and_type"}
    checked = {t["asset_key"].split("/")[-1] for t in tests}
    assert {"fct_victims", "fct_case_outcomes", "fct_hotline_cases", "fct_hotline_signals"} <= checked


def test_a_warning_check_shows_its_tests_and_their_failing_rows(built_warehouse: BuiltWarehouse) -> None:
    from orchestration.defs.dbt.assets import warehouse_dbt_models
    from orchestration.defs.publish import latest_evaluations

    key = next(k for k in warehouse_dbt_models.check_keys if k.asset_key.to_user_string() == "marts/fct_victims")
    evaluation = latest_evaluations(built_warehouse.instance, [key])[0].event.asset_check_evaluation
    assert evaluation.severity.value == "WARN"
    assert (
        evaluation.description.startswith("2 of ")
        and "fct_victims_publisher_data_parts_sum_to_total" in evaluation.description
    )
    table = evaluation.metadata["tests"].value
    assert "| fct_victims_publisher_data_parts_sum_to_total | warn |" in table
    warned = [t for t in evaluation.metadata["test_results"].value if t["status"] == "warn"]
    # The failing rows come from the warehouse: UNODC rows whose parts exceed their published total.
    assert all(t["failures"] > 0 and t["failing_rows"] for t in warned)
    assert evaluation.metadata["tests_passed"].value + len(warned) == table.count("\n") - 1


def _victims(wh: BuiltWarehouse, release: str, dimension: str, category: str) -> list[tuple]:
    return wh.query(
        """
        select v.victim_count, p.period_start::varchar, p.period_end::varchar, v.base_population
        from marts.fct_victims v join marts.dim_period p using (period_id)
        where v.source_id = ? and v.breakdown_dimension = ? and v.breakdown_category = ? and v.unit = 'count'
        order by v.base_population
        """,
        [release, dimension, category],
    )


@pytest.mark.parametrize(
    ("dimension", "category", "published"),
    [
        ("total", "all", 357),
        ("trafficking_type", "sex", 317),
        ("trafficking_type", "labor", 33),
        ("trafficking_type", "sex_and_labor", 7),
        ("gender", "female", 330),
        ("gender", "male", 27),
        ("age_group", "minor", 101),
    ],
)
def test_2021_release_covers_2019_2020_with_its_published_victim_counts(
    built_warehouse: BuiltWarehouse, dimension: str, category: str, published: int
) -> None:
    rows = _victims(built_warehouse, "ochttf-2021", dimension, category)
    assert rows == [(published, "2019-01-01", "2020-12-31", "victims_assisted")]


def test_2019_release_covers_two_calendar_years_2017_2018_with_415_victims(built_warehouse: BuiltWarehouse) -> None:
    # The same release also gives 302 new victims: a different base, kept apart rather than summed.
    assert _victims(built_warehouse, "ochttf-2019", "total", "all") == [
        (302, "2017-01-01", "2018-12-31", "new_victims"),
        (415, "2017-01-01", "2018-12-31", "victims_assisted"),
    ]


def test_prosecution_rates_over_2011_2020_are_94_and_95_percent(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        """
        select outcome, outcome_percent::double, outcome_count, period_id
        from marts.fct_case_outcomes where unit = 'percent' order by outcome
        """
    )
    assert rows == [
        ("charge_filing_rate", 94.0, None, "2011-01-01/2020-12-31"),
        ("trial_guilty_verdict_rate", 95.0, None, "2011-01-01/2020-12-31"),
    ]


def test_california_2016_hotline_cases_are_1323_in_both_sources(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        """
        select source_id, case_count from marts.fct_hotline_cases
        where jurisdiction_id = 'US-CA' and period_id = '2016-01-01/2016-12-31'
            and measure = 'cases' and breakdown_dimension = 'total'
        order by source_id
        """
    )
    assert rows == [("nhth-published-figures", 1323), ("nhth-state-calls-cases-2012-2016", 1323)]


def test_national_fy2024_potential_situations_are_12130_over_october_to_september(
    built_warehouse: BuiltWarehouse,
) -> None:
    rows = built_warehouse.query(
        """
        select c.case_count, p.period_type, p.period_label, p.period_start::varchar, p.period_end::varchar
        from marts.fct_hotline_cases c join marts.dim_period p using (period_id)
        where c.jurisdiction_id = 'US' and c.measure = 'situations' and p.period_type = 'fiscal_year'
            and p.period_label = 'FY2024'
        """
    )
    assert rows == [(12130, "fiscal_year", "FY2024", "2023-10-01", "2024-09-30")]


def test_unpublished_substantive_signals_stay_null_not_zero(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        """
        select p.period_label, s.signal_count, s.qualifier from marts.fct_hotline_signals s
        join marts.dim_period p using (period_id)
        where s.measure = 'substantive_signals' and p.period_type = 'fiscal_year' order by p.period_start
        """
    )
    assert rows[0] == ("FY2013", None, "not_published")
    assert rows[5] == ("FY2018", 47709, "exact")
    assert sum(1 for _, count, _ in rows if count is None) == 5


def test_lower_bounds_and_approximations_keep_their_qualifier(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        """
        select source_id, breakdown_category, victim_percent::double, qualifier from marts.fct_victims
        where qualifier <> 'exact' order by source_id, breakdown_category
        """
    )
    # "more than 90 percent were female", "Around 21 percent ... were under the age of 18",
    # "more than 25 percent of those were minors", "more than 380 victims" since 2004.
    assert ("ochttf-2016", "female", 90.0, "more_than") in rows
    assert ("ochttf-2016", "minor", 21.0, "approximately") in rows
    assert ("ochttf-2019", "minor", 25.0, "more_than") in rows
    assert built_warehouse.query(
        "select victim_count, qualifier from marts.fct_victims where source_id = 'ochttf-2014' "
        "and period_id = '2004-01-01/2014-08-06'"
    ) == [(380, "more_than")]


def test_state_table_reaches_the_marts_cell_for_cell(built_warehouse: BuiltWarehouse) -> None:
    """Every cell of the shipped state table, read here with the csv module, is a fact in the marts."""
    with (PROJECT_ROOT / "sources/hotline_state_calls_cases/state_calls_cases_2012_2016.csv").open(newline="") as fh:
        cells = {
            (f"US-{r['postal']}", int(r["Year_Date"]), int(r["Calls"]), int(r["Cases_Reported"]))
            for r in csv.DictReader(fh)
        }
    rows = built_warehouse.query(
        """
        select c.jurisdiction_id, year(p.period_start), s.signal_count, c.case_count
        from marts.fct_hotline_cases c
        join marts.fct_hotline_signals s using (source_id, period_id, jurisdiction_id)
        join marts.dim_period p using (period_id)
        where c.source_id = 'nhth-state-calls-cases-2012-2016' and s.channel = 'phone'
        """
    )
    assert len(cells) == 255
    assert set(rows) == cells


def test_victims_by_year_and_type_gives_counts_and_shares_of_the_same_base(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        """
        select trafficking_type_id, victim_count, total_victims, share_of_total_percent::double
        from marts.victims_by_year_and_type
        where jurisdiction_id = 'US-CA-ORANGE' and period_id = '2019-01-01/2020-12-31'
        order by trafficking_type_id
        """
    )
    assert rows == [("labor", 33, 357, 9.2), ("sex", 317, 357, 88.8), ("sex_and_labor", 7, 357, 2.0)]


def test_change_between_consecutive_reports_flags_a_change_of_base(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        """
        select source_id, previous_source_id, victim_count, previous_victim_count, change_in_victims, same_base
        from marts.victims_report_changes where source_id in ('ochttf-2017', 'ochttf-2021') order by source_id
        """
    )
    assert rows == [
        ("ochttf-2017", "ochttf-2016", 284, 225, 59, False),  # assisted vs served
        ("ochttf-2021", "ochttf-2019", 357, 415, -58, True),
    ]


def test_every_fact_traces_to_a_source_url_and_file_hash(built_warehouse: BuiltWarehouse) -> None:
    missing = built_warehouse.query(
        "select count(*) from marts.fct_report_figures where source_url is null or length(file_sha256) <> 64"
    )
    assert missing == [(0,)]
    logged = built_warehouse.query(
        "select count(distinct file_sha256), sum(row_count) from raw.load_log where outcome = 'loaded'"
    )
    # 8 releases, 1 press article and the UNODC workbook (10 release rows + 64 + 8 + 46,556 figures) and
    # 4 hotline files (255 + 55 + 12 + 66 rows).
    assert logged == [(14, 10 + 64 + 8 + 46_556 + 255 + 55 + 12 + 66)]


STATES_2024 = PROJECT_ROOT / "sources/hotline_state_calls_cases/state_signals_cases_2024.csv"


@pytest.mark.parametrize(
    ("state", "signals", "signals_share", "cases", "cases_share"),
    [
        # "California,3378,10.46%,1734,14.45%" and "Texas,2418,7.48%,1360,11.33%" in the 2024 table.
        ("California", 3378, 10.46, 1734, 14.45),
        ("Texas", 2418, 7.48, 1360, 11.33),
        ("Puerto Rico", 8, 0.02, 10, 0.08),
    ],
)
def test_the_2024_state_table_reaches_bi_with_its_shares(
    built_warehouse: BuiltWarehouse, state: str, signals: int, signals_share: float, cases: int, cases_share: float
) -> None:
    source = "'nhth-state-signals-cases-2024:%'"
    assert built_warehouse.query_snapshot(
        f"select period_label, cases, share_of_national_percent from bi.hotline_cases where jurisdiction_name = ? "
        f"and figure_id like {source}",
        [state],
    ) == [("2024", cases, cases_share)]
    assert built_warehouse.query_snapshot(
        "select period_label, channel, signals, share_of_national_percent from bi.hotline_signals "
        f"where jurisdiction_name = ? and figure_id like {source}",
        [state],
    ) == [("2024", "all", signals, signals_share)]


def test_every_row_of_the_2024_table_is_in_the_marts_territories_included(built_warehouse: BuiltWarehouse) -> None:
    with STATES_2024.open(newline="") as fh:
        published = {
            (r["State"].replace("Marianas", "Mariana"), int(r["Cases identified"])) for r in csv.DictReader(fh)
        }
    rows = built_warehouse.query_snapshot(
        "select jurisdiction_name, cases, jurisdiction_level from bi.hotline_cases "
        "where figure_id like 'nhth-state-signals-cases-2024:%'"
    )
    assert len(published) == 55 and {(name, n) for name, n, _ in rows} == published
    territories = {name for name, _, level in rows if level == "territory"}
    assert territories == {"Guam", "Northern Mariana Islands", "Puerto Rico", "U.S. Virgin Islands"}


def test_hotline_cases_by_state_run_from_2012_to_2024_with_the_gap_left_empty(built_warehouse: BuiltWarehouse) -> None:
    """Texas: the 2012-2016 state pages, its 2023 page, the 2024 table; 2017-2022 are not published here."""
    rows = built_warehouse.query_snapshot(
        "select period_label, max(cases) from bi.hotline_cases where state_postal = 'TX' and breakdown = 'total' "
        "and qualifier = 'exact' group by all order by 1"
    )
    assert rows == [
        ("2012", 372),
        ("2013", 431),
        ("2014", 452),
        ("2015", 436),
        ("2016", 670),
        ("2023", 900),
        ("2024", 1360),
    ]
    # Calls (phone) and signals (all channels) stay two series.
    channels = built_warehouse.query_snapshot(
        "select channel, min(period_label), max(period_label) from bi.hotline_signals where state_postal = 'TX' "
        "and channel in ('phone', 'all') group by all order by 1"
    )
    assert channels == [("all", "2023", "2024"), ("phone", "2012", "2023")]


def test_national_calendar_year_2023_figures(built_warehouse: BuiltWarehouse) -> None:
    assert built_warehouse.query_snapshot(
        "select cases from bi.hotline_cases where jurisdiction_id = 'US' and period_label = '2023'"
    ) == [(9619,)]


def test_bi_gives_one_answer_per_state_and_year_and_keeps_every_copy_for_auditors(
    built_warehouse: BuiltWarehouse,
) -> None:
    """Regression: California 2024 was in bi.hotline_cases twice (the state table and nhth-pub-055), so summing the
    states gave 12,922 for 2024 instead of the table's 11,188."""
    with STATES_2024.open(newline="") as fh:
        table_sum = sum(int(r["Cases identified"]) for r in csv.DictReader(fh))
    per_state = (
        "select count(*), count(distinct state_postal), sum(cases) from {} where state_postal is not null "
        "and breakdown = 'total' and year(period_start) = 2024"
    )
    assert built_warehouse.query_snapshot(per_state.format("bi.hotline_cases")) == [(55, 55, table_sum)]
    [(copies, _, everything)] = built_warehouse.query_snapshot(per_state.format("bi.hotline_cases_all_sources"))
    assert copies == 56 and everything > table_sum
    assert built_warehouse.query_snapshot(
        "select figure_id like 'nhth-state-signals-cases-2024:%', is_preferred, source_rank "
        "from bi.hotline_cases_all_sources where state_postal = 'CA' and year(period_start) = 2024 "
        "and breakdown = 'total' order by source_rank"
    ) == [(True, True, 1), (False, False, 2)]
