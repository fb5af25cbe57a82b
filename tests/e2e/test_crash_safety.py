"""Crash safety, the way a user meets it: `ht-warehouse build` killed with SIGKILL at every stage, or stopped with
SIGTERM, on a copy of a built warehouse with the mixed batch of tests/conftest.py in its landing folder. After the
kills the next build completes, every landed file ends up loaded or quarantined, and the marts equal those of the
undisturbed build of the same batch (the reference build)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    BIN_DIR,
    BUILD_TIMEOUT,
    PROJECT_ROOT,
    ReferenceBuild,
    clean_env,
    cli,
    copy_data_dir,
    land_mixed_batch,
    marts_contents,
    query,
)


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


def _dbt_processes(data_dir: Path) -> list[int]:
    """dbt processes building this data dir's warehouse (other tests build theirs at the same time)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                command = (proc / "cmdline").read_bytes()
                environment = (proc / "environ").read_bytes()
            except OSError:
                continue
            ours = str(data_dir).encode() in environment
            if ours and b"dbt" in command and b"build" in command and b"ht-warehouse" not in command:
                found.append(int(proc.name))
    return found


@pytest.fixture
def crashed(golden_build: tuple[Path, str], tmp_path: Path) -> Iterator[Path]:
    data_dir = copy_data_dir(golden_build[0], tmp_path / "data")
    land_mixed_batch(data_dir)
    yield data_dir


# Where a build is killed: the stage's first line of progress, then how long to wait before SIGKILL, and whether
# only the build process dies (as after `kill -9 <pid>`; dbt runs inside it) or its whole group.
KILLS = [
    ("parse", "▶ ingest_batch", 1.0, "group"),
    ("load", "Accepted", 0.0, "group"),
    ("dbt", "with their tests, in this process", 2.0, "process"),
    ("publish", "▶ published__warehouse_snapshot", 0.0, "group"),
]


def test_sigkill_at_every_stage_loses_nothing_and_blocks_nothing(
    crashed: Path, reference_build: ReferenceBuild
) -> None:
    snapshot = crashed / "published/current/warehouse.duckdb"
    published_before = query(snapshot, "select count(*) from marts.fct_report_figures")
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
        rows = query(snapshot, "select count(*) from marts.fct_report_figures")
        assert rows in (published_before, [(published_before[0][0] + 5,)]), stage
        query(crashed / "warehouse.duckdb", "select count(*) from raw.load_log")

    started = time.monotonic()
    final = cli(crashed, "build", timeout=BUILD_TIMEOUT)
    assert final.returncode in (0, 1), final.stdout[-3000:] + final.stderr[-3000:]
    assert time.monotonic() - started < 120
    assert _dbt_processes(crashed) == [], "a dbt process of a killed build is still running"
    # Every landed file ended up loaded or quarantined, and the marts equal those of the undisturbed build.
    assert "Nothing new:" in cli(crashed, "build").stdout
    assert marts_contents(crashed / "warehouse.duckdb") == reference_build.marts["live"]
    assert marts_contents(snapshot) == reference_build.marts["published"]
    assert list(crashed.glob("warehouse.duckdb.candidate*")) == []


def test_sigterm_stops_a_build_within_seconds_and_changes_nothing(crashed: Path) -> None:
    live = crashed / "warehouse.duckdb"
    batch_before = query(live, "select max(batch_id) from raw.batch_log")
    build = _start_build(crashed)
    _read_until(build, "with their tests, in this process")
    time.sleep(1)
    stopped_at = time.monotonic()
    build.send_signal(signal.SIGTERM)
    output = build.communicate(timeout=60)[0]
    assert time.monotonic() - stopped_at < 30
    assert build.returncode == 130, output[-3000:]
    assert "Interrupted: nothing was promoted" in output
    assert query(live, "select max(batch_id) from raw.batch_log") == batch_before
    assert list(crashed.glob("warehouse.duckdb.candidate*")) == []
    time.sleep(1)
    assert _dbt_processes(crashed) == []
