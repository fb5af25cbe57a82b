"""Dagster on PostgreSQL with the warehouse on DuckLake, as the services of a scale-out deployment: a file dropped
in the landing folder reaches the published lake snapshot, and the UI shows the run and the lineage, with the
instance's storage in PostgreSQL.

On a copy of the golden lake build (tests/lake/conftest.py), `ht-warehouse services` starts the code location as a
gRPC server, the daemon and the webserver as three processes, with HT_DAGSTER_POSTGRES_URL naming a database of
the test's own PostgreSQL server and HT_LAKE_CATALOG another. The last test stops them with SIGTERM, as a service
manager would.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import pytest

from tests.conftest import BIN_DIR, PROJECT_ROOT, process_group_members, wait_for
from tests.lake.conftest import LakeHost, PostgresServer, clone_lake

NEW_RELEASE = PROJECT_ROOT / "tests/data/releases/ochttf-2025.yaml"
TIMEOUT = 240
RUNS = """
{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }
"""
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
LINEAGE = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> float:
    return wait_for(condition, what, timeout)


@dataclass
class Services:
    data_dir: Path
    port: int
    postgres_url: str
    process: subprocess.Popen
    log: Path
    lake: LakeHost

    @property
    def snapshot(self) -> Path:
        return self.data_dir / "published" / "current" / "warehouse.duckdb"

    def graphql(self, query: str) -> dict:
        body = json.dumps({"query": query}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.load(response)
        assert "errors" not in payload, payload["errors"]
        return payload["data"]

    def service_pids(self) -> dict[str, int]:
        """The services `ht-warehouse services` says it started: `started <name> (PID <n>): <command>`."""
        return {name: int(pid) for name, pid in re.findall(r"^started (\S+) \(PID (\d+)\)", self.output(), re.M)}

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def postgres(self, sql: str, params: tuple = ()) -> list[tuple]:
        with contextlib.closing(psycopg2.connect(self.postgres_url)) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


@pytest.fixture(scope="module")
def services(
    lake_golden: LakeHost,
    postgres_server: PostgresServer,
    dagster_postgres_url: str,
    worker_id: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    """`ht-warehouse services` on a copy of the golden lake, its Dagster instance in PostgreSQL too."""
    lake = clone_lake(
        lake_golden, postgres_server, f"lake_services_{worker_id}", tmp_path_factory.mktemp("services") / "data"
    )
    data_dir = lake.data_dir
    env = lake.env
    env["HT_DAGSTER_POSTGRES_URL"] = dagster_postgres_url
    port, grpc_port = _free_port(), _free_port()
    log = data_dir / "services.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN_DIR / "ht-warehouse"), "services", "--port", str(port), "--grpc-port", str(grpc_port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Services(data_dir, port, dagster_postgres_url, process, log, lake)

    def serves_the_code_location() -> bool:
        try:
            return bool(running.graphql("{ assetNodes { id } }")["assetNodes"])
        except (OSError, AssertionError):
            assert process.poll() is None, f"ht-warehouse services exited:\n{running.output()[-3000:]}"
            return False

    try:
        up = _wait_for(serves_the_code_location, "the webserver to serve the code location", timeout=180)
        print(f"services started, UI serving the code location: {up:.1f}s")
        yield running
    finally:
        # The last test stops them with SIGTERM; whatever is left (a failed test) is killed here.
        pids = running.service_pids()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_instance_keeps_runs_and_events_in_postgresql(services: Services) -> None:
    config = (services.data_dir / "dagster_home" / "dagster.yaml").read_text()
    assert "postgres_url:\n      env: HT_DAGSTER_POSTGRES_URL" in config
    assert services.postgres_url not in config
    assert "Dagster storage: PostgreSQL postgresql://postgres@127.0.0.1:" in services.output()
    tables = {row[0] for row in services.postgres("select tablename from pg_tables where schemaname = 'public'")}
    assert {"runs", "event_logs", "jobs", "job_ticks", "run_tags"} <= tables
    # The daemon's landing sensor has ticked against PostgreSQL.
    _wait_for(lambda: services.postgres("select count(*) from job_ticks")[0][0] > 0, "a sensor tick")


def test_code_server_daemon_and_webserver_are_separate_process_groups(services: Services) -> None:
    pids = services.service_pids()
    assert list(pids) == ["code-server", "daemon", "webserver"]
    for name, pid in pids.items():
        assert os.getpgid(pid) == pid, f"{name} is not the leader of its own process group"
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert {b"code-server": b"code-server", b"daemon": b"run", b"webserver": b"-w"}[name.encode()] in command
    workspace = (services.data_dir / "dagster_home" / "workspace.yaml").read_text()
    assert "grpc_server:" in workspace
    assert "location_name: ht_warehouse" in workspace


def test_release_dropped_in_landing_reaches_the_published_snapshot(services: Services) -> None:
    landing = services.data_dir / "landing" / "report_releases"
    shutil.copyfile(NEW_RELEASE, landing / NEW_RELEASE.name)
    sql = (
        "select victim_count, p.period_label from marts.fct_victims join marts.dim_period p using (period_id) "
        "where source_id = 'ochttf-2025' and breakdown_dimension = 'total'"
    )

    def published() -> list[tuple]:
        with duckdb.connect(str(services.snapshot), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    latency = _wait_for(lambda: published() == [(411, "2023-2024")], "ochttf-2025 in the published snapshot")
    print(f"landing -> published snapshot with Dagster on PostgreSQL and the lake: {latency:.1f}s")
    # Published in the lake first: another process attached at the pointer's snapshot reads the same.
    assert services.lake.read(sql)["rows"] == [[411, "2023-2024"]]
    assert services.lake.published_batches() == 2
    # The run that did it (it goes on to draw the charts) is recorded in PostgreSQL.
    sql = "select run_id, status from runs where pipeline_name = 'process_batch'"
    _wait_for(lambda: services.postgres(sql)[0][1] in FINISHED, "the batch run to finish")
    runs = services.postgres(sql)
    assert [status for _, status in runs] == ["SUCCESS"]
    tags = dict(services.postgres("select key, value from run_tags where run_id = %s", (runs[0][0],)))
    assert tags["ht/files"] == "1"
    assert tags["ht/host"] == socket.gethostname()


def test_webserver_shows_the_run_and_the_lineage(services: Services) -> None:
    runs = [run for run in services.graphql(RUNS)["runsOrError"]["results"] if run["jobName"] == "process_batch"]
    assert [run["status"] for run in runs] == ["SUCCESS"]
    assert {"key": "ht/files", "value": "1"} in runs[0]["tags"]
    parents = {
        "/".join(node["assetKey"]["path"]): {"/".join(dep["path"]) for dep in node["dependencyKeys"]}
        for node in services.graphql(LINEAGE)["assetNodes"]
    }
    assert {"bi/victims_by_period_and_type", "bi/hotline_cases", "marts/fct_victims"} <= parents[
        "published/warehouse_snapshot"
    ]
    assert parents["published/charts"] == {"published/warehouse_snapshot"}
    assert parents["raw/report_releases"] == {"landed/report_releases"}


def test_sigterm_stops_the_three_services_and_everything_they_started(services: Services) -> None:
    pids = services.service_pids()
    services.process.send_signal(signal.SIGTERM)
    assert services.process.wait(timeout=60) == 0
    left = {name: process_group_members(pid) for name, pid in pids.items()}
    assert left == {"code-server": [], "daemon": [], "webserver": []}
    assert services.output().rstrip().endswith("stopped")
