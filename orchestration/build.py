"""Building the whole warehouse in-process: every delivered file through its ingest job, then dbt.

Used by `ht-warehouse build` and the tests. Each file is one partition run of its kind's ingest job (land,
validate, load); a refused file is quarantined and the build goes on with the others; dbt runs last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from orchestration.ingest.kinds import SOURCE_KIND_LIST
from orchestration.ingest.landing import LandingZone, ensure_landing_folders
from orchestration.jobs import TRANSFORM_JOB_NAME, ingest_job_name


@dataclass
class BuildReport:
    ingest_results: list[tuple[str, dg.ExecuteInProcessResult]] = field(default_factory=list)
    transform: dg.ExecuteInProcessResult | None = None

    def refused(self) -> list[str]:
        return [f"{path}: {check}" for path, result in self.ingest_results for check in failed_checks(result)]

    def failed_ingests(self) -> list[str]:
        return [
            f"{path}: run {result.run_id}"
            for path, result in self.ingest_results
            if not result.success and not failed_checks(result)
        ]

    @property
    def success(self) -> bool:
        return bool(self.transform and self.transform.success) and not self.failed_ingests()


def failed_checks(result: dg.ExecuteInProcessResult, severity: str = "ERROR") -> list[str]:
    return [
        f"{e.asset_check_evaluation_data.asset_key.to_user_string()}: {e.asset_check_evaluation_data.check_name}"
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
        and e.asset_check_evaluation_data.severity.value == severity
    ]


def ingest_file(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    kind_name: str,
    partition_key: str,
    path: str,
    run_config: dict[str, Any] | None = None,
) -> dg.ExecuteInProcessResult:
    """Register the file's partition and run its kind's ingest job on it."""
    kind = next(k for k in SOURCE_KIND_LIST if k.name == kind_name)
    instance.add_dynamic_partitions(kind.partitions_name, [partition_key])
    config = {**(run_config or {}), "ops": {f"landed__{kind.name}": {"config": {"path": path}}}}
    return defs.resolve_job_def(ingest_job_name(kind)).execute_in_process(
        instance=instance, partition_key=partition_key, raise_on_error=False, run_config=config
    )


def build_all(
    defs: dg.Definitions, instance: dg.DagsterInstance, landing: LandingZone, run_config: dict[str, Any] | None = None
) -> BuildReport:
    ensure_landing_folders(landing)
    report = BuildReport()
    for kind in SOURCE_KIND_LIST:
        for file in landing.list_files(kind.name):
            result = ingest_file(defs, instance, kind.name, file.partition_key, str(file.path), run_config)
            report.ingest_results.append((str(file.path), result))
    report.transform = defs.resolve_job_def(TRANSFORM_JOB_NAME).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config or {}
    )
    return report
