"""Metadata of built models: which relations column lineage is traced to, and the order of materializations."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.dbt.model_metadata import column_schema, dependency_order, materialized_parents


def _node(name: str, materialized: str, *parents: str) -> dict:
    return {
        "name": name,
        "relation_name": None if materialized == "ephemeral" else f'"marts"."{name}"',
        "config": {"materialized": materialized},
        "depends_on": {"nodes": list(parents)},
    }


def test_lineage_reads_through_an_ephemeral_parent_to_the_tables_it_reads() -> None:
    """Regression: bi.hotline_cases selects from an ephemeral ranking model, which has no relation of its own, so
    the view had no column lineage at all."""
    manifest = {
        "nodes": {
            "model.p.fct_hotline_cases": _node("fct_hotline_cases", "table"),
            "model.p.dim_source": _node("dim_source", "table"),
            "model.p.ranked": _node("ranked", "ephemeral", "model.p.fct_hotline_cases", "model.p.dim_source"),
            "model.p.dim_period": _node("dim_period", "table"),
        },
        "sources": {"source.p.raw.load_log": {"name": "load_log", "relation_name": '"raw"."load_log"'}},
    }
    view = _node("hotline_cases", "view", "model.p.ranked", "model.p.dim_period", "source.p.raw.load_log")
    assert [p["relation_name"] for p in materialized_parents(manifest, view)] == [
        '"marts"."fct_hotline_cases"',
        '"marts"."dim_source"',
        '"marts"."dim_period"',
        '"raw"."load_log"',
    ]


def test_a_model_comes_after_every_model_it_reads_even_through_views_dbt_did_not_run() -> None:
    """Regression: a view an event left unchanged was materialized after the run results' models, and Dagster
    failed the step ("yielded before its dependency"): a multi-asset's materializations follow the dependencies."""
    manifest = {
        "parent_map": {
            "model.p.bi_victim_figures": ["model.p.fct_victims"],
            "model.p.fct_victims": ["model.p.stg_figures"],
            "model.p.stg_figures": ["source.p.raw.report_figures"],
            "model.p.audit_release_versions": ["model.p.fct_victims", "model.p.stg_figures"],
            "source.p.raw.report_figures": [],
        }
    }
    rank = dependency_order(manifest)
    assert rank["model.p.stg_figures"] < rank["model.p.fct_victims"] < rank["model.p.bi_victim_figures"]
    assert rank["model.p.fct_victims"] < rank["model.p.audit_release_versions"]


def test_the_column_schema_shows_the_constraints_duckdb_enforced_on_a_contract_table() -> None:
    props = {
        "config": {"materialized": "table", "contract": {"enforced": True}},
        "columns": {
            "figure_id": {"constraints": [{"type": "not_null"}, {"type": "unique"}]},
            "victim_percent": {"constraints": [{"type": "check", "expression": "victim_percent between 0 and 100"}]},
        },
        "constraints": [{"type": "unique", "columns": ["jurisdiction_id", "period_id"]}],
    }
    own = {"figure_id": {"data_type": "VARCHAR"}, "victim_percent": {"data_type": "DECIMAL(5,1)"}}
    schema = column_schema(props, own)
    figure_id, percent = schema.columns
    assert figure_id.constraints == dg.TableColumnConstraints(nullable=False, unique=True)
    assert percent.constraints == dg.TableColumnConstraints(other=["check (victim_percent between 0 and 100)"])
    assert schema.constraints == dg.TableConstraints(other=["unique (jurisdiction_id, period_id)"])
    # A view's contract declares types only: dbt does not enforce constraints there, so none are shown.
    view = column_schema({**props, "config": {"materialized": "view", "contract": {"enforced": True}}}, own)
    assert view.constraints == dg.TableConstraints(other=[])
    assert all(column.constraints == dg.TableColumnConstraints() for column in view.columns)
