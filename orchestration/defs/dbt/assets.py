"""All dbt models, seeds and tests as one Dagster multi-asset; dbt tests load as asset checks.

This step is the audit of write-audit-publish (engine/audit.py): it builds the selected models (those
downstream of what the batch changed, or all of them) with their tests in the batch's candidate copy of the
warehouse, quarantines the files that fail them, and promotes the candidate when no error-level test fails.
Here are only the Dagster side of it: running dbt through dagster-dbt, and the events the UI shows.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from orchestration.defs.dbt.model_metadata import LineageCache, table_metadata, warehouse_columns
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.translator import translator
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
from orchestration.engine.versions import FileVersion
from orchestration.engine.warehouse import candidate_path, forget_dbt_process, record_dbt_process
from orchestration.settings import DUCKDB_PATH_ENV

# dagster-dbt gives every invocation its own target folder (about 10 MB: compiled SQL, manifest, run results).
# The newest are kept to look into; an event a minute would otherwise fill a disk in days.
DBT_INVOCATIONS_KEPT = 20


def _prune_dbt_invocations(keep: int = DBT_INVOCATIONS_KEPT) -> None:
    folders = sorted(dbt_project.target_path.glob("warehouse_dbt_models-*"), key=lambda p: p.stat().st_mtime)
    for folder in folders[:-keep]:
        shutil.rmtree(folder, ignore_errors=True)


def _build_args(context: dg.AssetExecutionContext) -> list[str]:
    """`dbt build`; without dbt's unit tests when only part of the project is built. Unit tests check the SQL
    of the models against fixed inputs, not the data: they run in every full build, which a changed dbt project
    triggers, so an event that only brings data skips them."""
    partial = len(context.selected_asset_keys) < len(context.assets_def.keys)
    return ["build", "--exclude-resource-type", "unit_test"] if partial else ["build"]


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
    """dbt for the audit (engine/audit.DbtBuild) through dagster-dbt, keeping the events of the last build."""

    def __init__(self, context: dg.AssetExecutionContext, dbt: DbtCliResource, batch: Batch) -> None:
        self.context, self.dbt, self.batch = context, dbt, batch
        self.invocation: DbtCliInvocation | None = None
        self.events: list[Any] = []

    def build(self) -> list[Failure]:
        """`dbt build` of the run's selection in the candidate: its events, and the results that block promotion."""
        # dbt's profile names `<HT_DUCKDB_PATH>.candidate`: the file prepared here, never the live one.
        warehouse = self.batch.warehouse
        if self.batch.candidate != candidate_path(warehouse) or os.environ.get(DUCKDB_PATH_ENV) != str(warehouse):
            raise dg.Failure(f"dbt would not write {self.batch.candidate}: set {DUCKDB_PATH_ENV} to {warehouse}")
        self.invocation = self.dbt.cli(_build_args(self.context), context=self.context, raise_on_error=False)
        record_dbt_process(warehouse, self.invocation.process.pid)
        self.events = list(self.invocation.stream())
        forget_dbt_process(warehouse)
        return blocking_results(self.invocation.get_artifact("run_results.json"))

    def rebuild_failing(self, failures: list[Failure]) -> list[Failure]:
        """Only the failing tests and the models they read: a few seconds, not a whole `dbt build`."""
        selectors = [f"+{failure['name']}" for failure in failures]
        target = dbt_project.target_path / "culprit-search"
        target.mkdir(parents=True, exist_ok=True)
        # dbt parses only what changed when it finds the project's partial-parse state in its target folder.
        shutil.copyfile(dbt_project.target_path / "partial_parse.msgpack", target / "partial_parse.msgpack")
        excluded = ["--exclude-resource-type", "seed", "--exclude-resource-type", "unit_test"]
        invocation = self.dbt.cli(
            ["build", "--select", *selectors, "--indirect-selection", "empty", *excluded],
            manifest=dbt_project.manifest_path,
            raise_on_error=False,
            target_path=target,
        )
        record_dbt_process(self.batch.warehouse, invocation.process.pid)
        invocation.wait()
        forget_dbt_process(self.batch.warehouse)
        return blocking_results(invocation.get_artifact("run_results.json"))


def _with_metadata(
    context: dg.AssetExecutionContext, invocation: DbtCliInvocation, events: list[Any], database: Path
) -> Iterator[Any]:
    """The dbt events, with row counts, column schemas and (cached) column lineage from the promoted file."""
    outputs = [event for event in events if isinstance(event, dg.Output)]
    lineage = LineageCache(dbt_project.manifest_path)
    with duckdb.connect(str(database), read_only=True) as conn:
        columns = warehouse_columns(conn)
        counts = {
            event.output_name: conn.execute(
                "select count(*) from {}.{}".format(*context.asset_key_for_output(event.output_name).path)
            ).fetchone()[0]
            for event in outputs
        }
    for event in events:
        if isinstance(event, dg.Output):
            unique_id = str(event.metadata["unique_id"].value)
            metadata = table_metadata(invocation, unique_id, columns, counts[event.output_name], lineage)
            yield event.with_metadata({**event.metadata, **metadata})
        else:
            yield event
    lineage.save()


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseWriter) -> Any:
    """`dbt build` of the selected models and their tests in the candidate; promote it if every blocking test passed.

    Row counts, column schemas and column lineage are attached once dbt has finished and released DuckDB's
    single write lock (dagster-dbt's own fetchers query while dbt still holds it).
    """
    batch = warehouse.batch
    _prune_dbt_invocations()
    dbt_run = DagsterDbt(context, dbt, batch)

    def refused(version: FileVersion, report: list[dict[str, Any]], folder: Path) -> None:
        context.log.error(f"Quarantined {version.label}: it fails {describe(report)}")
        context.log_event(_tested_event(version, False, f"Fails the warehouse's tests: {describe(report)}"))

    try:
        passed = audit(dbt_run, batch, refused, context.log.info)
    except ModelsFail as error:
        raise dg.Failure(str(error), metadata={"failures": dg.MetadataValue.json(error.report)}) from None
    if not passed or dbt_run.invocation is None:
        context.log.warning("Every new file of this batch failed the warehouse's tests: nothing goes live.")
        return
    accepted = list(batch.accepted)
    selection = f"{len(context.selected_asset_keys)} of {len(context.assets_def.keys)} dbt assets"
    batch.promote(selection, accepted)
    for version in accepted:
        context.log_event(_tested_event(version, True, "every error-level dbt test passed with this file loaded"))
    context.log.info(f"Promoted the tested candidate: {len(accepted)} new file version(s) are live ({selection})")
    yield from _with_metadata(context, dbt_run.invocation, dbt_run.events, batch.warehouse)
