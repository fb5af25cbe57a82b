"""A run launcher whose run workers are forks of a process that has already imported the heavy libraries.

Dagster's default launcher asks the code server to start a run, and the code server spawns a new Python process
for it (multiprocessing's "spawn"). That process imports Dagster, dagster-dbt (and with it dbt-core) and, in the
ingest step, great-expectations: on 2 cores about 6 s of every event before any work starts. This launcher keeps
a multiprocessing fork server that imported those libraries once. Each run worker is a fork of it. The worker runs
the command a container-based launcher (dagster-docker, dagster-k8s) runs, `dagster api execute_run`, so it loads
the code location itself, as a spawned worker does: an edited definition is picked up by the next run.

The fork server preloads libraries, the instance's storage modules, a warm-up (warm_up.py) and the code location
(code_preload.py): a worker whose code files changed since then forgets the project's modules and loads them from
disk, so an edit is never run stale. It starts as the daemon starts (run_coordinator.py), or at the first
launch. A run whose code location uses another Python environment than the launching process (the daemon) goes to
Dagster's default launcher, through its code server, and so does every run until the fork server is warm. Forked
workers write to the daemon's output, as the code server's children write to the code server's.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.launcher.base import CheckRunHealthResult, LaunchRunContext, WorkerStatus
from dagster._serdes import ConfigurableClassData

from orchestration.deploy.preload import PRELOAD
from orchestration.engine.processes import process_start_time, same_process

logger = logging.getLogger(__name__)

# Which process runs a forked run worker: JSON {"run_id", "host", "pid", "started"}. The run id keeps a re-executed
# run (which copies its parent's tags) from being judged by its parent's worker, and the start time keeps a reused
# PID from passing for the worker.
WORKER_TAG = "ht/run_worker"
# Imported last by the fork server: loads the code location (code_preload.py). Named, not imported: the daemon itself
# must not load it.
CODE_PRELOAD = f"{__package__}.code_preload"
CODE_CHANGED = "The code location changed since the fork server loaded it: this run loads it from disk."


def run_worker(command: Sequence[str], instance_ref: InstanceRef, run_id: str) -> None:
    """A forked run worker's body: `dagster <command>`, through the `dagster` console script's entry point.

    Beside it, Dagster's run cancellation thread polls the run and interrupts the worker once the run is CANCELING:
    a webserver on another host (a container of its own) can cancel a run it cannot signal.
    """
    from dagster._core.execution.run_cancellation_thread import start_run_cancellation_thread

    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        preloaded = sys.modules.get(CODE_PRELOAD)
        if preloaded is not None and preloaded.forget_if_changed():
            instance.report_engine_event(CODE_CHANGED, instance.get_run_by_id(run_id), cls=ForkServerRunLauncher)
        watcher, stop_watching = start_run_cancellation_thread(instance, run_id)
    (cli,) = entry_points(group="console_scripts", name="dagster")
    sys.argv = ["dagster", *command]
    try:
        cli.load()()
    finally:
        stop_watching.set()
        watcher.join()


def ready() -> None:
    """A probe's body: a fork that exits at once shows that the fork server is up and warm."""


def _same_environment(executable: str) -> bool:
    """Whether a code location's interpreter is this process's: the same file, or another name for it in the same
    bin folder (a venv's python and python3)."""
    mine, theirs = Path(sys.executable).absolute(), Path(executable).absolute()
    try:
        return theirs.parent == mine.parent and theirs.samefile(mine)
    except OSError:
        return False


class ForkServerRunLauncher(dg.DefaultRunLauncher):
    """Launches each run as a fork of a warm fork server; runs of other Python environments as the default does."""

    def __init__(
        self,
        inst_data: ConfigurableClassData | None = None,
        preload_modules: Sequence[str] = (),
        preload_code_location: bool = True,
    ):
        super().__init__(inst_data=inst_data)
        self._context = multiprocessing.get_context("forkserver")
        # What the fork server imports once, before its first fork (preload.py). The instance's storage classes
        # (SQLite or PostgreSQL) are added to it when it starts (`_instance_modules`): each worker opens the instance
        # first. Then the code location, unless `preload_code_location` is off (code_preload.py).
        self._preload = list(preload_modules or PRELOAD)
        self._preload_code = [CODE_PRELOAD] if preload_code_location else []
        self._warm = threading.Event()
        self._warming: threading.Thread | None = None
        self._warming_lock = threading.Lock()

    def start_warming(self) -> threading.Event:
        """Starts the fork server in the background, once per process; the event is set as soon as it can fork.

        The daemon's run coordinator calls this as the daemon starts, and so does the first launch: only the process
        that launches runs (the daemon) keeps a fork server, not the webserver, which also builds a launcher (to
        terminate runs, to show its name).
        """
        with self._warming_lock:
            if self._warming is None:
                self._context.set_forkserver_preload([*self._preload, *self._instance_modules(), *self._preload_code])
                self._warming = threading.Thread(target=self._warm_up, name="warm-fork-server", daemon=True)
                self._warming.start()
        return self._warm

    def _instance_modules(self) -> list[str]:
        """The modules of the instance's configured classes (storage, compute logs, scheduler...), which a run
        worker imports as it opens the instance: 0.4 s of every run when the fork server has not. Not this project's
        own (this launcher, its run coordinator): they would go stale."""
        ref = self._instance.get_ref()
        classes = [getattr(ref, field) for field in ref._fields if field.endswith("_data")]
        modules = {data.module_name for data in classes if isinstance(data, ConfigurableClassData)}
        project = __name__.split(".")[0]
        return sorted(m for m in modules if m != project and not m.startswith(f"{project}."))

    def _warm_up(self) -> None:
        probe = self._context.Process(target=ready, daemon=True)
        try:
            probe.start()  # returns once the fork server has imported everything and forked
            probe.join()
        except (OSError, EOFError):
            logger.exception("The fork server did not start: runs launch through the code server")
            return
        self._warm.set()

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "preload_modules": dg.Field([str], is_required=False, default_value=list(PRELOAD)),
            "preload_code_location": dg.Field(bool, is_required=False, default_value=True),
        }

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]):
        return cls(
            inst_data=inst_data,
            preload_modules=config_value.get("preload_modules", PRELOAD),
            preload_code_location=config_value.get("preload_code_location", True),
        )

    def launch_run(self, context: LaunchRunContext) -> None:
        from dagster._grpc.types import ExecuteRunArgs  # what dagster-docker and dagster-k8s launch with

        run = context.dagster_run
        origin = run.job_code_origin
        if origin is None or not _same_environment(origin.executable_path):
            super().launch_run(context)
            return
        if not self.start_warming().is_set():  # until it is warm, a run starts the default way: no slower than without
            super().launch_run(context)
            return
        command = ExecuteRunArgs(job_origin=origin, run_id=run.run_id, instance_ref=self._instance.get_ref())
        args = list(command.get_command_args())
        # Not daemonic: a daemon that stops waits for its runs, as the code server does, and a run may have children.
        worker = self._context.Process(
            target=run_worker, args=(args[args.index("api") :], self._instance.get_ref(), run.run_id), daemon=False
        )
        try:
            worker.start()
        except (OSError, EOFError) as error:  # the fork server could not be started or reached: the default way
            self._instance.report_engine_event(
                f"The fork server is unavailable ({error}): launching through the code server.", run, cls=type(self)
            )
            super().launch_run(context)
            return
        assert worker.pid is not None
        identity = {
            "run_id": run.run_id,
            "host": socket.gethostname(),
            "pid": worker.pid,
            "started": process_start_time(worker.pid),
        }
        self._instance.add_run_tags(run.run_id, {WORKER_TAG: json.dumps(identity)})
        self._instance.report_engine_event(
            f"Run worker forked from the warm fork server (pid {worker.pid}).", run, cls=self.__class__
        )

    @staticmethod
    def _identity(run: dg.DagsterRun) -> dict[str, Any] | None:
        """Which process the fork server forked for this very run (not a parent whose tags it copied); None if none."""
        try:
            identity = json.loads(run.tags[WORKER_TAG])
        except (KeyError, ValueError):
            return None
        return identity if identity.get("run_id") == run.run_id else None

    def _forked_here(self, run: dg.DagsterRun) -> dict[str, Any] | None:
        identity = self._identity(run)
        return identity if identity and identity.get("host") == socket.gethostname() else None

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        """Run monitoring asks this in the daemon, on the host whose fork server forked the workers. A run not forked
        here (`ht-warehouse build`, a run launched through the code server) is left to the landing sensor, which
        judges it by the PID it recorded (orchestration/defs/runs.py)."""
        worker = self._forked_here(run)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "not forked here: the landing sensor watches it")
        if same_process(worker["pid"], worker["started"]):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"The run worker (pid {worker['pid']}) is gone: killed or crashed."
        )

    def terminate(self, run_id: str) -> bool:
        """Interrupts a forked run worker as Ctrl-C would, and Dagster cancels the run. A worker forked on another
        host interrupts itself when its cancellation thread sees the run CANCELING; other runs: the default way."""
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        if self._identity(run) is None:
            return super().terminate(run_id)
        self._instance.report_run_canceling(run)
        worker = self._forked_here(run)
        if worker is not None and same_process(worker["pid"], worker["started"]):
            os.kill(worker["pid"], signal.SIGINT)
        return True
