"""All dbt models, seeds and tests as one Dagster multi-asset; dbt tests load as asset checks.

This step is the audit of write-audit-publish (engine/audit.py): it builds the selected models (those
downstream of what the batch changed, or all of them) with their tests in the batch's candidate copy of the
warehouse, quarantines the files that fail them, and promotes the candidate when no error-level test fails.
Here is only the Dagster side of it: running dbt in this process (runner.py) and the events the UI shows, made
from dbt's run results once the candidate is promoted.
"""

import json
import os
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import dbt_assets

from orchestration.defs.dbt.checks import dbt_test_checks
from orchestration.defs.dbt.model_metadata import LineageCache, dependency_order, table_metadata, warehouse_columns
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.runner import DbtRun, InProcessDbt
from orchestration.defs.dbt.translator import UNIQUE_ID, translator
from orchestration.defs.warehouse_writer import WarehouseWriter
from orchestration.engine.audit import (
    WAREHOUSE_TESTS_CHECK,
    Failure,
    ModelsFail,
    audit,
    blocking_results,
    describe,
)
from orchestration.engine.batch import Batch
from orchestration.engine.dbt_selection import SubsetSelection, built_by_current_project, subset_selection
from orchestration.engine.versions import FileVersion
from orchestration.settings import DUCKDB_PATH_ENV

# The metadata of a view this event's build left as it was: its SQL is the live warehouse's (engine/dbt_selection.py).
UNCHANGED_VIEW = "unchanged SQL: not re-created"


def _subset(context: dg.AssetExecutionContext, batch: Batch) -> SubsetSelection | None:
    """What an event's `dbt build` selects (engine/dbt_selection.py); None in a full build."""
    if context.selected_asset_keys == _every_key(context):
        return None
    selected = [
        str(spec.metadata[UNIQUE_ID]) for spec in context.assets_def.specs if spec.key in context.selected_asset_keys
    ]
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    return subset_selection(manifest, selected, views_current=built_by_current_project(batch.warehouse))


def _build_args(subset: SubsetSelection | None) -> list[str]:
    """`dbt build` of the selected models and seeds (dbt adds their tests); all of them in a full build. Unit
    tests check the models' SQL against fixed inputs, not the data: they run in every full build, which a changed
    dbt project triggers, so an event that only brings data skips them."""
    if subset is None:
        return ["build"]
    return ["build", "--select", *subset.names, "--exclude-resource-type", "unit_test"]


def _every_key(context: dg.AssetExecutionContext) -> set[dg.AssetKey]:
    """Every dbt asset of the project (`assets_def.keys` holds only the selected ones in a subset run)."""
    return {spec.key for spec in context.assets_def.specs}


def _tested_event(version: FileVersion, passed: bool, description: str) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["landed", version.kind]),
        check_name=WAREHOUSE_TESTS_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        partition=version.partition_key,
    )


class DagsterDbt:
    """dbt for the audit (engine/audit.DbtBuild), in this process, keeping the results of the last build."""

    def __init__(self, context: dg.AssetExecutionContext, dbt: InProcessDbt, batch: Batch) -> None:
        self.context, self.dbt, self.batch = context, dbt, batch
        self.last: DbtRun | None = None
        self.subset = _subset(context, batch)

    def build(self) -> list[Failure]:
        """`dbt build` of the run's selection in the candidate: the results that block promotion."""
        # dbt's profile names `<HT_DUCKDB_PATH>.candidate`: the file prepared here, never the live one.
        warehouse = self.batch.warehouse
        if self.batch.candidate != warehouse.candidate_path or os.environ.get(DUCKDB_PATH_ENV) != str(warehouse.path):
            raise dg.Failure(f"dbt would not write {self.batch.candidate}: set {DUCKDB_PATH_ENV} to {warehouse.path}")
        selected, every = len(self.context.selected_asset_keys), len(_every_key(self.context))
        unchanged = len(self.subset.unchanged_views) if self.subset else 0
        kept = f"; {unchanged} unchanged views are not re-created, their tests run" if unchanged else ""
        self.context.log.info(
            f"dbt build of {selected - unchanged} of {every} models and seeds with their tests, in this process{kept}"
        )
        self.last = self.dbt.run(_build_args(self.subset))
        failures = blocking_results(self.last.run_results)
        nodes = len(self.last.run_results["results"])
        self.context.log.info(
            f"dbt ran {nodes} nodes in {self.last.run_seconds:.1f}s (parse {self.last.parse_seconds:.1f}s): "
            + (f"{len(failures)} blocking failure(s)" if failures else "no blocking failure")
        )
        return failures

    def rebuild_failing(self, failures: list[Failure]) -> list[Failure]:
        """Only the failing tests and the models they read: a few seconds, not a whole `dbt build`."""
        selectors = [f"+{failure['name']}" for failure in failures]
        excluded = ["--exclude-resource-type", "seed", "--exclude-resource-type", "unit_test"]
        args = ["build", "--select", *selectors, "--indirect-selection", "empty", *excluded]
        run = self.dbt.run(args, target_path=Path(self.dbt.target_path) / "culprit-search")
        return blocking_results(run.run_results)


def _events(
    context: dg.AssetExecutionContext, run: DbtRun, database: Path, unchanged_views: Collection[str] = ()
) -> Iterator[Any]:
    """A materialization per built model and seed and per selected view left unchanged (row counts, column
    schemas, cached column lineage from the promoted file) and a `dbt_tests` check result per model, from the run
    results of the build that was promoted."""
    keys = {str(spec.metadata[UNIQUE_ID]): spec.key for spec in context.assets_def.specs}
    results = run.run_results["results"]
    built = [
        (r["unique_id"], keys[r["unique_id"]])
        for r in results
        if r["unique_id"] in keys and r["status"] == "success" and keys[r["unique_id"]] in context.selected_asset_keys
    ]
    # Views the build left as they were (engine/dbt_selection.py): their rows changed with the tables under them.
    kept = [
        (unique_id, keys[unique_id]) for unique_id in unchanged_views if keys[unique_id] in context.selected_asset_keys
    ]
    rank = dependency_order(run.manifest)
    materialized = sorted(built + kept, key=lambda node: rank[node[0]])
    lineage = LineageCache()
    with duckdb.connect(str(database), read_only=True) as conn:
        columns = warehouse_columns(conn)
        counts = {
            key: conn.execute("select count(*) from {}.{}".format(*key.path)).fetchone()[0] for _, key in materialized
        }
    for unique_id, key in materialized:
        metadata = table_metadata(run.manifest, run.target_path, unique_id, columns, counts[key], lineage)
        note = {"view": UNCHANGED_VIEW} if unique_id in unchanged_views else {}
        yield dg.MaterializeResult(asset_key=key, metadata={"unique_id": unique_id, **note, **metadata})
    lineage.save()
    yield from dbt_test_checks(context, run.run_results, database)


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: InProcessDbt, warehouse: WarehouseWriter) -> Any:
    """`dbt build` of the selected models and their tests in the candidate; promote it if every blocking test passed.

    Row counts, column schemas and column lineage are attached once dbt has finished and closed the file.
    """
    batch = warehouse.batch
    dbt_run = DagsterDbt(context, dbt, batch)

    def refused(version: FileVersion, report: list[dict[str, Any]], _folder: Path) -> None:
        context.log.error(f"Quarantined {version.label}: it fails {describe(report)}")
        context.log_event(_tested_event(version, False, f"Fails the warehouse's tests: {describe(report)}"))

    try:
        passed = audit(dbt_run, batch, refused, context.log.info)
    except ModelsFail as error:
        raise dg.Failure(str(error), metadata={"failures": dg.MetadataValue.json(error.report)}) from None
    if not passed or dbt_run.last is None:
        context.log.warning("Every new file of this batch failed the warehouse's tests: nothing goes live.")
        return
    accepted = list(batch.accepted)
    selection = f"{len(context.selected_asset_keys)} of {len(_every_key(context))} dbt assets"
    batch.promote(selection, accepted)
    for version in accepted:
        context.log_event(_tested_event(version, True, "every error-level dbt test passed with this file loaded"))
    context.log.info(f"Promoted the tested candidate: {len(accepted)} new file version(s) are live ({selection})")
    unchanged = dbt_run.subset.unchanged_views if dbt_run.subset else []
    yield from _events(context, dbt_run.last, batch.warehouse.path, unchanged)
