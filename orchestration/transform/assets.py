"""All dbt models, seeds and tests as one Dagster multi-asset; dbt tests load as asset checks.

This step is the audit of write-audit-publish. It builds the selected models (those downstream of what the
batch changed, or all of them) with their tests in the batch's candidate copy of the warehouse. Only when no
error-level test fails does the candidate replace the live file. When one fails, each new file of the batch is
tried alone to find the responsible ones: they are quarantined with the failing tests and rows, and the rest of
the batch goes live without them, so no file can jam the pipeline.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from orchestration.engine.batch import Batch
from orchestration.engine.gate import blocking_results, describe, failing_rows
from orchestration.engine.warehouse import (
    candidate_path,
    dbt_fingerprint,
    forget_dbt_process,
    read_state,
    record_dbt_process,
)
from orchestration.ingest.discovery import FileVersion, LandedFile
from orchestration.ingest.land import refuse_after_tests
from orchestration.ingest.landing import quarantine
from orchestration.quality.checks import WAREHOUSE_TESTS_CHECK
from orchestration.resources import WarehouseWriter
from orchestration.settings import DUCKDB_PATH_ENV
from orchestration.transform.metadata import LineageCache, table_metadata, warehouse_columns
from orchestration.transform.project import dbt_project
from orchestration.transform.translator import translator

Built = tuple[DbtCliInvocation, list[Any], list[dict[str, Any]]]
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


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, batch: Batch, candidate: Path) -> Built:
    """`dbt build` of the run's selection in the candidate: its events, and the results that block promotion."""
    # dbt's profile names `<HT_DUCKDB_PATH>.candidate`: the file prepared here, never the live one.
    if candidate != candidate_path(batch.warehouse) or os.environ.get(DUCKDB_PATH_ENV) != str(batch.warehouse):
        raise dg.Failure(f"dbt would not write {candidate}: set {DUCKDB_PATH_ENV} to {batch.warehouse}")
    invocation = dbt.cli(_build_args(context), context=context, raise_on_error=False)
    record_dbt_process(batch.warehouse, invocation.process.pid)
    events = list(invocation.stream())
    forget_dbt_process(batch.warehouse)
    return invocation, events, blocking_results(invocation.get_artifact("run_results.json"))


def _tested_event(version: FileVersion, passed: bool, description: str) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["landed", version.kind]),
        check_name=WAREHOUSE_TESTS_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        partition=version.partition_key,
    )


def _failing_alone(dbt: DbtCliResource, batch: Batch, versions: list[FileVersion], failures: list[dict]) -> list:
    """The given failures that recur in a candidate holding only these new versions.

    Only the failing tests and the models they read are rebuilt: a few seconds, not a whole `dbt build`.
    """
    batch.prepare(versions)
    selectors = [f"+{failure['name']}" for failure in failures]
    target = dbt_project.target_path / "culprit-search"
    target.mkdir(parents=True, exist_ok=True)
    # dbt parses only what changed when it finds the project's partial-parse state in its target folder.
    shutil.copyfile(dbt_project.target_path / "partial_parse.msgpack", target / "partial_parse.msgpack")
    excluded = ["--exclude-resource-type", "seed", "--exclude-resource-type", "unit_test"]
    invocation = dbt.cli(
        ["build", "--select", *selectors, "--indirect-selection", "empty", *excluded],
        manifest=dbt_project.manifest_path,
        raise_on_error=False,
        target_path=target,
    )
    record_dbt_process(batch.warehouse, invocation.process.pid)
    invocation.wait()
    forget_dbt_process(batch.warehouse)
    return blocking_results(invocation.get_artifact("run_results.json"))


def _culprits(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, batch: Batch, failures: list[dict[str, Any]]
) -> dict[FileVersion, list[dict[str, Any]]]:
    """The new versions that make error-level tests fail, each with its failing tests and rows."""
    if len(batch.accepted) == 1:
        return {batch.accepted[0]: failing_rows(batch.candidate_or_copy(), failures)}
    found: dict[FileVersion, list[dict[str, Any]]] = {}
    for number, version in enumerate(batch.accepted, start=1):
        context.log.info(f"Trying {version.path} alone ({number}/{len(batch.accepted)}) to find what fails the tests")
        alone = _failing_alone(dbt, batch, [version], failures)
        if alone:
            found[version] = failing_rows(batch.candidate_or_copy(), alone)
    # Every file passes alone, so they fail together: none of them goes live.
    return found or {v: failing_rows(batch.prepare(), failures) for v in batch.accepted}


def _quarantine_after_tests(
    context: dg.AssetExecutionContext, batch: Batch, culprits: dict[FileVersion, list[dict[str, Any]]]
) -> None:
    for version, report in culprits.items():
        folder = refuse_after_tests(version, report)
        batch.accepted.remove(version)
        batch.quarantined.append(version)
        context.log.error(f"Quarantined {version.path}: with it the warehouse fails {describe(report)} ({folder})")
        context.log_event(_tested_event(version, False, f"Fails the warehouse's tests: {describe(report)}"))


def _audit(context: dg.AssetExecutionContext, dbt: DbtCliResource, batch: Batch) -> Built | None:
    """Build and test the candidate; while tests fail, take out the files that fail them and build again.

    Each round quarantines at least one file, so this ends: with a candidate that passes, or with nothing left to
    promote (None).
    """
    models_tested = read_state(batch.warehouse).dbt_fingerprint == dbt_fingerprint()
    candidate = batch.candidate_or_copy()
    while True:
        built = _build(context, dbt, batch, candidate)
        if not built[2]:
            return built
        if not batch.accepted or (not models_tested and _failing_alone(dbt, batch, [], built[2])):
            raise dg.Failure(
                f"Not promoting: {describe(built[2])}. The live warehouse fails these tests without this run's "
                "files, so the fault is in the dbt models (or a retraction), not in a new file; the live warehouse "
                "and the published snapshot are unchanged.",
                metadata={"failures": dg.MetadataValue.json(failing_rows(batch.prepare(), built[2]))},
            )
        models_tested = True
        _quarantine_after_tests(context, batch, _culprits(context, dbt, batch, built[2]))
        if not batch.accepted and not batch.retracted:
            return None
        candidate = batch.prepare()


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


def _record_retractions(batch: Batch) -> None:
    for version in batch.retracted:
        path = Path(version.path)
        quarantine(
            LandedFile(version.kind, path, 0, 0.0),
            version.sha256,
            {"refused_by": "retraction", "first_problem": "retracted with `ht-warehouse retract`", "run": batch.run_id},
        )


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseWriter) -> Any:
    """`dbt build` of the selected models and their tests in the candidate; promote it if every blocking test passed.

    Row counts, column schemas and column lineage are attached once dbt has finished and released DuckDB's
    single write lock (dagster-dbt's own fetchers query while dbt still holds it).
    """
    batch = warehouse.batch
    _prune_dbt_invocations()
    built = _audit(context, dbt, batch)
    if built is None:
        context.log.warning("Every new file of this batch failed the warehouse's tests: nothing goes live.")
        return
    invocation, events, _ = built
    accepted = list(batch.accepted)
    selection = f"{len(context.selected_asset_keys)} of {len(context.assets_def.keys)} dbt assets"
    batch.promote(selection, accepted)
    _record_retractions(batch)
    for version in accepted:
        context.log_event(_tested_event(version, True, "every error-level dbt test passed with this file loaded"))
    context.log.info(f"Promoted the tested candidate: {len(accepted)} new file version(s) are live ({selection})")
    yield from _with_metadata(context, invocation, events, batch.warehouse)
