"""How dbt resources appear in Dagster: keys, groups, owners, descriptions, checks. Decided here and nowhere else.

dbt tests appear as one asset check per model, `dbt_tests`, that stands for every test attached to the model (its
evaluation carries a table of them, checks.py), not as one check per test: a hundred and more check events per
run cost seconds in the event log and hid the few tests that matter among the passing ones.

No automation conditions: the dbt models are built by the batch run that loaded their inputs (defs/jobs.py), in the
candidate warehouse, never by a separate automation run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

LAYER_GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "audit": "audit",
    "bi": "bi",
    "seeds": "reference",
}
# Every group the dbt project's assets fall into, and those of its models (not seeds).
# dagster-dbt keeps each dbt node's unique id in its asset spec's metadata.
UNIQUE_ID = "dagster_dbt/unique_id"
# The one check per model that stands for all of its dbt tests, and where its spec lists them (unique ids).
DBT_TESTS_CHECK = "dbt_tests"
TESTS_METADATA = "dbt_tests"
DBT_GROUPS = ("reference", "staging", "intermediate", "marts", "audit", "bi")
MODEL_GROUPS = DBT_GROUPS[1:]


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups follow the model's folder (staging, intermediate, marts, audit, bi); seeds form the reference group."""

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None) -> None:
        super().__init__(settings)
        # Each model's `dbt_tests` spec, built once per manifest: dagster-dbt asks for it once per test of the model.
        self._checks: tuple[Mapping[str, Any], dict[str, dg.AssetCheckSpec]] | None = None

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

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """The model's `dbt_tests` check for each test attached to it (dagster-dbt decides which model a test
        belongs to); the same spec for every test of the model, listing them all."""
        if super().get_asset_check_spec(asset_spec, manifest, unique_id, project) is None:
            return None
        if self._checks is None or self._checks[0] is not manifest:
            self._checks = (manifest, {})
        model = str(asset_spec.metadata[UNIQUE_ID])
        built = self._checks[1]
        if model not in built:
            built[model] = self._tests_check(asset_spec, manifest, model, project)
        return built[model]

    def _tests_check(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], model: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec:
        """The one check that stands for every test dagster-dbt attaches to this model."""
        specs = []
        for test in sorted(manifest["child_map"].get(model, [])):
            spec = (
                super().get_asset_check_spec(asset_spec, manifest, test, project) if test.startswith("test.") else None
            )
            if spec is not None:
                specs.append(spec)
        tests = [str(spec.metadata[UNIQUE_ID]) for spec in specs]
        return dg.AssetCheckSpec(
            name=DBT_TESTS_CHECK,
            asset=asset_spec.key,
            description=f"Every dbt test on this model ({len(tests)}); each result lists them with their status and "
            "the first failing rows of any that fail or warn.",
            additional_deps=sorted({dep.asset_key for spec in specs for dep in spec.additional_deps}, key=str),
            metadata={TESTS_METADATA: dg.MetadataValue.json(tests)},
        )

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
