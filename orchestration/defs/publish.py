"""Publish assets at the end of the graph: the read-only snapshot BI tools query, and the charts drawn from it."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.defs.dbt.assets import warehouse_dbt_models
from orchestration.defs.dbt.checks import TEST_RESULTS
from orchestration.defs.landed import LANDED_CHECKS, LEGACY_LANDED_CHECK_KEYS
from orchestration.defs.landed_checks import EXPECTATIONS_CHECK, expectation_rows
from orchestration.engine.charts import draw_charts
from orchestration.engine.raw_tables import read_state
from orchestration.engine.snapshot import (
    CHARTS_FOLDER,
    CURRENT_LINK,
    SNAPSHOT_FILE,
    publish_snapshot,
    published_check_results,
)
from orchestration.engine.storage import configured_warehouse
from orchestration.engine.warehouse import Warehouse
from orchestration.settings import publish_dir, snapshots_kept

PUBLISH_GROUP = "publish"
OWNERS = ["team:data-engineering"]
SNAPSHOT_KEY = dg.AssetKey(["published", "warehouse_snapshot"])
CHARTS_KEY = dg.AssetKey(["published", "charts"])
# What the snapshot holds: the BI-facing views and the tables behind them, and the audit trail.
PUBLISHED_GROUPS = ("marts", "audit", "bi")
# Landing checks run per file; their history is read this many records at a time.
CHECK_HISTORY_PAGE = 500
# Check records read again up to the newest one the last publish had read (at least 1: that one shows the history
# is still there): a record committed after a newer one (PostgreSQL hands out ids before commit) is not missed.
CHECK_RECORDS_OVERLAP = 1_000
# How far back to look for a check's last evaluated result behind runs that skipped it.
CHECK_HISTORY_SEARCH = 50


def _published_model_keys() -> list[dg.AssetKey]:
    return sorted(
        (spec.key for spec in warehouse_dbt_models.specs if spec.group_name in PUBLISHED_GROUPS),
        key=lambda key: key.to_user_string(),
    )


def _check_row(record: Any) -> dict[str, Any]:
    evaluation = record.event.asset_check_evaluation if record.event else None
    return {
        "asset_key": record.key.asset_key.to_user_string(),
        "check_name": record.key.name,
        "partition_key": record.partition,
        "run_id": record.run_id,
        "status": record.status.value,
        "passed": evaluation.passed if evaluation else None,
        "severity": evaluation.severity.value if evaluation else None,
        "description": evaluation.description if evaluation else None,
        "evaluated_at": dt.datetime.fromtimestamp(record.create_timestamp, dt.UTC),
    }


def latest_evaluations(instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey]) -> list[Any]:
    """The latest execution of each check that was evaluated: a run whose dbt step was skipped (its batch
    accepted no file) leaves the checks it planned without a result, and the result before it still stands."""
    storage = instance.event_log_storage
    records = []
    for key, record in storage.get_latest_asset_check_execution_by_key(keys).items():
        if record.event is None or record.event.asset_check_evaluation is None:
            history = storage.get_asset_check_execution_history(key, limit=CHECK_HISTORY_SEARCH)
            record = next((r for r in history if r.event and r.event.asset_check_evaluation), None)
        if record is not None:
            records.append(record)
    return records


def _test_rows(record: Any) -> list[dict[str, Any]]:
    """A model's `dbt_tests` evaluation as one row per dbt test it lists."""
    row = _check_row(record)
    tests = record.event.asset_check_evaluation.metadata[TEST_RESULTS]
    return [
        {
            **row,
            "check_name": test["test"],
            "passed": test["status"] == "pass",
            "severity": "WARN" if test["status"] == "warn" else "ERROR",
            "description": test["message"] or None,
        }
        for test in tests.value
    ]


def _landing_rows(record: Any) -> list[dict[str, Any]]:
    """A landing check's record as rows: a file's `passes_expectations` evaluation as one row per expectation
    (check_name is the expectation's name), any other check as itself."""
    row = _check_row(record)
    evaluation = record.event.asset_check_evaluation if record.event else None
    if record.key.name != EXPECTATIONS_CHECK or evaluation is None:
        return [row]
    return [
        {
            **row,
            "check_name": result["name"],
            "status": "SUCCEEDED" if result["passed"] else "FAILED",
            "passed": result["passed"],
            "severity": "ERROR" if result["severity"] == "error" else "WARN",
            "description": result["description"],
        }
        for result in expectation_rows(evaluation)
    ]


def latest_dbt_test_results(instance: dg.DagsterInstance) -> list[dict[str, Any]]:
    """The latest result of every dbt test, a row each (check_name is the test's name), from the models' checks."""
    return [
        row
        for record in latest_evaluations(instance, list(warehouse_dbt_models.check_keys))
        for row in _test_rows(record)
    ]


def _check_records(storage: Any, key: dg.AssetCheckKey, after: int | None) -> Iterator[Any]:
    """The check's records newest first, down to the one with id `after` (all of them when None)."""
    cursor = None
    while True:
        page = storage.get_asset_check_execution_history(key, limit=CHECK_HISTORY_PAGE, cursor=cursor)
        for record in page:
            if after is not None and record.id <= after:
                return
            yield record
        if len(page) < CHECK_HISTORY_PAGE:
            return
        cursor = page[-1].id


def landing_check_rows(
    instance: dg.DagsterInstance, previous: list[dict[str, Any]], read_to: int | None
) -> tuple[list[dict[str, Any]], int | None]:
    """The latest result of every landing check per file, and the newest check record read.

    With the previous snapshot's rows and the newest record it had read, only the records after it are read (and
    CHECK_RECORDS_OVERLAP before it, which includes that newest one): a publish costs what changed since the last
    one, not the whole history. If that record or the run of a kept row is gone (a run was deleted, the storage
    replaced), the whole history is read."""
    storage = instance.event_log_storage
    after = read_to - CHECK_RECORDS_OVERLAP if read_to is not None else None
    latest: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    ids: set[int] = set()
    seen: set[tuple[str, str, str | None]] = set()
    current = [key for checks in LANDED_CHECKS for key in checks.check_keys]
    # A whole read also takes the per-expectation checks of files landed before they became one evaluation;
    # a file's newer `passes_expectations` rows win over them.
    legacy = LEGACY_LANDED_CHECK_KEYS if after is None else []
    for key in [*current, *legacy]:
        for record in _check_records(storage, key, after):  # newest first: the first of a file is its latest
            ids.add(record.id)
            file_check = (key.asset_key.to_user_string(), key.name, record.partition)
            if file_check not in seen:
                seen.add(file_check)
                for row in _landing_rows(record):
                    latest.setdefault((row["asset_key"], row["check_name"], row["partition_key"]), row)
    landed = {key.asset_key.to_user_string() for checks in LANDED_CHECKS for key in checks.check_keys}
    kept = [row for row in previous if row["asset_key"] in landed]
    if read_to is not None and (read_to not in ids or not _runs_exist(instance, {row["run_id"] for row in kept})):
        return landing_check_rows(instance, [], None)
    for row in kept:
        latest.setdefault((row["asset_key"], row["check_name"], row["partition_key"]), row)
    rows = [latest[key] for key in sorted(latest, key=lambda key: (key[0], key[1], key[2] or ""))]
    return rows, max(ids, default=read_to)


def _runs_exist(instance: dg.DagsterInstance, run_ids: set[str]) -> bool:
    """Whether every one of these runs is still in the instance (a deleted run takes its check records along)."""
    wanted = sorted(run_ids)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(instance.get_run_ids(filters=dg.RunsFilter(run_ids=wanted[start : start + 500])))
    return found == set(wanted)


def _latest_check_results(instance: dg.DagsterInstance) -> tuple[list[dict[str, Any]], int | None]:
    """The latest result of every dbt test, and of every landing check per file; and the newest check record
    read (for the next publish)."""
    landing, read_to = landing_check_rows(instance, *published_check_results(publish_dir()))
    return [*latest_dbt_test_results(instance), *landing], read_to


def _source_versions(warehouse: Warehouse) -> list[dict[str, Any]]:
    with warehouse.read_live() as conn:
        assert conn is not None, "a published warehouse exists"
        rows = conn.execute(
            "select source_id, source_version, file_sha256, cast(loaded_at as varchar) "
            "from audit.release_versions where is_latest_version order by source_id"
        ).fetchall()
    return [dict(zip(("source_id", "version", "file_sha256", "loaded_at"), row, strict=True)) for row in rows]


def _row_count_table(row_counts: dict[str, int]) -> dg.MetadataValue:
    lines = ["| relation | rows |", "|---|---:|", *(f"| {name} | {rows:,} |" for name, rows in row_counts.items())]
    return dg.MetadataValue.md("\n".join(lines))


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=_published_model_keys(),
    group_name=PUBLISH_GROUP,
    kinds={"duckdb", "parquet"},
    owners=OWNERS,
    description="The read-only snapshot BI tools open: bi views, marts and audit tables copied from the live "
    "warehouse into a new DuckDB file readable by DuckDB 1.4+, every table also as Parquet, then swapped in "
    "atomically as `published/current`. The live warehouse only ever holds states whose error-level dbt tests "
    "all passed (write-audit-publish), so every snapshot does too; older snapshots are kept.",
)
def warehouse_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    check_rows, check_records_read_to = _latest_check_results(context.instance)
    failed = [row for row in check_rows if row["passed"] is False]
    summary = {
        "checks": len(check_rows),
        "passed": sum(1 for row in check_rows if row["passed"]),
        "failed_warnings": sum(1 for row in failed if row["severity"] == "WARN"),
        # dbt failures stop the publish above, so error-level failures here are landing checks: refused files.
        "refused_file_checks": sum(1 for row in failed if row["severity"] == "ERROR"),
    }
    target = publish_dir()
    warehouse = configured_warehouse(Path(duckdb.database))
    publication, pruned = publish_snapshot(
        warehouse,
        target,
        _source_versions(warehouse),
        summary,
        check_rows,
        snapshots_kept(),
        batch_id=read_state(warehouse).batch_id,
        check_records_read_to=check_records_read_to,
    )
    current = target / CURRENT_LINK
    context.log.info(f"Published snapshot {publication.snapshot_id} as {current / SNAPSHOT_FILE}")
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": publication.snapshot_id,
            "batch_id": str(publication.batch_id),
            "snapshot_path": dg.MetadataValue.path(str(current / SNAPSHOT_FILE)),
            "parquet_dir": dg.MetadataValue.path(str(current / "parquet")),
            "storage_version": publication.storage_version,
            "lake_snapshot": str(publication.lake_snapshot) if publication.lake_snapshot is not None else "no lake",
            "git_revision": publication.git_revision,
            "source_versions": dg.MetadataValue.int(len(publication.source_versions)),
            "check_summary": dg.MetadataValue.json(publication.check_summary),
            "row_counts": _row_count_table(publication.row_counts),
            "snapshots_pruned": dg.MetadataValue.json(pruned),
        },
        data_version=dg.DataVersion(publication.snapshot_id),
    )


@dg.asset(
    key=CHARTS_KEY,
    deps=[SNAPSHOT_KEY],
    group_name=PUBLISH_GROUP,
    kinds={"python", "matplotlib"},
    owners=OWNERS,
    description="A visual summary of the published snapshot: victims by period and trafficking type, and hotline "
    "cases by state. PNG files beside the snapshot, shown here as metadata.",
)
def charts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    snapshot_folder = (publish_dir() / CURRENT_LINK).resolve()
    drawn = draw_charts(snapshot_folder / SNAPSHOT_FILE, snapshot_folder / CHARTS_FOLDER)
    context.log.info(f"Drew {len(drawn)} charts in {snapshot_folder / CHARTS_FOLDER}")
    metadata: dict[str, Any] = {"snapshot_id": snapshot_folder.name}
    for chart in drawn:
        metadata[chart.name] = dg.MetadataValue.md(chart.markdown())
        metadata[f"{chart.name}_file"] = dg.MetadataValue.path(str(chart.path))
    return dg.MaterializeResult(metadata=metadata)


PUBLISH_ASSETS = [warehouse_snapshot, charts]
