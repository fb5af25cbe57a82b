"""Which relations a model's column lineage is traced to: through ephemeral models to what they read."""

from __future__ import annotations

from orchestration.defs.dbt.model_metadata import materialized_parents


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
