"""End to end with the real daemon and webserver: files dropped in the landing folder reach the marts.

On a copy of the session's CLI build, the test starts `dg dev` (webserver + daemon) on a loopback port with its
own DAGSTER_HOME, drops files into the landing folder and waits for the landing sensor's batch runs.
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

from tests.conftest import BIN_DIR, PROJECT_ROOT, clean_env, copy_data_dir, shipped_file_count, wait_for

NEW_RELEASE = PROJECT_ROOT / "tests/data/releases/ochttf-2025.yaml"
SNAPSHOT_READER = PROJECT_ROOT / "tests/snapshot_reader.py"
SHIPPED_RELEASES = PROJECT_ROOT / "sources/report_releases/ochttf"
TIMEOUT = 300


@dataclass
class Deployment:
    data_dir: Path
    port: int
    golden: Path
    build_output: str
    reader: subprocess.Popen

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing" / "report_releases"

    @property
    def snapshot(self) -> Path:
        return self.data_dir / "published" / "current" / "warehouse.duckdb"

    def query(self, sql: str) -> list[tuple]:
        """Read what BI tools read: the published snapshot."""
        with duckdb.connect(str(self.snapshot), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def runs(self, **tags: str) -> list[dg.DagsterRun]:
        with dg.DagsterInstance.from_config(str(self.data_dir / "dagster_home")) as instance:
            return list(instance.get_runs(filters=dg.RunsFilter(tags=tags) if tags else None))

    def batch_runs(self) -> list[dg.DagsterRun]:
        return [r for r in self.runs() if r.job_name == "process_batch"]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> float:
    return wait_for(condition, what, timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def deployment(golden_build: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """`ht-warehouse dev` (webserver and daemon) on a copy of the golden build, with a BI reader running."""
    data_dir = copy_data_dir(golden_build[0], tmp_path_factory.mktemp("e2e") / "data")
    env = clean_env(data_dir)
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
        [str(BIN_DIR / "ht-warehouse"), "dev", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deployment = Deployment(data_dir, port, golden_build[0], golden_build[1], reader)

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
        # `dg dev` started from a script may ignore SIGTERM: stop its whole process group.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        log.close()


def test_build_command_prints_progress_and_a_summary_and_writes_only_to_the_data_dir(deployment: Deployment) -> None:
    out, golden = deployment.build_output, deployment.golden
    shipped = shipped_file_count()
    assert f"Building:      no warehouse built by this version yet; {shipped} new file version(s)" in out
    assert "▶ ingest_batch" in out
    assert f"[{shipped}/{shipped}] Accepted" in out
    assert "▶ warehouse_dbt_models" in out
    assert "✓ marts/fct_victims" in out
    assert f"Files:         {shipped} loaded, 0 refused" in out
    assert f"Warehouse:     {golden / 'warehouse.duckdb'}" in out
    with duckdb.connect(str(golden / "published/current/warehouse.duckdb"), read_only=True) as conn:
        snapshot_id = conn.execute("select snapshot_id from audit.publication").fetchone()[0]
        count = conn.execute("select count(*) from marts.victims_by_year_and_type").fetchone()[0]
    assert f"Published:     {golden / 'published/current/warehouse.duckdb'}  (snapshot {snapshot_id})" in out
    assert f"  marts.{'victims_by_year_and_type':<28} {count:>7,}" in out.splitlines()
    assert {p.name for p in golden.iterdir()} >= {"warehouse.duckdb", "dagster_home", "dbt", "logs", "published"}


def test_new_release_dropped_in_landing_reaches_the_published_snapshot(deployment: Deployment) -> None:
    shutil.copyfile(NEW_RELEASE, deployment.landing / NEW_RELEASE.name)
    sql = (
        "select victim_count, p.period_label from marts.fct_victims join marts.dim_period p using (period_id) "
        "where source_id = 'ochttf-2025' and breakdown_dimension = 'total'"
    )
    latency = _wait_for(lambda: deployment.query(sql) == [(411, "2023-2024")], "ochttf-2025 in the snapshot")
    print(f"landing -> published snapshot: {latency:.1f}s")
    # The same run also refreshed the dimensions, so every fact's source is known.
    assert deployment.query("select count(*) from marts.dim_source where source_id = 'ochttf-2025'") == [(1,)]


def test_five_files_at_once_are_one_batch_and_a_killed_run_worker_loses_none(deployment: Deployment) -> None:
    """Five re-issued releases (same figures, a provenance comment added) land at once: one batch run. Its run
    worker is killed with SIGKILL as soon as it starts: the run is marked failed and the next run takes all five."""
    _wait_for(lambda: all(r.is_finished for r in deployment.runs()), "earlier runs to finish")
    before = {r.run_id for r in deployment.batch_runs()}
    names = ["ochttf-2014", "ochttf-2015", "ochttf-2016", "ochttf-2017", "ochttf-2019"]
    for name in names:
        original = (SHIPPED_RELEASES / f"{name}.yaml").read_text()
        (deployment.landing / f"{name}.yaml").write_text(original + "# Re-issued to the landing folder (e2e test).\n")

    def new_runs() -> list[dg.DagsterRun]:
        return [r for r in deployment.batch_runs() if r.run_id not in before]

    _wait_for(lambda: any("ht/pid" in r.tags for r in new_runs()), "a batch run to start")
    victim = next(r for r in new_runs() if "ht/pid" in r.tags)
    assert victim.tags["ht/files"] == "5"
    os.kill(int(victim.tags["ht/pid"]), signal.SIGKILL)

    rebuilt = (
        "select count(distinct source_id) from marts.fct_report_figures where is_latest_version and source_version = 2"
    )
    _wait_for(lambda: deployment.query(rebuilt) == [(5,)], "the snapshot to show version 2 of the five releases")
    _wait_for(lambda: all(r.is_finished for r in deployment.runs()), "every run to finish")
    statuses = sorted((r.status.value, r.tags["ht/files"]) for r in new_runs())
    assert statuses == [("FAILURE", "5"), ("SUCCESS", "5")]
    assert "Could not set lock" not in (deployment.data_dir / "dg-dev.log").read_text()


def test_identical_file_delivered_again_starts_no_run(deployment: Deployment) -> None:
    _wait_for(lambda: all(r.is_finished for r in deployment.runs()), "earlier runs to finish")
    before = len(deployment.runs())
    landed = deployment.landing / NEW_RELEASE.name
    landed.unlink()
    shutil.copyfile(NEW_RELEASE, landed)  # same bytes, new modification time
    time.sleep(6)  # several sensor ticks (one a second)
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
