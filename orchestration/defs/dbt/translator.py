"""How dbt resources appear in Dagster: keys, groups, owners, descriptions. Decided here and nowhere else.

No automation conditions: the dbt models are built by the batch run that loaded their inputs (defs/jobs.py), in the
candidate warehouse, never by a separate automation run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

LAYER_GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "audit": "audit",
    "bi": "bi",
    "seeds": "reference",
}
# Every group the dbt project's assets fall into, and those of its models (not seeds).
DBT_GROUPS = ("reference", "staging", "intermediate", "marts", "audit", "bi")
MODEL_GROUPS = DBT_GROUPS[1:]


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups follow the model's folder (staging, intermediate, marts, audit, bi); seeds form the reference group."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """`<schema>/<relation>` as in DuckDB (`audit/conflict_register`, not the model file's name)."""
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
            return dg.AssetKey([dbt_resource_props["schema"], name])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn: Sequence[str] = dbt_resource_props.get("fqn", [])
        return next((LAYER_GROUPS[part] for part in fqn if part in LAYER_GROUPS), None)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return ["team:analytics-engineering"]

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        description = dbt_resource_props.get("description") or ""
        return f"{description}\n\ndbt {dbt_resource_props['resource_type']} `{dbt_resource_props['name']}`".strip()


translator = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_code_references=True,
        # raw.report_releases and raw.report_figures are one asset: one load writes both.
        enable_duplicate_source_asset_keys=True,
    )
)
