"""End to end with the real daemon and webserver: files dropped in the landing folder reach the marts.

The test builds a warehouse with the CLI, starts `dg dev` (webserver + daemon) on a loopback port with its
own DAGSTER_HOME, drops files into the landing folder and waits for the sensors and declarative automation.
Meanwhile a BI client in another process reads the published snapshot in a loop (tests/snapshot_reader.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NEW_RELEASE = PROJECT_ROOT / "tests/data/releases/ochttf-2025.yaml"
SNAPSHOT_READER = PROJECT_ROOT / "tests/snapshot_reader.py"
SHIPPED_RELEASES = PROJECT_ROOT / "sources/report_releases/ochttf"
TIMEOUT = 300


@dataclass
class Deployment:
    data_dir: Path
    port: int
    build_output: str
    reader: subprocess.Popen

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing" / "report_releases"

    @property
    def database(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def snapshot(self) -> Path:
        return self.data_dir / "published" / "current" / "warehouse.duckdb"

    def query(self, sql: str) -> list[tuple]:
        """Read what BI tools read: the published snapshot. The test never opens the warehouse file itself,
        because a reader of that file would make the pipeline's next writer fail on DuckDB's lock."""
        with duckdb.connect(str(self.snapshot), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def runs(self, **tags: str) -> list[dg.DagsterRun]:
        with dg.DagsterInstance.from_config(str(self.data_dir / "dagster_home")) as instance:
            return list(instance.get_runs(filters=dg.RunsFilter(tags=tags) if tags else None))


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    data_dir = tmp_path_factory.mktemp("e2e") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    env["HT_DATA_DIR"] = str(data_dir)
    bin_dir = Path(sys.executable).parent
    build = subprocess.run([str(bin_dir / "ht-warehouse"), "build"], env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    # The BI client starts reading the snapshot the CLI build published, before the daemon builds anything.
    reader = subprocess.Popen(
        [
            sys.executable,
            str(SNAPSHOT_READER),
            str(data_dir / "published/current/warehouse.duckdb"),
            str(data_dir / "reader.stop"),
            str(data_dir / "reader.json"),
        ],
        env=env,
    )
    port = _free_port()
    log = (data_dir / "dg-dev.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "ht-warehouse"), "dev", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deployment = Deployment(data_dir, port, build.stdout, reader)

    def up() -> bool:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).status == 200
        except OSError:
            return False

    try:
        _wait_for(up, "the webserver", timeout=120)
        yield deployment
    finally:
        (data_dir / "reader.stop").touch()
        reader.wait(timeout=30)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def test_build_command_prints_progress_and_a_summary_and_writes_only_to_the_data_dir(deployment: Deployment) -> None:
    out = deployment.build_output
    assert "▶ landed__report_releases" in out
    assert "▶ warehouse_dbt_models" in out
    assert "✓ marts/fct_victims" in out
    assert "Files loaded:  13 of 13" in out
    assert "Failed checks: 0" in out
    assert f"DuckDB file:   {deployment.database}" in out
    snapshot_id = deployment.query("select snapshot_id from audit.publication")[0][0]
    assert f"Published:     {deployment.snapshot}  (snapshot {snapshot_id})" in out
    count = deployment.query("select count(*) from marts.victims_by_year_and_type")[0][0]
    assert f"  marts.{'victims_by_year_and_type':<28} {count:>7,}" in out.splitlines()
    assert {p.name for p in deployment.data_dir.iterdir()} >= {
        "warehouse.duckdb",
        "dagster_home",
        "dbt",
        "logs",
        "published",
    }


def test_new_release_dropped_in_landing_reaches_the_marts(deployment: Deployment) -> None:
    shutil.copyfile(NEW_RELEASE, deployment.landing / NEW_RELEASE.name)
    sql = (
        "select victim_count, p.period_label from marts.fct_victims join marts.dim_period p using (period_id) "
        "where source_id = 'ochttf-2025' and breakdown_dimension = 'total'"
    )
    latency = _wait_for(lambda: deployment.query(sql) == [(411, "2023-2024")], "ochttf-2025 in the snapshot")
    print(f"landing -> published snapshot: {latency:.1f}s")
    # The same rebuild also refreshed the dimensions, so every fact's source is known.
    assert deployment.query("select count(*) from marts.dim_source where source_id = 'ochttf-2025'") == [(1,)]


def test_five_files_at_once_are_each_processed_once_without_lock_errors(deployment: Deployment) -> None:
    """Five re-issued releases (same figures, a provenance comment added): five new versions, one run each."""
    names = ["ochttf-2014", "ochttf-2015", "ochttf-2016", "ochttf-2017", "ochttf-2019"]
    for name in names:
        original = (SHIPPED_RELEASES / f"{name}.yaml").read_text()
        (deployment.landing / f"{name}.yaml").write_text(
            original + "# Re-issued to the landing folder by the e2e test.\n"
        )

    def loaded() -> bool:
        rows = deployment.query(
            "select partition_key from audit.load_log where outcome = 'loaded' and file_path like '%/landing/%'"
        )
        return rows is not None and {name for (name,) in rows} >= set(names)

    _wait_for(loaded, "five new versions in audit.load_log")
    runs = [r for r in deployment.runs(**{"ht/source_kind": "report_releases"}) if r.tags["dagster/partition"] in names]
    assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(names)
    _wait_for(lambda: all(r.is_finished for r in deployment.runs()), "every run to finish")
    failed = [r for r in deployment.runs() if r.status == dg.DagsterRunStatus.FAILURE]
    assert failed == []
    rebuilt = (
        "select count(distinct source_id) from marts.fct_report_figures where is_latest_version and source_version = 2"
    )
    _wait_for(lambda: deployment.query(rebuilt) == [(5,)], "the marts to show version 2 of the five releases")
    log = (deployment.data_dir / "dg-dev.log").read_text()
    assert "Could not set lock" not in log


def test_identical_file_delivered_again_starts_no_run(deployment: Deployment) -> None:
    before = len(deployment.runs())
    landed = deployment.landing / NEW_RELEASE.name
    landed.unlink()
    shutil.copyfile(NEW_RELEASE, landed)  # same bytes, new modification time
    time.sleep(20)  # four sensor ticks
    assert len(deployment.runs()) == before


def test_bi_reader_was_never_blocked_and_never_saw_half_a_snapshot(deployment: Deployment) -> None:
    """While the daemon ran the builds above, the BI client in another process read the snapshot throughout."""
    (deployment.data_dir / "reader.stop").touch()
    assert deployment.reader.wait(timeout=60) == 0
    summary = json.loads((deployment.data_dir / "reader.json").read_text())
    print(f"BI reader: {summary['reads']} reads, slowest {summary['slowest_read_seconds']}s")
    assert summary["errors"] == []
    assert summary["inconsistent"] == []
    assert summary["reads"] > 100
    # It saw the CLI build's snapshot and at least the one published after the new release.
    assert len(summary["snapshot_ids"]) >= 2
    assert summary["snapshot_ids"] == sorted(summary["snapshot_ids"])
