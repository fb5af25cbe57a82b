"""The fork-server run launcher: runs start as forks of a process that preloaded the libraries, and stop on demand."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.launcher.base import LaunchRunContext, WorkerStatus

from orchestration import vocabulary
from orchestration.defs.dbt.manifest import manifest_path
from orchestration.deploy.run_launcher import CODE_CHANGED, WORKER_TAG, ForkServerRunLauncher, _same_environment
from tests.conftest import wait_for
from tests.unit import forked_jobs


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    launcher = {
        "module": "orchestration.deploy.run_launcher",
        "class": "ForkServerRunLauncher",
        # The code location is preloaded too, as by default. One fork server per process: every test here shares it.
        "config": {"preload_modules": ["dagster", forked_jobs.PRELOADED]},
    }
    with dg.instance_for_test(overrides={"run_launcher": launcher}) as instance:
        assert isinstance(instance.run_launcher, ForkServerRunLauncher)
        wait_for(instance.run_launcher.start_warming().is_set, "the fork server to warm up", timeout=300)
        yield instance


def _launch(instance: dg.DagsterInstance, job: dg.JobDefinition) -> dg.DagsterRun:
    recon = dg.reconstructable(job)
    run = instance.create_run_for_job(job_def=job, job_code_origin=recon.get_python_origin())
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    return run


def _status(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRunStatus:
    return instance.get_run_by_id(run.run_id).status


def _worker(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict:
    return json.loads(instance.get_run_by_id(run.run_id).tags[WORKER_TAG])


def test_a_run_is_a_fork_of_the_warm_fork_server(instance: dg.DagsterInstance) -> None:
    run = _launch(instance, forked_jobs.preloaded_job)
    wait_for(lambda: instance.get_run_by_id(run.run_id).is_finished, "the run to finish", timeout=120)
    assert _status(instance, run) == dg.DagsterRunStatus.SUCCESS
    worker = _worker(instance, run)
    assert (worker["run_id"], worker["host"]) == (run.run_id, socket.gethostname())
    messages = [entry.message for entry in instance.all_logs(run.run_id)]
    assert f"[ForkServerRunLauncher] Run worker forked from the warm fork server (pid {worker['pid']})." in messages
    assert f"Started process for run (pid: {worker['pid']})." in messages


def _bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_fork_server_loads_the_code_location_and_a_worker_loads_it_again_once_its_files_changed(
    instance: dg.DagsterInstance,
) -> None:
    """A worker finds the code location imported (about 0.2 s less per run), also after a run's dbt build wrote the
    manifest again; after an edit of the project's code, it forgets the project's modules so that the run loads
    them from disk, and says so in the run."""
    edited = Path(vocabulary.__file__)
    was = edited.stat()
    try:
        for job, change, forgotten in (
            (forked_jobs.code_location_loaded_job, None, False),
            (forked_jobs.code_location_loaded_job, manifest_path(), False),  # as every dbt build rewrites it
            (forked_jobs.code_location_forgotten_job, edited, True),
        ):
            if change is not None:
                _bump_mtime(change)
            run = _launch(instance, job)
            wait_for(lambda run=run: instance.get_run_by_id(run.run_id).is_finished, "the run to finish", timeout=120)
            messages = [entry.message for entry in instance.all_logs(run.run_id)]
            assert _status(instance, run) == dg.DagsterRunStatus.SUCCESS, messages
            assert (f"[ForkServerRunLauncher] {CODE_CHANGED}" in messages) == forgotten, messages
    finally:
        os.utime(edited, ns=(was.st_atime_ns, was.st_mtime_ns))  # the fork server's state again, for the next tests


def test_terminate_interrupts_the_worker_and_the_run_is_canceled(instance: dg.DagsterInstance) -> None:
    run = _launch(instance, forked_jobs.sleeping_job)
    wait_for(lambda: _status(instance, run) == dg.DagsterRunStatus.STARTED, "the run to start", timeout=120)
    assert instance.run_launcher.terminate(run.run_id)
    wait_for(lambda: instance.get_run_by_id(run.run_id).is_finished, "the run to stop", timeout=60)
    assert _status(instance, run) == dg.DagsterRunStatus.CANCELED


def test_a_worker_forked_on_another_host_cancels_itself_when_the_run_is_canceling(instance: dg.DagsterInstance) -> None:
    """A webserver in a container of its own cannot signal the daemon's workers: each worker watches its run."""
    run = _launch(instance, forked_jobs.sleeping_job)
    wait_for(lambda: _status(instance, run) == dg.DagsterRunStatus.STARTED, "the run to start", timeout=120)
    elsewhere = {**_worker(instance, run), "host": "daemon-container"}
    instance.add_run_tags(run.run_id, {WORKER_TAG: json.dumps(elsewhere)})
    assert instance.run_launcher.terminate(run.run_id)
    assert _status(instance, run) == dg.DagsterRunStatus.CANCELING
    wait_for(lambda: instance.get_run_by_id(run.run_id).is_finished, "the worker to cancel itself", timeout=60)
    assert _status(instance, run) == dg.DagsterRunStatus.CANCELED


def test_run_monitoring_finds_a_killed_worker_dead_and_leaves_other_runs_alone(instance: dg.DagsterInstance) -> None:
    run = _launch(instance, forked_jobs.sleeping_job)
    wait_for(lambda: _status(instance, run) == dg.DagsterRunStatus.STARTED, "the run to start", timeout=120)
    launcher = instance.run_launcher
    started = instance.get_run_by_id(run.run_id)
    assert launcher.check_run_worker_health(started).status == WorkerStatus.RUNNING
    os.kill(_worker(instance, run)["pid"], signal.SIGKILL)
    wait_for(lambda: launcher.check_run_worker_health(started).status == WorkerStatus.FAILED, "the death", timeout=30)
    assert "is gone: killed or crashed" in launcher.check_run_worker_health(started).msg
    # A re-execution copies its parent's tags, the dead worker's included: it is not judged by that worker.
    rerun = instance.create_run_for_job(job_def=forked_jobs.sleeping_job, tags=dict(started.tags))
    assert rerun.tags[WORKER_TAG] == started.tags[WORKER_TAG]
    assert launcher.check_run_worker_health(rerun).status == WorkerStatus.RUNNING
    # Nor is a worker whose PID now names another process (a restart reuses PIDs).
    reused = {**_worker(instance, run), "pid": os.getpid()}
    instance.add_run_tags(run.run_id, {WORKER_TAG: json.dumps(reused)})
    assert launcher.check_run_worker_health(instance.get_run_by_id(run.run_id)).status == WorkerStatus.FAILED


def test_another_python_environment_is_launched_the_default_way() -> None:
    assert _same_environment(sys.executable)
    assert not _same_environment("/opt/another-venv/bin/python")
    assert not _same_environment(str(Path(sys.executable).with_name("no-such-python")))


class _Instance:
    """What the coordinator reads of an instance: its run launcher."""

    def __init__(self) -> None:
        self.warming: list[bool] = []
        self.run_launcher = type("Launcher", (), {"start_warming": lambda _self: self.warming.append(True)})()


def test_the_daemon_starts_the_fork_server_warming_as_it_builds_its_run_coordinator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration.deploy import run_coordinator

    monkeypatch.delitem(sys.modules, run_coordinator.DAEMON_MODULE, raising=False)
    elsewhere = _Instance()  # the webserver or a code server: they submit runs and never launch one
    run_coordinator.WarmingQueuedRunCoordinator().register_instance(elsewhere)
    assert elsewhere.warming == []
    monkeypatch.setitem(sys.modules, run_coordinator.DAEMON_MODULE, sys.modules[__name__])
    monkeypatch.setattr(sys, "argv", ["dagster-daemon", "liveness-check"])
    probe = _Instance()  # a short command of the daemon's CLI
    run_coordinator.WarmingQueuedRunCoordinator().register_instance(probe)
    assert probe.warming == []
    monkeypatch.setattr(sys, "argv", ["dagster-daemon", "run", "--workspace", "workspace.yaml"])
    daemon = _Instance()
    run_coordinator.WarmingQueuedRunCoordinator().register_instance(daemon)
    assert daemon.warming == [True]


def test_the_fork_server_preloads_the_storage_classes_of_its_instance(instance: dg.DagsterInstance) -> None:
    """A worker opens the instance first: with its storage modules imported in the fork server, that is 0.4 s
    less per run."""
    modules = instance.run_launcher._instance_modules()
    assert not [module for module in modules if module.startswith("orchestration")]  # project code would go stale
    for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
        assert any(type(storage).__module__.startswith(f"{module}.") for module in modules), type(storage)
