"""Runs whose process died: found by the PID they recorded, and marked failed so nothing waits for them.

Run monitoring fails the runs whose worker the fork-server launcher forked (deploy/run_launcher.py), but Dagster's
default launcher cannot tell whether its run workers are alive, and an in-process `ht-warehouse build` killed with
SIGKILL leaves its run STARTED forever. Every batch run records its PID and host (resources.WarehouseWriter);
before launching, the sensor and the CLI mark the runs whose process is gone as failed. Their files were never
promoted, so the ledger still lists them as pending.
"""

from __future__ import annotations

import socket

import dagster as dg

from orchestration.defs.jobs import BATCH_JOB_NAME
from orchestration.defs.warehouse_writer import HOST_TAG, PID_TAG
from orchestration.engine.processes import process_alive

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark STARTED batch runs of this host whose process is gone as failed; returns their run ids."""
    reaped = []
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=BATCH_JOB_NAME, statuses=[dg.DagsterRunStatus.STARTED]), limit=50
    )
    for run in runs:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid and host == socket.gethostname() and not process_alive(int(pid)):
            current = instance.get_run_by_id(run.run_id)  # run monitoring may have failed it meanwhile
            if current is not None and current.status == dg.DagsterRunStatus.STARTED:
                message = f"The run's process (PID {pid}) is gone: killed or crashed."
                instance.report_run_failed(current, message=message)
                reaped.append(run.run_id)
    return reaped


def batch_runs_in_flight(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(job_name=BATCH_JOB_NAME, statuses=IN_FLIGHT), limit=10))
