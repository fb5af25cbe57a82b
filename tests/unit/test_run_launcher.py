"""The fork-server run launcher: runs start as forks of a process that preloaded the libraries, and stop on demand."""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.launcher.base import LaunchRunContext, WorkerStatus

from orchestration.deploy.run_launcher import WORKER_TAG, ForkServerRunLauncher, _same_environment
from tests.conftest import wait_for
from tests.unit import forked_jobs


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    launcher = {
        "module": "orchestration.deploy.run_launcher",
        "class": "ForkServerRunLauncher",
        "config": {"preload_modules": ["dagster", forked_jobs.PRELOADED]},
    }
    with dg.instance_for_test(overrides={"run_launcher": launcher}) as instance:
        assert isinstance(instance.run_launcher, ForkServerRunLauncher)
        wait_for(instance.run_launcher.start_warming().is_set, "the fork server to warm up", timeout=120)
        yield instance


def _launch(instance: dg.DagsterInstance, job: dg.JobDefinition) -> dg.DagsterRun:
    recon = dg.reconstructable(job)
    run = instance.create_run_for_job(job_def=job, job_code_origin=recon.get_python_origin())
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    return run


def _status(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRunStatus:
    return instance.get_run_by_id(run.run_id).status


def test_a_run_is_a_fork_of_the_warm_fork_server(instance: dg.DagsterInstance) -> None:
    run = _launch(instance, forked_jobs.preloaded_job)
    wait_for(lambda: instance.get_run_by_id(run.run_id).is_finished, "the run to finish", timeout=120)
    assert _status(instance, run) == dg.DagsterRunStatus.SUCCESS
    host, _, pid = instance.get_run_by_id(run.run_id).tags[WORKER_TAG].rpartition(":")
    messages = [entry.message for entry in instance.all_logs(run.run_id)]
    assert f"[ForkServerRunLauncher] Run worker forked from the warm fork server (pid {pid})." in messages
    assert f"Started process for run (pid: {pid})." in messages
    assert host == socket.gethostname()


def test_terminate_interrupts_the_worker_and_the_run_is_canceled(instance: dg.DagsterInstance) -> None:
    run = _launch(instance, forked_jobs.sleeping_job)
    wait_for(lambda: _status(instance, run) == dg.DagsterRunStatus.STARTED, "the run to start", timeout=120)
    assert instance.run_launcher.terminate(run.run_id)
    wait_for(lambda: instance.get_run_by_id(run.run_id).is_finished, "the run to stop", timeout=60)
    assert _status(instance, run) == dg.DagsterRunStatus.CANCELED


def test_run_monitoring_finds_a_killed_worker_dead_and_leaves_other_runs_alone(instance: dg.DagsterInstance) -> None:
    run = _launch(instance, forked_jobs.sleeping_job)
    wait_for(lambda: _status(instance, run) == dg.DagsterRunStatus.STARTED, "the run to start", timeout=120)
    launcher = instance.run_launcher
    started = instance.get_run_by_id(run.run_id)
    assert launcher.check_run_worker_health(started).status == WorkerStatus.RUNNING
    pid = int(started.tags[WORKER_TAG].rpartition(":")[2])
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: launcher.check_run_worker_health(started).status == WorkerStatus.FAILED, "the death", timeout=30)
    assert "is gone: killed or crashed" in launcher.check_run_worker_health(started).msg
    # A run this launcher did not fork (`ht-warehouse build`) is the landing sensor's to judge.
    other = instance.create_run_for_job(job_def=forked_jobs.sleeping_job)
    assert launcher.check_run_worker_health(other).status == WorkerStatus.RUNNING


def test_another_python_environment_is_launched_the_default_way() -> None:
    assert _same_environment(sys.executable)
    assert not _same_environment("/opt/another-venv/bin/python")
