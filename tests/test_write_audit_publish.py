"""Write-audit-publish and crash safety, run the way a user runs them: `ht-warehouse build` on a copy of a built
warehouse, with files dropped in its landing folder.

One batch holds a new release, a release that passes every landing check but fails a dbt test (it repeats
another release's publisher, jurisdiction and period under a new id: the file that used to jam publishing) and
a file that does not parse. The reference build processes it undisturbed; the crash trial kills builds of the same
batch with SIGKILL at each stage and then builds again: both must end in the same marts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BIN_DIR, PROJECT_ROOT, clean_env, cli, copy_data_dir

SHIPPED = PROJECT_ROOT / "sources/report_releases/ochttf"
NEW_RELEASE = PROJECT_ROOT / "tests/data/releases/ochttf-2025.yaml"
DUPLICATE_TEST = "unique_combination_victims_report_changes_jurisdiction_id__period_id"
# Columns that differ between two builds of the same data (besides timestamps): paths of the landed copies, ids.
VOLATILE = ("run_id", "load_id", "file_path", "source_file")
# Generous: a build of this batch takes well under a minute on 2 cores.
BUILD_TIMEOUT = 300


def _land_batch(data_dir: Path) -> None:
    landing = data_dir / "landing" / "report_releases"
    landing.mkdir(parents=True, exist_ok=True)
    (landing / NEW_RELEASE.name).write_bytes(NEW_RELEASE.read_bytes())
    duplicate = (
        (SHIPPED / "ochttf-2021.yaml").read_text().replace("release_id: ochttf-2021", "release_id: ochttf-2021b")
    )
    (landing / "ochttf-2021b.yaml").write_text(duplicate)
    (landing / "broken.yaml").write_text("release: [unclosed\n")
    past = time.time() - 10  # settled: not a file still being copied in
    for path in landing.iterdir():
        os.utime(path, (past, past))


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _marts(database: Path) -> dict[str, tuple]:
    """Each mart's row count and an order-independent hash of its rows, without the volatile columns."""
    contents = {}
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for name, data_type in conn.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = 'marts' "
                    "and table_name = ? order by column_index",
                    [table],
                ).fetchall()
                if name not in VOLATILE and not data_type.startswith("TIMESTAMP")
            ]
            row = ", ".join(f'"{c}"' for c in columns)
            contents[table] = conn.execute(
                f"select count(*), sum(hash(struct_pack({row})))::hugeint from marts.{table}"
            ).fetchone()
    return contents


@pytest.fixture(scope="module")
def reference(golden_build: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, tuple]:
    """The batch built undisturbed: its data dir, the build's output, and the marts it left (live, published)."""
    data_dir = copy_data_dir(golden_build[0], tmp_path_factory.mktemp("reference") / "data")
    _land_batch(data_dir)
    built = cli(data_dir, "build", timeout=BUILD_TIMEOUT)
    # Exit 1: the build went through but refused files (listed in its summary).
    assert built.returncode == 1, built.stdout[-3000:] + built.stderr[-3000:]
    marts = (_marts(data_dir / "warehouse.duckdb"), _marts(data_dir / "published/current/warehouse.duckdb"))
    return data_dir, built.stdout, marts


def test_file_failing_a_dbt_test_is_quarantined_and_the_rest_of_its_batch_is_published(
    reference: tuple[Path, str, tuple],
) -> None:
    data_dir, output, _ = reference
    snapshot = data_dir / "published/current/warehouse.duckdb"
    assert "Files:         1 loaded, 2 refused" in output
    assert f"ochttf-2021b.yaml: passes_warehouse_tests: Fails the warehouse's tests: {DUPLICATE_TEST}" in output
    assert "broken.yaml: file_parses:" in output
    # The new release is published; the file that fails a test is in neither the warehouse nor the snapshot.
    total = (
        "select victim_count from marts.fct_victims where source_id = '{}' and breakdown_dimension = 'total' "
        "and unit = 'count'"
    )
    assert _query(snapshot, total.format("ochttf-2025")) == [(411,)]
    assert _query(snapshot, total.format("ochttf-2021b")) == []
    assert _query(
        data_dir / "warehouse.duckdb", "select count(*) from raw.report_releases where release_id = 'ochttf-2021b'"
    ) == [(0,)]
    # Quarantined with the failing test and its failing rows.
    [report_file] = (data_dir / "quarantine/report_releases/ochttf-2021b").glob("*/report.json")
    report = json.loads(report_file.read_text())
    [failure] = report["failed_tests"]
    assert failure["test"] == DUPLICATE_TEST
    assert failure["failing_rows"] and failure["failing_rows"][0]["period_id"]
    assert (report_file.parent / "ochttf-2021b.yaml").exists()


def test_a_later_file_still_publishes_and_nothing_new_starts_no_run(reference: tuple[Path, str, tuple]) -> None:
    data_dir, _, _ = reference
    landed = data_dir / "landing/report_releases/ochttf-2019.yaml"
    landed.write_text((SHIPPED / "ochttf-2019.yaml").read_text() + "# Re-issued to the landing folder (test).\n")
    past = time.time() - 10
    os.utime(landed, (past, past))
    built = cli(data_dir, "build", timeout=BUILD_TIMEOUT)
    assert built.returncode == 0, built.stdout[-3000:]
    assert "Files:         1 loaded, 0 refused" in built.stdout
    snapshot = data_dir / "published/current/warehouse.duckdb"
    assert _query(snapshot, "select latest_version from marts.dim_source where source_id = 'ochttf-2019'") == [(2,)]
    # Nothing new: an answer from the ledger, no Dagster run.
    again = cli(data_dir, "build")
    assert again.returncode == 0 and "Nothing new:" in again.stdout
    assert "▶" not in again.stdout


def test_retract_takes_a_version_out_and_publishes(reference: tuple[Path, str, tuple]) -> None:
    data_dir, _, _ = reference
    landed = data_dir / "landing/report_releases" / NEW_RELEASE.name
    snapshot = data_dir / "published/current/warehouse.duckdb"
    count = "select count(*) from marts.fct_report_figures where source_id = 'ochttf-2025'"
    assert _query(snapshot, count) == [(5,)]

    retracted = cli(data_dir, "retract", str(landed), timeout=BUILD_TIMEOUT)
    assert retracted.returncode == 0, retracted.stdout[-3000:] + retracted.stderr[-2000:]
    assert _query(snapshot, count) == [(0,)]
    assert _query(
        data_dir / "warehouse.duckdb",
        "select outcome from raw.load_log where partition_key = 'ochttf-2025' order by loaded_at",
    ) == [("loaded",), ("retracted",)]
    [report] = (data_dir / "quarantine/report_releases/ochttf-2025").glob("*/report.json")
    assert json.loads(report.read_text())["refused_by"] == "retraction"
    # The retracted bytes stay in landing but are not taken again.
    assert "Nothing new:" in cli(data_dir, "build").stdout
    assert cli(data_dir, "retract", "0123456789abcdef").returncode == 2


def _start_build(data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN_DIR / "ht-warehouse"), "build"],
        env=clean_env(data_dir),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _read_until(process: subprocess.Popen, marker: str, timeout: float = BUILD_TIMEOUT) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return lines
        assert time.monotonic() < deadline, f"no {marker!r} within {timeout}s:\n{''.join(lines[-20:])}"
    raise AssertionError(f"the build ended before {marker!r}:\n{''.join(lines[-30:])}")


def _dbt_processes() -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                command = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"dbt" in command and b"build" in command and b"ht-warehouse" not in command:
                found.append(int(proc.name))
    return found


@pytest.fixture
def crashed(golden_build: tuple[Path, str], tmp_path: Path) -> Iterator[Path]:
    data_dir = copy_data_dir(golden_build[0], tmp_path / "data")
    _land_batch(data_dir)
    yield data_dir


# Where a build is killed: the stage's first line of progress, then how long to wait before SIGKILL, and whether
# only the build process dies (its dbt child keeps running, as after `kill -9 <pid>`) or its whole group.
KILLS = [
    ("parse", "▶ ingest_batch", 1.0, "group"),
    ("load", "Accepted", 0.0, "group"),
    ("dbt", "Running dbt command", 2.0, "process"),
    ("publish", "▶ published__warehouse_snapshot", 0.0, "group"),
]


def test_sigkill_at_every_stage_loses_nothing_and_blocks_nothing(
    crashed: Path, reference: tuple[Path, str, tuple]
) -> None:
    snapshot = crashed / "published/current/warehouse.duckdb"
    published_before = _query(snapshot, "select count(*) from marts.fct_report_figures")
    for stage, marker, delay, target in KILLS:
        build = _start_build(crashed)
        _read_until(build, marker)
        time.sleep(delay)
        if target == "group":
            os.killpg(build.pid, signal.SIGKILL)
        else:
            os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=30)
        # Readers are never blocked and see a whole snapshot: the old one or, after the promote, the new one.
        rows = _query(snapshot, "select count(*) from marts.fct_report_figures")
        assert rows in (published_before, [(published_before[0][0] + 5,)]), stage
        _query(crashed / "warehouse.duckdb", "select count(*) from raw.load_log")

    started = time.monotonic()
    final = cli(crashed, "build", timeout=BUILD_TIMEOUT)
    assert final.returncode in (0, 1), final.stdout[-3000:] + final.stderr[-3000:]
    assert time.monotonic() - started < 120
    assert _dbt_processes() == [], "a dbt process of a killed build is still running"
    # Every landed file ended up loaded or quarantined, and the marts equal those of the undisturbed build.
    assert "Nothing new:" in cli(crashed, "build").stdout
    assert (_marts(crashed / "warehouse.duckdb"), _marts(snapshot)) == reference[2]
    assert list(crashed.glob("warehouse.duckdb.candidate*")) == []


def test_sigterm_stops_a_build_within_seconds_and_changes_nothing(crashed: Path) -> None:
    live = crashed / "warehouse.duckdb"
    batch_before = _query(live, "select max(batch_id) from raw.batch_log")
    build = _start_build(crashed)
    _read_until(build, "Running dbt command")
    time.sleep(1)
    stopped_at = time.monotonic()
    build.send_signal(signal.SIGTERM)
    output = build.communicate(timeout=60)[0]
    assert time.monotonic() - stopped_at < 30
    assert build.returncode == 130, output[-3000:]
    assert "Interrupted: nothing was promoted" in output
    assert _query(live, "select max(batch_id) from raw.batch_log") == batch_before
    assert list(crashed.glob("warehouse.duckdb.candidate*")) == []
    time.sleep(1)
    assert _dbt_processes() == []
