"""The three Dagster services as separate processes, started and stopped together on this host.

The code location runs as a gRPC server (`dagster code-server start`); the daemon (sensors, schedules, run queue,
run monitoring) and the webserver reach it through a workspace file that names its host and port. This is how the
services are split across machines or containers (deploy/); here they share one host, each in its own process
group, so that stopping one also stops what it started (the run workers a code server launches).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.settings import replace_file

# The code location's name in the UI and in run records; deploy/ uses the same name.
LOCATION_NAME = "ht_warehouse"
CODE_LOCATION_MODULE = "orchestration.definitions"
CODE_SERVER, DAEMON, WEBSERVER = "code-server", "daemon", "webserver"
# A service is asked to stop with SIGTERM, then killed: Dagster's processes may ignore SIGTERM while busy.
STOP_GRACE_SECONDS = 15
POLL_SECONDS = 0.5
# Loading the code location (Dagster, dbt's manifest) takes a few seconds; far more means it is stuck.
CODE_SERVER_START_TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    # The daemon and the webserver start once the code server accepts connections on this port, so that they
    # find the code location at once instead of logging it as unreachable.
    serves_port: int | None = None


def write_workspace(dagster_home: Path, grpc_host: str, grpc_port: int) -> Path:
    """`$DAGSTER_HOME/workspace.yaml`: the one code location, served by the gRPC server at host:port."""
    workspace = dagster_home / "workspace.yaml"
    text = (
        "# Written by `ht-warehouse services` (orchestration/deploy/services.py): the code location is a gRPC\n"
        "# server the daemon and the webserver connect to.\n"
        "load_from:\n"
        "  - grpc_server:\n"
        f"      host: {grpc_host}\n"
        f"      port: {grpc_port}\n"
        f"      location_name: {LOCATION_NAME}\n"
    )
    replace_file(workspace, text.encode())
    return workspace


def services(workspace: Path, host: str, port: int, grpc_host: str, grpc_port: int) -> list[Service]:
    """The code server first (the others connect to it), then the daemon and the webserver."""
    bin_dir = Path(sys.executable).parent
    return [
        Service(
            CODE_SERVER,
            [
                *(str(bin_dir / "dagster"), "code-server", "start", "-m", CODE_LOCATION_MODULE),
                *("-h", grpc_host, "-p", str(grpc_port), "--location-name", LOCATION_NAME),
            ],
            serves_port=grpc_port,
        ),
        Service(DAEMON, [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)]),
        Service(
            WEBSERVER,
            [str(bin_dir / "dagster-webserver"), "-w", str(workspace), "-h", host, "-p", str(port)],
        ),
    ]


def storage_description(postgres_url: str | None, dagster_home: Path) -> str:
    """Where the instance keeps runs and events, for the console: the URL without its password."""
    if not postgres_url:
        return f"SQLite in {dagster_home}"
    parts = urlsplit(postgres_url)
    user = f"{parts.username}@" if parts.username else ""
    return f"PostgreSQL {parts.scheme}://{user}{parts.hostname}:{parts.port or 5432}{parts.path}"


def _accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop_process_groups(processes: dict[str, subprocess.Popen], report: Callable[[str], None]) -> None:
    """SIGTERM to every process group, then SIGKILL to the groups still there after the grace period."""
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            report(f"{name} did not stop within {STOP_GRACE_SECONDS}s: killed")
        # The group may hold children (a code server's run workers) even when its leader has exited.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_for_port(process: subprocess.Popen, port: int, stop_requested: list[str]) -> bool:
    deadline = time.monotonic() + CODE_SERVER_START_TIMEOUT_SECONDS
    while process.poll() is None and not stop_requested and time.monotonic() < deadline:
        if _accepts_connections(port):
            return True
        time.sleep(POLL_SECONDS)
    return False


def run(to_start: list[Service], ui_url: str, report: Callable[[str], None]) -> int:
    """Start each service in its own process group; stop them all when one exits or on SIGTERM/Ctrl-C.

    Returns 0 after a requested stop, 1 when a service exited by itself.
    """
    stop_requested: list[str] = []

    def request_stop(signum: int, _frame: object) -> None:
        # Only noted here: the loop below stops the services, so no start is cut in half.
        stop_requested.append(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for service in to_start:
            if stop_requested:
                break
            process = processes[service.name] = subprocess.Popen(service.command, start_new_session=True)
            report(f"started {service.name} (PID {process.pid}): {' '.join(service.command)}")
            waited = service.serves_port is None or _wait_for_port(process, service.serves_port, stop_requested)
            if not waited and not stop_requested:
                report(f"{service.name} did not serve port {service.serves_port}: stopping")
                return 1
        # Only a webserver started here is waited for (a daemon alone has no UI to announce).
        ready = not any(service.name == WEBSERVER for service in to_start)
        while not stop_requested:
            for name, process in processes.items():
                if process.poll() is not None:
                    report(f"{name} exited with code {process.returncode}: stopping the other services")
                    return 1
            if not ready and _answers(f"{ui_url}/server_info"):
                ready = True
                report(f"Dagster UI: {ui_url}  (Ctrl-C stops the services)")
            time.sleep(POLL_SECONDS)
        report(f"{stop_requested[0]}: stopping the services")
        return 0
    finally:
        stop_process_groups(processes, report)
        report("stopped")
