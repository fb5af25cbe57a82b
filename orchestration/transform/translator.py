"""How dbt resources appear in Dagster: keys, groups, owners, descriptions. Decided here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts", "seeds": "reference"}


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups follow the model's folder (staging, intermediate, marts); seeds form the reference group."""

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


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=True))
