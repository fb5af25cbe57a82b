"""What an event's `dbt build` selects: the models and seeds downstream of the batch, less the views already there.

A view holds no rows, only its SQL. When the live warehouse was built by this very dbt project (its recorded
fingerprint is the current one), the candidate copied from it already holds every view exactly as dbt would
create it again: re-creating them costs dbt nodes and changes nothing. Their data does change with the tables
under them, so their tests still run, selected by name (dbt orders them after the tables they read, through the
views it leaves out). A changed project rebuilds everything anyway (engine/plan.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.engine.dbt_files import dbt_fingerprint
from orchestration.engine.raw_tables import read_state
from orchestration.engine.warehouse import Warehouse


@dataclass(frozen=True)
class SubsetSelection:
    """The node names for `dbt build --select`, and the selected views it leaves as they are (unique ids)."""

    names: list[str]
    unchanged_views: list[str]


def built_by_current_project(warehouse: Warehouse) -> bool:
    """Whether the live warehouse was last built by the dbt project as it is now: its views are current."""
    return read_state(warehouse).dbt_fingerprint == dbt_fingerprint()


def subset_selection(manifest: Mapping[str, Any], selected: Collection[str], views_current: bool) -> SubsetSelection:
    """The names to build for the selected models and seeds (unique ids). With `views_current`, the selected
    views are not built and every data test of theirs is named instead: leaving a view out of the selection (not
    `--exclude`-ing it) keeps the tests dbt's eager indirect selection finds through the models that remain.
    Views with no test and nothing else selected are built as before (`--select` needs a name)."""
    nodes = manifest["nodes"]
    unchanged = sorted(
        unique_id
        for unique_id in selected
        if views_current and nodes[unique_id]["config"].get("materialized") == "view"
    )
    built = sorted(set(selected) - set(unchanged))
    tests = {child for view in unchanged for child in manifest["child_map"].get(view, ()) if child.startswith("test.")}
    names = sorted(nodes[unique_id]["name"] for unique_id in built) + sorted(nodes[test]["name"] for test in tests)
    if not names:
        return SubsetSelection(sorted(nodes[unique_id]["name"] for unique_id in unchanged), [])
    return SubsetSelection(names, unchanged)
