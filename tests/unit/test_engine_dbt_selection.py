"""What an event's `dbt build` selects: the views the live warehouse already holds stay, their tests still run."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.engine.dbt_selection import built_by_current_project, subset_selection
from orchestration.engine.raw_tables import record_batch
from orchestration.engine.warehouse import Warehouse

STG = "model.ht_warehouse.stg_report_releases__figures"
FCT = "model.ht_warehouse.fct_victims"
BI = "model.ht_warehouse.bi_victim_figures"
SEED = "seed.ht_warehouse.jurisdictions"
# A staging view over the raw tables, a mart table over it, a bi view over the mart; each with a data test, and
# one test reading both the mart and the bi view (as one_preferred_row_per_question does).
MANIFEST = {
    "nodes": {
        SEED: {"name": "jurisdictions", "config": {"materialized": "seed"}},
        STG: {"name": "stg_report_releases__figures", "config": {"materialized": "view"}},
        FCT: {"name": "fct_victims", "config": {"materialized": "table"}},
        BI: {"name": "bi_victim_figures", "config": {"materialized": "view"}},
        "test.ht_warehouse.not_null_stg_figure_id.1": {"name": "not_null_stg_figure_id", "config": {}},
        "test.ht_warehouse.victims_parts_sum_to_total.2": {"name": "victims_parts_sum_to_total", "config": {}},
        "test.ht_warehouse.one_preferred_row_bi_victim_figures.3": {
            "name": "one_preferred_row_bi_victim_figures",
            "config": {},
        },
    },
    "child_map": {
        SEED: [],
        STG: [FCT, "test.ht_warehouse.not_null_stg_figure_id.1", "unit_test.ht_warehouse.stg.casts_figures"],
        FCT: [
            BI,
            "test.ht_warehouse.victims_parts_sum_to_total.2",
            "test.ht_warehouse.one_preferred_row_bi_victim_figures.3",
        ],
        BI: ["test.ht_warehouse.one_preferred_row_bi_victim_figures.3"],
    },
}


def test_an_event_builds_the_tables_and_names_the_tests_of_the_views_it_leaves() -> None:
    selection = subset_selection(MANIFEST, [STG, FCT, BI], views_current=True)
    # The mart's own test comes with it (dbt's eager indirect selection); the views' tests are named, unit tests not.
    assert selection.names == ["fct_victims", "not_null_stg_figure_id", "one_preferred_row_bi_victim_figures"]
    assert selection.unchanged_views == [BI, STG]


def test_a_changed_dbt_project_builds_the_selected_views_as_before() -> None:
    selection = subset_selection(MANIFEST, [STG, FCT, BI, SEED], views_current=False)
    assert selection.names == ["bi_victim_figures", "fct_victims", "jurisdictions", "stg_report_releases__figures"]
    assert selection.unchanged_views == []


def test_views_with_nothing_to_test_and_nothing_else_selected_are_built() -> None:
    """`dbt build --select` with no name fails: a selection of untested views only is built as before."""
    manifest = {**MANIFEST, "child_map": {**MANIFEST["child_map"], BI: []}}
    selection = subset_selection(manifest, [BI], views_current=True)
    assert (selection.names, selection.unchanged_views) == (["bi_victim_figures"], [])


def test_views_are_current_only_when_the_live_warehouse_was_built_by_this_dbt_project(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    assert not built_by_current_project(warehouse)  # no warehouse yet
    with duckdb.connect(str(warehouse.path)) as conn:
        record_batch(conn, "batch-1", "run-1", conn.execute("select now()").fetchone()[0], "all", [], [], [])
    assert built_by_current_project(warehouse)
    with duckdb.connect(str(warehouse.path)) as conn:
        conn.execute("update raw.batch_log set dbt_fingerprint = 'an-older-project'")
    assert not built_by_current_project(warehouse)
