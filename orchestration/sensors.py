"""Sensors: a new or changed file in the landing zone launches one ingest run, and nothing else does.

The run key is `<kind>:<file name>:<sha256>`: Dagster never launches two runs with one key for a sensor,
so re-delivered identical bytes launch nothing, even after a cursor reset. The cursor is only a listing
watermark (the newest modification time seen), so a tick reads and hashes only files that changed.
"""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.kinds import SOURCE_KIND_LIST, SourceKind
from orchestration.ingest.landing import LandingZone, unsafe_name_problem
from orchestration.ingest.partitions import PARTITIONS
from orchestration.ingest.staging import StagedVersion
from orchestration.jobs import INGEST_JOBS
from orchestration.publish.assets import PUBLISH_GROUP
from orchestration.transform.translator import MODEL_GROUPS

# A tick hashes at most this many changed files; the rest wait for the next tick (the watermark says where).
MAX_FILES_PER_TICK = 500


def run_key(kind: str, partition_key: str, sha256: str) -> str:
    return f"{kind}:{partition_key}:{sha256}"


def build_landing_sensor(kind: SourceKind) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{kind.name}_landing_sensor",
        job=INGEST_JOBS[kind.name],
        minimum_interval_seconds=5,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Launches one ingest run per new or changed file in the landing folder {kind.name}/.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZone) -> dg.SensorResult:
        watermark = float(context.cursor or 0)
        # ">=": files written in the same clock tick as the watermark are looked at again; run keys dedupe.
        changed = sorted(
            (f for f in landing.list_files(kind.name, include_shipped=False) if f.mtime >= watermark),
            key=lambda f: (f.mtime, f.path.name),
        )[:MAX_FILES_PER_TICK]
        requests: list[dg.RunRequest] = []
        for file in changed:
            if problem := unsafe_name_problem(file.path.name):
                # A name that cannot be a partition key: the file stays where it is, the tick log says why.
                context.log.warning(f"Skipped {file.path}: {problem}; rename it to <key>.<extension>")
                continue
            sha = file.sha256()
            if StagedVersion(kind.name, file.partition_key, sha).status():
                continue  # these exact bytes were processed before (loaded, or refused and quarantined)
            requests.append(
                dg.RunRequest(
                    run_key=run_key(kind.name, file.partition_key, sha),
                    partition_key=file.partition_key,
                    run_config={"ops": {f"landed__{kind.name}": {"config": {"path": str(file.path)}}}},
                    tags={"ht/source_kind": kind.name, "ht/file_sha256": sha, "ht/path": str(file.path)},
                )
            )
        keys = sorted({r.partition_key for r in requests if r.partition_key})
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[PARTITIONS[kind.name].build_add_request(keys)] if keys else [],
            cursor=str(max([watermark, *(f.mtime for f in changed)])),
        )

    return landing_sensor


LANDING_SENSORS = [build_landing_sensor(kind) for kind in SOURCE_KIND_LIST]

# Declarative automation: evaluates the dbt models' automation conditions (transform/translator.py).
automation_sensor = dg.AutomationConditionSensorDefinition(
    "warehouse_automation",
    target=dg.AssetSelection.groups(*MODEL_GROUPS, PUBLISH_GROUP),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Rebuilds the dbt models affected by a successful ingest, then publishes the snapshot.",
)
