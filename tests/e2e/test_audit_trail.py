"""Auditors trace every published figure to its document, page and sentence; disagreements between sources surface.

Read from the published snapshot, which is what auditors and BI tools open.
"""

from __future__ import annotations

import pytest

from tests.conftest import BuiltWarehouse, shipped_file_count

NEWSANTAANA = "https://newsantaana.com/the-oc-human-trafficking-trask-force-releases-their-2021-victim-report/"
FCHORNET = "https://fchornetmedia.com/21784/news/a-decade-of-fighting-human-trafficking-in-orange-county-shows-progress"
PATCH_COPY = (
    "https://parentsecurityonline.com/minorsextrafficking-flipping-the-script-on-human-trafficking-in-orange-county/"
)
ABC7 = "https://abc7.com/orange-county-human-trafficking-victims-report/5150470/"


@pytest.mark.parametrize(
    ("source_id", "metric", "dimension", "category", "value", "url", "words_in_quote"),
    [
        ("ochttf-2021", "victims", "total", "all", 357, NEWSANTAANA, "assisted 357 victims"),
        ("ochttf-2021", "victims", "trafficking_type", "sex", 317, NEWSANTAANA, "317 sex trafficking victims"),
        ("ochttf-2021", "victims", "trafficking_type", "labor", 33, NEWSANTAANA, "33 labor trafficking victims"),
        ("ochttf-2021", "victims", "trafficking_type", "sex_and_labor", 7, FCHORNET, "seven were victims of both"),
        ("ochttf-2021", "victims", "gender", "female", 330, NEWSANTAANA, "330 were female"),
        ("ochttf-2021", "victims", "gender", "male", 27, NEWSANTAANA, "27 were male"),
        ("ochttf-2021", "victims", "age_group", "minor", 101, NEWSANTAANA, "101 victims were minors"),
        ("ochttf-2021", "charge_filing_rate", "total", "all", 94, PATCH_COPY, "filed charges 94% of the time"),
        ("ochttf-2021", "trial_guilty_verdict_rate", "total", "all", 95, PATCH_COPY, "95% resulted in guilty"),
        ("ochttf-2019", "victims", "total", "all", 415, ABC7, "helped 415 human-trafficking victims"),
    ],
)
def test_each_published_figure_traces_to_its_source_url_and_quote(
    built_warehouse: BuiltWarehouse,
    source_id: str,
    metric: str,
    dimension: str,
    category: str,
    value: int,
    url: str,
    words_in_quote: str,
) -> None:
    rows = built_warehouse.query_snapshot(
        """
        select fact_table, value, source_url, quote, publisher, document_title, length(file_sha256), source_version
        from audit.fact_provenance
        where source_id = ? and metric = ? and breakdown_dimension = ? and breakdown_category = ?
            and coalesce(base_population, '') in ('victims_assisted', 'cases_presented_to_prosecutors', 'cases_tried')
        """,
        [source_id, metric, dimension, category],
    )
    assert len(rows) == 1, rows
    fact_table, traced_value, source_url, quote, publisher, title, sha_length, version = rows[0]
    assert fact_table in ("fct_victims", "fct_case_outcomes")
    assert traced_value == value
    assert source_url == url
    assert words_in_quote in " ".join(quote.split())
    assert publisher == "Orange County Human Trafficking Task Force"
    assert title.endswith("Human Trafficking Victim Report")
    assert (sha_length, version) == (64, 1)


def test_every_fact_row_in_the_marts_has_provenance(built_warehouse: BuiltWarehouse) -> None:
    facts = built_warehouse.query_snapshot(
        "select (select count(*) from marts.fct_victims) + (select count(*) from marts.fct_case_outcomes)"
        " + (select count(*) from marts.fct_hotline_cases) + (select count(*) from marts.fct_hotline_signals)"
    )[0][0]
    traced = built_warehouse.query_snapshot(
        "select count(*), count(distinct fact_table || figure_id) from audit.fact_provenance"
    )
    assert traced == [(facts, facts)]
    untraceable = built_warehouse.query_snapshot(
        "select count(*) from audit.fact_provenance where source_url is null and document_url is null"
    )
    assert untraceable == [(0,)]


def _conflicts(wh: BuiltWarehouse) -> list[tuple]:
    return wh.query_snapshot(
        """
        select conflict_kind, jurisdiction_id, metric, source_a, period_a, value_a, scope_a,
               source_b, period_b, value_b, scope_b
        from audit.conflict_register order by conflict_kind
        """
    )


def test_conflict_register_shows_the_press_coverage_dating_415_victims_to_2018_2019(
    built_warehouse: BuiltWarehouse,
) -> None:
    period_conflicts = [c for c in _conflicts(built_warehouse) if c[0] == "period"]
    assert period_conflicts == [
        (
            "period",
            "US-CA-ORANGE",
            "victims",
            "ochttf-2019",
            "2017-01-01/2018-12-31",
            415.0,
            "task_force",
            "patch-2021-ochttf-report",
            "2018-01-01/2019-12-31",
            415.0,
            "task_force",
        )
    ]


def test_conflict_register_shows_the_2016_hotline_cases_as_a_scope_difference(built_warehouse: BuiltWarehouse) -> None:
    scope_conflicts = [c for c in _conflicts(built_warehouse) if c[0] == "scope"]
    assert [(c[1], c[2], c[4], c[5], c[6], c[9], c[10]) for c in scope_conflicts] == [
        ("US", "cases", "2016-01-01/2016-12-31", 8042.0, "hotline_and_befree", 7572.0, "national_hotline")
    ]


def test_figures_that_reconcile_are_not_conflicts(built_warehouse: BuiltWarehouse) -> None:
    """The article's 317 sex-trafficking victims of 357 leave 40: the release's 33 labor + 7 both explain them."""
    reconciliation = built_warehouse.query_snapshot(
        """
        select implied_rest, missing_categories, other_source_id, other_sum_of_missing_parts, reconciliation
        from audit.breakdown_reconciliations
        where source_id = 'patch-2021-ochttf-report' and breakdown_dimension = 'trafficking_type'
        """
    )
    assert reconciliation == [(40.0, ["labor", "sex_and_labor"], "ochttf-2021", 40.0, "reconciles")]
    assert [c for c in _conflicts(built_warehouse) if c[0] not in ("period", "scope")] == []


def test_press_coverage_is_a_source_of_its_own_and_never_a_fact(built_warehouse: BuiltWarehouse) -> None:
    assert built_warehouse.query_snapshot(
        "select document_type, publisher from marts.dim_source where source_id = 'patch-2021-ochttf-report'"
    ) == [("press_article", "Patch (syndicated)")]
    assert built_warehouse.query_snapshot(
        "select count(*) from audit.fact_provenance where source_id = 'patch-2021-ochttf-report'"
    ) == [(0,)]
    assert built_warehouse.query_snapshot(
        "select count(*) from marts.fct_report_figures where source_id = 'patch-2021-ochttf-report'"
    ) == [(8,)]


def test_release_versions_and_load_log_record_every_loaded_file(built_warehouse: BuiltWarehouse) -> None:
    versions = built_warehouse.query_snapshot(
        "select source_id, source_version, is_as_published, is_latest_version, length(file_sha256) "
        "from audit.release_versions where source_id = 'ochttf-2021'"
    )
    assert versions == [("ochttf-2021", 1, True, True, 64)]
    loads = built_warehouse.query_snapshot(
        "select outcome, count(*) from audit.load_log group by outcome order by outcome"
    )
    assert loads == [("loaded", shipped_file_count())]
