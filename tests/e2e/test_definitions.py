"""The code location loads, and its asset graph runs from source files to every mart."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs

SNAPSHOT = Path(__file__).parent.parent / "snapshots" / "asset_graph.txt"
MARTS = {
    "fct_victims",
    "fct_case_outcomes",
    "fct_hotline_cases",
    "fct_hotline_signals",
    "fct_report_figures",
    "dim_period",
    "dim_jurisdiction",
    "dim_trafficking_type",
    "dim_demographic",
    "dim_source",
    "victims_by_year_and_type",
    "victims_report_changes",
}


def _graph() -> dg.AssetGraph:
    return defs.resolve_asset_graph()


def _ancestors(graph: dg.AssetGraph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    frontier = [key]
    while frontier:
        for parent in graph.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_definitions_load_and_validate() -> None:
    dg.Definitions.validate_loadable(defs)
    assert {key.path[-1] for key in _graph().get_all_asset_keys() if key.path[0] == "marts"} == MARTS


def test_every_fact_mart_traces_back_to_landed_source_files() -> None:
    graph = _graph()
    for name in MARTS - {"dim_jurisdiction", "dim_trafficking_type", "dim_demographic"}:
        ancestors = _ancestors(graph, dg.AssetKey(["marts", name]))
        assert {key for key in ancestors if key.path[0] == "landed"}, f"marts/{name} has no landed file upstream"
    victims_sources = {
        k.path[-1] for k in _ancestors(graph, dg.AssetKey(["marts", "fct_victims"])) if k.path[0] == "landed"
    }
    assert victims_sources == {
        "report_releases",
        "hotline_state_calls_cases",
        "hotline_national_signals_fy",
        "hotline_published_figures",
    }


def test_dbt_tests_load_as_asset_checks_on_the_marts() -> None:
    checked = {key.asset_key.path[-1] for key in _graph().asset_check_keys}
    # These dimensions' rules (a unique key, a fixed list of codes) are constraints of their contract, which DuckDB
    # enforces while building them: no test of theirs is left to make a check.
    enforced_by_contract = {"dim_trafficking_type", "dim_demographic", "dim_period"}
    assert MARTS - enforced_by_contract <= checked
    assert not enforced_by_contract & checked


def test_every_asset_has_a_description_a_group_owners_and_kinds() -> None:
    graph = _graph()
    groups = {"landing", "ingest", "reference", "staging", "intermediate", "marts", "audit", "bi", "publish"}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.group_name in groups
        assert node.owners, f"{key.to_user_string()} has no owner"
        assert node.kinds, f"{key.to_user_string()} has no kinds"
    kinds = {kind for key in graph.get_all_asset_keys() for kind in graph.get(key).kinds}
    assert {"duckdb", "dbt", "pandas", "great_expectations", "parquet"} <= kinds


def test_published_snapshot_is_downstream_of_every_landed_source_and_the_bi_views() -> None:
    graph = _graph()
    ancestors = _ancestors(graph, dg.AssetKey(["published", "warehouse_snapshot"]))
    assert {key.path[-1] for key in ancestors if key.path[0] == "landed"} == {
        "report_releases",
        "hotline_state_calls_cases",
        "hotline_national_signals_fy",
        "hotline_published_figures",
    }
    assert dg.AssetKey(["bi", "victims_by_period_and_type"]) in ancestors
    assert dg.AssetKey(["audit", "conflict_register"]) in ancestors


def _render_graph() -> str:
    graph = _graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        parents = ", ".join(sorted(p.to_user_string() for p in node.parent_keys))
        checks = len([c for c in graph.asset_check_keys if c.asset_key == key])
        kinds = ",".join(sorted(node.kinds))
        lines.append(f"{key.to_user_string()} [{node.group_name}] ({kinds}) checks={checks} <- {parents}")
    return "\n".join(lines) + "\n"


def test_asset_graph_matches_the_reviewed_snapshot() -> None:
    """Lineage changes show up in review: regenerate with UPDATE_SNAPSHOTS=1 and commit the diff."""
    rendered = _render_graph()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered)
    assert rendered == SNAPSHOT.read_text()
