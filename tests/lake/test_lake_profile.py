"""The warehouse on DuckLake (HT_LAKE_CATALOG), as a team running it on shared parts meets it: `ht-warehouse build`
publishes into a lake whose catalog is in PostgreSQL (the tests' own server, tests/lake/conftest.py), a separate
DuckDB process reads the published snapshot, a file failing a dbt test never reaches the lake, a second host
knows what the first refused, SIGKILL at any stage loses nothing, and two hosts building at once are serialized.

The lake of the first build is cloned per test with PostgreSQL's `CREATE DATABASE ... TEMPLATE` (the clones share
its data path: DuckLake writes new files under new names and this project never deletes any).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass

import pytest

from tests.conftest import (
    BUILD_TIMEOUT,
    NEW_RELEASE,
    PROJECT_ROOT,
    SHIPPED_RELEASES,
    land_mixed_batch,
    marts_contents,
    settle,
    shipped_file_count,
)
from tests.lake.conftest import LakeHost, PostgresServer, clone_lake

OCHTTF_2019_2020 = (
    "select total_victims from bi.victims_by_period_and_type "
    "where jurisdiction_id = 'US-CA-ORANGE' and period_label = '2019-2020' limit 1"
)


def test_a_separate_duckdb_process_reads_the_published_lake_snapshot(lake_golden: LakeHost) -> None:
    published = lake_golden.read(OCHTTF_2019_2020)
    assert published["rows"] == [[357]]
    manifest = json.loads((lake_golden.snapshot.parent / "manifest.json").read_text())
    assert manifest["lake_snapshot"] == published["snapshot"]
    # The DuckDB file for 1.x readers is exported from that pinned snapshot: the same marts, row for row.
    counts = lake_golden.read("select count(*) from marts.fct_victims")["rows"][0][0]
    assert manifest["row_counts"]["marts.fct_victims"] == counts > 0
    # The ledger is in the lake: every shipped file's load, the batch, the pointer.
    loads = lake_golden.read("select count(*) from raw.load_log where outcome = 'loaded'")["rows"][0][0]
    assert loads == shipped_file_count()
    assert lake_golden.published_batches() == 1


def test_nothing_new_on_the_lake_profile_changes_nothing(lake_host: LakeHost) -> None:
    again = lake_host.build()
    assert again.returncode == 0, again.stdout[-2000:]
    assert "Nothing new:" in again.stdout
    assert lake_host.published_batches() == 1


@dataclass(frozen=True)
class LakeReference:
    host: LakeHost
    build: subprocess.CompletedProcess[str]
    marts: dict[str, dict]


@pytest.fixture(scope="module")
def lake_reference(
    lake_golden: LakeHost, postgres_server: PostgresServer, worker_id: str, tmp_path_factory: pytest.TempPathFactory
) -> LakeReference:
    """The mixed batch of tests/conftest.py (a new release, a release failing a dbt test, a broken file) built
    undisturbed on a copy of the golden lake: what the tests that disturb a build compare with."""
    host = clone_lake(lake_golden, postgres_server, f"lake_reference_{worker_id}", tmp_path_factory.mktemp("ref"))
    land_mixed_batch(host.data_dir)
    built = host.build()
    marts = {"published": marts_contents(host.snapshot), "working_copy": marts_contents(host.working_copy)}
    return LakeReference(host, built, marts)


def test_write_audit_publish_on_the_lake(lake_reference: LakeReference, lake_golden: LakeHost) -> None:
    """The new release publishes; the release failing a dbt test and the broken file are refused, recorded in the
    lake's ledger, and never visible to readers."""
    host, built = lake_reference.host, lake_reference.build
    assert built.returncode == 1, built.stdout[-3000:] + built.stderr[-3000:]  # 1: files were refused
    after = host.read("select count(*) from raw.load_log where file_path like '%ochttf-2025.yaml'")
    assert after["rows"] == [[1]]
    assert after["snapshot"] > lake_golden.read("select 1")["snapshot"]
    refused = host.read("select partition_key, refused_by from ht_ledger.refused order by 1")["rows"]
    assert [key for key, _ in refused] == ["broken", "ochttf-2021b"]
    assert dict(refused)["ochttf-2021b"].startswith("warehouse tests (dbt)")
    assert host.read("select count(*) from raw.load_log where file_path like '%2021b%'")["rows"] == [[0]]
    # The working copy, the lake and its DuckDB export hold the same marts.
    assert lake_reference.marts["published"] == lake_reference.marts["working_copy"]
    assert (
        host.read("select count(*) from marts.fct_victims")["rows"][0][0]
        == (lake_reference.marts["published"]["fct_victims"][0])
    )

    # A second host (empty data dir, same catalog, the same files landed) skips what the first refused and loads
    # nothing twice: it only exports its own snapshot of the published lake.
    second = LakeHost(host.data_dir.parent / "second-host", host.catalog)
    land_mixed_batch(second.data_dir)
    built = second.build()
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "new file version" not in built.stdout, built.stdout
    assert marts_contents(second.snapshot) == lake_reference.marts["published"]


# Where a build is killed: the stage's first line of progress and how long to wait before SIGKILL of its group.
KILLS = [
    ("parse", "▶ ingest_batch", 1.0),
    ("load", "Accepted", 0.0),
    ("dbt", "with their tests, in this process", 2.0),
    ("publish", "▶ published__warehouse_snapshot", 0.0),
]


def _read_until(process: subprocess.Popen, marker: str) -> None:
    deadline, lines = time.monotonic() + BUILD_TIMEOUT, []
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return
        assert time.monotonic() < deadline, f"no {marker!r}:\n{''.join(lines[-20:])}"
    raise AssertionError(f"the build ended before {marker!r}:\n{''.join(lines[-30:])}")


def test_sigkill_at_every_stage_loses_nothing_on_the_lake(lake_host: LakeHost, lake_reference: LakeReference) -> None:
    land_mixed_batch(lake_host.data_dir)
    for stage, marker, delay in KILLS:
        build = lake_host.start_build()
        _read_until(build, marker)
        time.sleep(delay)
        os.killpg(build.pid, signal.SIGKILL)
        build.wait(timeout=30)
        # Readers keep reading a whole published snapshot, the old one or the new one.
        seen = lake_host.read("select count(*) from raw.load_log where file_path like '%ochttf-2025.yaml'")
        assert seen["rows"] in ([[0]], [[1]]), stage
    final = lake_host.build()
    assert final.returncode in (0, 1), final.stdout[-3000:] + final.stderr[-3000:]
    assert "Nothing new:" in lake_host.build().stdout
    assert marts_contents(lake_host.snapshot) == lake_reference.marts["published"]
    assert marts_contents(lake_host.working_copy) == lake_reference.marts["working_copy"]
    assert lake_host.read("select count(*) from raw.load_log where file_path like '%ochttf-2025.yaml'")["rows"] == [[1]]


def test_two_hosts_building_at_once_are_serialized_and_both_publish(lake_host: LakeHost) -> None:
    """Two data dirs on one catalog, each with its own new file, started at the same moment."""
    second = LakeHost(lake_host.data_dir.parent / "second-host", lake_host.catalog)
    first_file = lake_host.data_dir / "landing" / "report_releases" / NEW_RELEASE.name
    first_file.parent.mkdir(parents=True, exist_ok=True)
    first_file.write_bytes(NEW_RELEASE.read_bytes())
    # The same release saved with Excel's UTF-8 byte-order mark: other bytes, the same figures, accepted.
    second_file = second.data_dir / "landing" / "report_releases" / "ochttf-2023.yaml"
    second_file.parent.mkdir(parents=True, exist_ok=True)
    second_file.write_bytes(b"\xef\xbb\xbf" + (SHIPPED_RELEASES / "ochttf-2023.yaml").read_bytes())
    settle(first_file, second_file)
    builds = [lake_host.start_build(), second.start_build()]
    outputs = [build.communicate(timeout=2 * BUILD_TIMEOUT)[0] for build in builds]
    assert [build.returncode for build in builds] == [0, 0], "\n\n".join(o[-2000:] for o in outputs)
    assert any("Waiting for" in output for output in outputs), "one build should have waited for the other"
    assert lake_host.published_batches() == 3
    loaded = lake_host.read(
        "select count(distinct file_sha256) from raw.load_log where outcome = 'loaded' "
        "and (file_path like '%landing/report_releases/ochttf-2025.yaml' "
        "or file_path like '%landing/report_releases/ochttf-2023.yaml')"
    )
    assert loaded["rows"] == [[2]]


def test_a_writer_killed_while_holding_the_lake_lock_does_not_block_the_next(lake_golden: LakeHost) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from orchestration.engine.lake import LakeWarehouse\n"
            "lake = LakeWarehouse(Path(sys.argv[1]), sys.argv[2], sys.argv[3])\n"
            "with lake.writer_lock('the holder test'):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(600)\n",
            str(lake_golden.working_copy),
            lake_golden.catalog,
            str(lake_golden.data_dir / "lake"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env=lake_golden.env,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        from orchestration.engine.lake import LakeWarehouse
        from orchestration.engine.warehouse import WarehouseBusy

        lake = LakeWarehouse(lake_golden.working_copy, lake_golden.catalog, str(lake_golden.data_dir / "lake"))
        waits: list[str] = []
        with pytest.raises(WarehouseBusy, match="the holder test"), lake.writer_lock("second", 1, waits.append):
            pass
        assert waits and "the holder test" in waits[0]
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        started = time.monotonic()
        with lake.writer_lock("after the kill", timeout=30):
            assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()


def test_postgresql_restarted_mid_batch_fails_the_run_clearly_and_the_next_build_completes(
    lake_host: LakeHost, postgres_server: PostgresServer
) -> None:
    landed = lake_host.data_dir / "landing" / "report_releases" / NEW_RELEASE.name
    landed.parent.mkdir(parents=True, exist_ok=True)
    landed.write_bytes(NEW_RELEASE.read_bytes())
    settle(landed)
    build = lake_host.start_build()
    _read_until(build, "with their tests, in this process")
    restarted = subprocess.run(postgres_server.pg_ctl("restart", "-m", "fast"), capture_output=True, text=True)
    assert restarted.returncode == 0, restarted.stderr
    output = build.communicate(timeout=BUILD_TIMEOUT)[0]
    assert build.returncode == 1, output[-3000:]
    assert "Lost the lake's writer lock (its PostgreSQL session ended" in output, output[-3000:]
    new_release = "select count(*) from raw.load_log where file_path like '%ochttf-2025.yaml'"
    assert lake_host.read(new_release)["rows"] == [[0]]
    final = lake_host.build()
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    assert lake_host.read(new_release)["rows"] == [[1]]


# A reader that polls the published snapshot until told to stop: each read pins the pointer's snapshot and checks
# that the two tables every probe publish changes together agree (half a publish would show them apart).
POLLER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb
    catalog, extensions, stop = sys.argv[1:4]
    seen, errors, torn = set(), [], []
    while not Path(stop).exists():
        try:
            with duckdb.connect(config={"extension_directory": extensions}) as conn:
                conn.execute(f"attach 'ducklake:postgres:{catalog}' as head (read_only)")
                snapshot = conn.execute("select max(lake_snapshot) from head.ht_ledger.published").fetchone()[0]
                conn.execute(f"attach 'ducklake:postgres:{catalog}' as lake (read_only, snapshot_version {snapshot})")
                batches = conn.execute("select count(*) from lake.raw.batch_log").fetchone()[0]
                probe = conn.execute(
                    "select coalesce(max(n), 0) from lake.audit.publish_probe"
                    if conn.execute("select count(*) from duckdb_tables() where database_name = 'lake' "
                                    "and table_name = 'publish_probe'").fetchone()[0]
                    else "select 0"
                ).fetchone()[0]
                seen.add(snapshot)
                if batches - probe != 1:  # the golden build's batch, plus one per probe publish
                    torn.append([snapshot, batches, probe])
        except Exception as error:
            errors.append(repr(error)[:300])
        time.sleep(0.05)
    print(json.dumps({"snapshots": sorted(seen), "errors": errors, "torn": torn}))
    """
)


def test_readers_polling_while_ten_batches_publish_see_only_whole_published_states(
    lake_host: LakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    import duckdb

    from orchestration.engine.lake import LakeWarehouse
    from orchestration.engine.raw_tables import record_batch

    monkeypatch.setenv("HT_DATA_DIR", str(lake_host.data_dir))
    lake = LakeWarehouse(lake_host.working_copy, lake_host.catalog)
    stop = lake_host.data_dir / "stop-readers"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", POLLER, lake_host.catalog, str(lake_host.data_dir / "duckdb_extensions"), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        with lake.writer_lock("probe publishes", timeout=60):
            for n in range(1, 11):
                candidate = lake.new_candidate()
                with duckdb.connect(str(candidate)) as conn:
                    conn.execute("create or replace table audit.publish_probe as select ? as n", [n])
                    now = dt.datetime.now(dt.UTC)
                    record_batch(conn, f"probe-{n}", f"probe-{n}", now, "probe", [], [], [])
                lake.promote(candidate)
    finally:
        stop.touch()
        results = [json.loads(reader.communicate(timeout=60)[0]) for reader in readers]
    assert [r["errors"] for r in results] == [[], [], [], []]
    assert [r["torn"] for r in results] == [[], [], [], []]
    assert all(len(r["snapshots"]) >= 2 for r in results), results
    assert lake_host.published_batches() == 11
