"""The instance's storage setting and the three services' process management (orchestration/deploy/services.py),
without Dagster: the services here are plain processes, the real ones run in tests/lake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from orchestration.deploy.services import storage_description, write_workspace
from orchestration.settings import DAGSTER_POSTGRES_URL_ENV, INSTANCE_TEMPLATE, RUN_LAUNCHER_ENV, instance_config
from tests.conftest import process_group_members

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_without_a_postgres_url_the_instance_is_the_template_with_embedded_sqlite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DAGSTER_POSTGRES_URL_ENV, raising=False)
    monkeypatch.setenv(RUN_LAUNCHER_ENV, "default")
    assert instance_config() == INSTANCE_TEMPLATE.read_bytes()
    assert "storage" not in yaml.safe_load(instance_config())


def test_runs_are_forked_from_the_warm_fork_server_unless_dagsters_own_launcher_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(RUN_LAUNCHER_ENV, raising=False)
    launcher = {"module": "orchestration.deploy.run_launcher", "class": "ForkServerRunLauncher"}
    assert yaml.safe_load(instance_config())["run_launcher"] == launcher
    monkeypatch.setenv(RUN_LAUNCHER_ENV, "default")
    assert "run_launcher" not in yaml.safe_load(instance_config())
    monkeypatch.setenv(RUN_LAUNCHER_ENV, "k8s")
    with pytest.raises(ValueError, match="HT_RUN_LAUNCHER='k8s': expected one of fork-server, default"):
        instance_config()


def test_a_postgres_url_moves_runs_events_and_schedules_to_postgresql_without_writing_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DAGSTER_POSTGRES_URL_ENV, "postgresql://dagster:s3cret@db.internal:5432/dagster")
    config = yaml.safe_load(instance_config())
    assert config["storage"] == {"postgres": {"postgres_url": {"env": DAGSTER_POSTGRES_URL_ENV}}}
    # The rest of the template is kept: one batch run at a time, run monitoring.
    template = yaml.safe_load(INSTANCE_TEMPLATE.read_bytes())
    assert {key: value for key, value in config.items() if key not in ("storage", "run_launcher")} == template
    assert config["run_coordinator"]["config"]["tag_concurrency_limits"] == [{"key": "ht/writes_warehouse", "limit": 1}]
    assert config["run_monitoring"]["enabled"] is True
    assert b"s3cret" not in instance_config()


def _apply_environment(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """apply_environment() in a process of its own: it exports settings into the environment it runs in."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    variables.update(HT_DATA_DIR=str(data_dir), **env)
    command = "from orchestration.settings import apply_environment; apply_environment()"
    return subprocess.run(
        [sys.executable, "-c", command], env=variables, cwd=PROJECT_ROOT, capture_output=True, text=True
    )


def test_apply_environment_writes_the_instance_file_unless_the_deployment_provides_it(tmp_path: Path) -> None:
    written = _apply_environment(tmp_path / "data", HT_DAGSTER_POSTGRES_URL="postgresql://dagster@db:5432/dagster")
    assert written.returncode == 0, written.stderr
    assert yaml.safe_load((tmp_path / "data/dagster_home/dagster.yaml").read_text())["storage"] == {
        "postgres": {"postgres_url": {"env": DAGSTER_POSTGRES_URL_ENV}}
    }
    # The Helm chart mounts its own instance file into every run pod: with HT_DAGSTER_INSTANCE=external it stays.
    provided = tmp_path / "chart/dagster.yaml"
    provided.parent.mkdir()
    provided.write_text("storage:\n  postgres:\n    postgres_db: {hostname: db}\n")
    kept = _apply_environment(tmp_path / "data", DAGSTER_HOME=str(provided.parent), HT_DAGSTER_INSTANCE="external")
    assert kept.returncode == 0, kept.stderr
    assert provided.read_text() == "storage:\n  postgres:\n    postgres_db: {hostname: db}\n"
    wrong = _apply_environment(tmp_path / "data", HT_DAGSTER_INSTANCE="helm")
    assert "HT_DAGSTER_INSTANCE='helm': expected 'project'" in wrong.stderr


def test_workspace_points_the_daemon_and_webserver_at_the_grpc_code_server(tmp_path: Path) -> None:
    workspace = write_workspace(tmp_path, "127.0.0.1", 4123)
    assert workspace == tmp_path / "workspace.yaml"
    assert yaml.safe_load(workspace.read_text()) == {
        "load_from": [{"grpc_server": {"host": "127.0.0.1", "port": 4123, "location_name": "ht_warehouse"}}]
    }


def test_storage_description_shows_where_but_never_the_password(tmp_path: Path) -> None:
    url = "postgresql://dagster:s3cret@db.internal:6543/dagster"
    assert storage_description(url, tmp_path) == "PostgreSQL postgresql://dagster@db.internal:6543/dagster"
    assert storage_description(None, tmp_path) == f"SQLite in {tmp_path}"


# Two stand-in services: one that starts a child of its own (as a code server starts run workers), one that sleeps.
RUNNER = """
import sys
from orchestration.deploy.services import Service, run

parent = [sys.executable, "-c", "import subprocess, time; subprocess.Popen(['sleep', '600']); time.sleep(600)"]
second = ["sleep", sys.argv[1]]
say = lambda line: print(line, flush=True)
sys.exit(run([Service("parent", parent), Service("sleeper", second)], "http://127.0.0.1:9", say))
"""


def _start(tmp_path: Path, sleeper_seconds: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "services.log"
    with log.open("w") as output:
        runner = subprocess.Popen(
            [sys.executable, "-c", RUNNER, sleeper_seconds], cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    return runner, log


def _started_pids(log: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text().splitlines() if line.startswith("started ")]
        if len(lines) == count:
            return [int(line.split("(PID ")[1].split(")")[0]) for line in lines]
        time.sleep(0.1)
    raise AssertionError(f"the services did not start: {log.read_text()}")


def test_sigterm_stops_every_service_and_the_processes_they_started(tmp_path: Path) -> None:
    runner, log = _start(tmp_path, "600")
    pids = _started_pids(log, 2)
    # Wait for the parent's own child, then stop everything as a service manager would.
    deadline = time.monotonic() + 30
    while len(process_group_members(pids[0])) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(process_group_members(pids[0])) == 2
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) == 0
    assert [process_group_members(pid) for pid in pids] == [[], []]
    assert log.read_text().splitlines()[-2:] == ["SIGTERM: stopping the services", "stopped"]


def test_a_service_that_exits_stops_the_others(tmp_path: Path) -> None:
    runner, log = _start(tmp_path, "1")
    pids = _started_pids(log, 2)
    assert runner.wait(timeout=30) == 1
    assert [process_group_members(pid) for pid in pids] == [[], []]
    assert "sleeper exited with code 0: stopping the other services" in log.read_text()
