"""Metadata of built dbt models for the UI: row counts, column schemas and column-level lineage.

Column lineage is traced in the compiled SQL with sqlglot (column_lineage.py; dagster-dbt's public path,
fetch_column_metadata(), queries DuckDB through dbt's adapter while dbt still holds the file's write lock). It is
computed once per manifest and model, and cached under `<data dir>/state/column_lineage/`.
"""

from __future__ import annotations

import graphlib
import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from orchestration.defs.dbt.column_lineage import column_lineage
from orchestration.defs.dbt.translator import translator
from orchestration.engine.dbt_files import dbt_fingerprint
from orchestration.settings import data_dir

logger = logging.getLogger(__name__)
Columns = dict[str, dict[str, str]]


class LineageCache:
    """Column lineage per model for one version of the dbt project, kept on disk: an event pays for sqlglot only
    once. Keyed by the project's files (each parse writes a manifest with a new invocation id)."""

    def __init__(self) -> None:
        self.path = data_dir() / "state" / "column_lineage" / f"{dbt_fingerprint()}.json"
        try:
            self._entries: dict[str, str | None] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._entries = {}
        self._dirty = False

    def get(self, unique_id: str, compute: Any) -> dict[str, Any]:
        if unique_id not in self._entries:
            value = compute()
            self._entries[unique_id] = dg.serialize_value(value["dagster/column_lineage"]) if value else None
            self._dirty = True
        stored = self._entries[unique_id]
        return {"dagster/column_lineage": dg.deserialize_value(stored)} if stored else {}

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(self._entries), encoding="utf-8")
            partial.replace(self.path)


def _relation(props: Mapping[str, Any]) -> tuple[str, str]:
    """(schema, table) of a model, seed or source in DuckDB."""
    return props["schema"], props.get("alias") or props.get("identifier") or props["name"]


def warehouse_columns(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Columns]:
    columns: dict[tuple[str, str], Columns] = {}
    for schema, table, column, data_type in conn.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
    ).fetchall():
        columns.setdefault((schema, table), {})[column] = {"data_type": data_type}
    return columns


def materialized_parents(manifest: dict[str, Any], node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The relations a model reads: its parents, and through an ephemeral parent (inlined as a CTE in the compiled
    SQL, no relation of its own) that parent's parents."""
    for parent_id in node["depends_on"]["nodes"]:
        parent = (manifest["sources"] if parent_id.startswith("source.") else manifest["nodes"])[parent_id]
        if parent.get("config", {}).get("materialized") == "ephemeral":
            yield from materialized_parents(manifest, parent)
        else:
            yield parent


def _constraint_text(constraint: Mapping[str, Any]) -> str:
    if constraint["type"] == "check":
        return f"check ({constraint['expression']})"
    return f"{constraint['type']} ({', '.join(constraint.get('columns') or [])})"


def column_schema(props: Mapping[str, Any], own: Columns) -> dg.TableSchema:
    """The built relation's columns and types, with the contract's constraints where dbt enforces it on a table.

    DuckDB checked those constraints while it built the table (the model fails otherwise), so they are rules the
    rows keep without a dbt test node of their own: the schema shows them beside the tests' `dbt_tests` check."""
    enforced = props.get("config", {}).get("materialized") == "table" and bool(
        props.get("config", {}).get("contract", {}).get("enforced")
    )
    declared = props.get("columns", {}) if enforced else {}

    def constraints(name: str) -> dg.TableColumnConstraints | None:
        rules = declared.get(name, {}).get("constraints") or []
        if not rules:
            return None
        types = {rule["type"] for rule in rules}
        checks = [_constraint_text(rule) for rule in rules if rule["type"] == "check"]
        return dg.TableColumnConstraints(
            nullable="not_null" not in types and "primary_key" not in types,
            unique=bool(types & {"unique", "primary_key"}),
            other=checks or None,
        )

    table_rules = [_constraint_text(rule) for rule in props.get("constraints") or []] if enforced else []
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, column["data_type"], constraints=constraints(name)) for name, column in own.items()
        ],
        constraints=dg.TableConstraints(other=table_rules) if table_rules else None,
    )


def dependency_order(manifest: dict[str, Any]) -> dict[str, int]:
    """Each dbt node's place in an order that puts it after every node it reads: a multi-asset's materializations
    must come in that order, and views an event leaves unchanged are not in dbt's run results to give it."""
    order = graphlib.TopologicalSorter(manifest["parent_map"]).static_order()
    return {unique_id: place for place, unique_id in enumerate(order)}


def table_metadata(
    manifest: dict[str, Any],
    target_path: Path,
    unique_id: str,
    columns: dict[tuple[str, str], Columns],
    row_count: int,
    lineage: LineageCache,
) -> dict[str, Any]:
    """Row count, column schema and column-level lineage of one built model, for the UI."""
    props = manifest["nodes"][unique_id]
    own = columns.get(_relation(props), {})
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(row_count),
        "dagster/column_schema": column_schema(props, own),
    }
    if props["resource_type"] != "model":
        return metadata
    parents: dict[str, dict[str, str]] = {}
    keys: dict[str, dg.AssetKey] = {}
    for parent in materialized_parents(manifest, props):
        parents[parent["relation_name"]] = {c: v["data_type"] for c, v in columns.get(_relation(parent), {}).items()}
        keys[parent["relation_name"]] = translator.get_asset_key(parent)

    def compute() -> dict[str, Any]:
        compiled = target_path / "compiled" / props["package_name"] / props["original_file_path"]
        try:
            sql = compiled.read_text(encoding="utf-8")
        except OSError:
            return {}
        traced = column_lineage(sql, list(own), parents, keys.__getitem__)
        return {"dagster/column_lineage": traced} if traced else {}

    return metadata | lineage.get(unique_id, compute)
