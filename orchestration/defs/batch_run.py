"""Running one batch in-process: what `ht-warehouse build`, `ht-warehouse retract` and the tests call.

The daemon's sensor launches the same job with the same selection and config (sensors.py); here the run
executes in this process, so a build needs no daemon.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from orchestration.defs.jobs import BATCH_JOB_NAME, BATCH_TAG, batch_selection
from orchestration.defs.landed_checks import EXPECTATIONS_CHECK
from orchestration.defs.runs import reap_dead_runs
from orchestration.engine.audit import WAREHOUSE_TESTS_CHECK
from orchestration.engine.plan import batch_digest
from orchestration.engine.stop_signals import StopRequested
from orchestration.engine.versions import FileVersion
from orchestration.settings import quarantine_dir


def batch_run_config(files: Sequence[FileVersion], retract: Sequence[FileVersion] = ()) -> dict[str, Any]:
    if not files and not retract:
        return {}
    return {
        "ops": {
            "ingest_batch": {
                "config": {"files": [v.as_config() for v in files], "retract": [v.as_config() for v in retract]}
            }
        }
    }


def selected_keys(asset_graph: Any, kinds: Iterable[str], full: bool) -> list[dg.AssetKey]:
    """The asset keys a batch run materializes, resolved against the code location's asset graph."""
    return sorted(batch_selection(kinds, full).resolve(asset_graph))


@dataclass
class FileOutcome:
    path: str
    partition_key: str
    sha256: str
    accepted: bool
    problem: str = ""
    report: str = ""  # the validation report (HTML) of the file's landing checks


@dataclass
class BatchReport:
    result: dg.ExecuteInProcessResult | None
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.result is None or self.result.success

    @property
    def interrupted(self) -> bool:
        """Stopped by SIGTERM or Ctrl-C: Dagster's own handlers turn both into an interrupted step, and a batch
        refuses to promote after either (engine/stop_signals.py)."""
        interrupts = {dg.DagsterExecutionInterruptedError.__name__, StopRequested.__name__}
        return self.result is not None and any(
            event.step_failure_data.error is not None and event.step_failure_data.error.cls_name in interrupts
            for event in self.result.get_step_failure_events()
        )

    @property
    def loaded(self) -> list[FileOutcome]:
        """Files now live in the warehouse: accepted by every check, in a run that promoted its candidate."""
        return [f for f in self.files if f.accepted] if self.success else []

    @property
    def refused(self) -> list[FileOutcome]:
        return [f for f in self.files if not f.accepted]


def _file_outcomes(result: dg.ExecuteInProcessResult) -> list[FileOutcome]:
    """One outcome per landed file version, from its `landed/<kind>` materialization and its failed checks."""
    outcomes: dict[tuple[str, str, str], FileOutcome] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key.path[0] != "landed":
            continue
        metadata = materialization.metadata
        outcome = FileOutcome(
            path=str(metadata["path"].value),
            partition_key=str(materialization.partition),
            sha256=str(metadata["file_sha256"].value),
            accepted=bool(metadata["passed_validation"].value),
            report=str(metadata["validation_report"].value) if "validation_report" in metadata else "",
        )
        outcomes[(materialization.asset_key.path[1], outcome.partition_key, outcome.sha256)] = outcome
    by_partition = {(kind, key): o for (kind, key, _), o in outcomes.items()}
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        data = event.asset_check_evaluation_data
        outcome = by_partition.get((data.asset_key.path[-1], str(data.partition)))
        if outcome is None or data.passed or data.severity.value != "ERROR":
            continue
        outcome.accepted = False
        if not outcome.problem:
            # The expectations' description names the failed expectation itself.
            named = data.check_name == EXPECTATIONS_CHECK
            outcome.problem = data.description if named else f"{data.check_name}: {data.description}"
            if data.check_name == WAREHOUSE_TESTS_CHECK:  # refused by dbt: its report is in the quarantine
                outcome.report = str(
                    quarantine_dir() / data.asset_key.path[-1] / outcome.partition_key / outcome.sha256 / "report.json"
                )
    return list(outcomes.values())


def run_batch(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    files: Sequence[FileVersion],
    full: bool = False,
    retract: Sequence[FileVersion] = (),
    run_config: dict[str, Any] | None = None,
) -> BatchReport:
    """Process one batch (new files, retractions, a full or publish-only rebuild) as one in-process run."""
    reap_dead_runs(instance)
    kinds = {v.kind for v in files} | {v.kind for v in retract}
    config = {**(run_config or {}), **batch_run_config(files, retract)}
    result = defs.resolve_job_def(BATCH_JOB_NAME).execute_in_process(
        instance=instance,
        run_config=config,
        asset_selection=selected_keys(defs.resolve_asset_graph(), kinds, full),
        raise_on_error=False,
        tags={BATCH_TAG: batch_digest([*files, *retract])},
    )
    return BatchReport(result, _file_outcomes(result))
