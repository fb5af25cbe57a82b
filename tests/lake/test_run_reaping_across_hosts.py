"""Run reaping (orchestration/defs/runs.py) with the instance in PostgreSQL, where hosts share one run list.

A batch run records its PID and host; the landing sensor marks it failed when that process is gone. A PID says
nothing about another host's processes: a run whose worker lives elsewhere (another code server, a Kubernetes pod)
is left to Dagster's run monitoring, which asks the run launcher about it (README "Deploying with PostgreSQL").
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest
from dagster_postgres import PostgresRunStorage

from orchestration.settings import DAGSTER_POSTGRES_URL_ENV, instance_config

if TYPE_CHECKING:
    from tests.lake.conftest import PostgresServer


@pytest.fixture
def postgres_instance(
    postgres_server: PostgresServer, worker_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    """An instance configured as the settings write it when HT_DAGSTER_POSTGRES_URL is set."""
    monkeypatch.setenv(DAGSTER_POSTGRES_URL_ENV, postgres_server.create_database(f"reaping_{worker_id}"))
    (tmp_path / "dagster.yaml").write_bytes(instance_config())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


def _started_run(instance: dg.DagsterInstance, host: str, pid: int) -> str:
    from orchestration.defs.jobs import BATCH_JOB_NAME
    from orchestration.defs.warehouse_writer import HOST_TAG, PID_TAG

    run_id = str(uuid.uuid4())
    run = dg.DagsterRun(
        job_name=BATCH_JOB_NAME,
        run_id=run_id,
        status=dg.DagsterRunStatus.STARTED,
        tags={HOST_TAG: host, PID_TAG: str(pid)},
    )
    instance.add_run(run)
    return run_id


def test_only_runs_of_this_host_whose_process_is_gone_are_reaped(postgres_instance: dg.DagsterInstance) -> None:
    # Imported here: orchestration.defs parses the dbt project on import (seconds), which only this test needs.
    from orchestration.defs.runs import reap_dead_runs

    assert isinstance(postgres_instance.run_storage, PostgresRunStorage)
    exited = subprocess.Popen(["true"])
    exited.wait()
    dead_here = _started_run(postgres_instance, socket.gethostname(), exited.pid)
    alive_here = _started_run(postgres_instance, socket.gethostname(), os.getpid())
    # The same PID on another host says nothing about that host's process: not this host's to judge.
    elsewhere = _started_run(postgres_instance, "run-worker-pod-7", exited.pid)
    assert reap_dead_runs(postgres_instance) == [dead_here]
    statuses = {run: postgres_instance.get_run_by_id(run).status for run in (dead_here, alive_here, elsewhere)}
    assert statuses == {
        dead_here: dg.DagsterRunStatus.FAILURE,
        alive_here: dg.DagsterRunStatus.STARTED,
        elsewhere: dg.DagsterRunStatus.STARTED,
    }
