"""The warehouse file, its single writer and its candidates: lock, prepare, promote, discard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.engine.batch import Batch
from orchestration.engine.ledger import accepted_versions
from orchestration.engine.raw_tables import RAW_TABLES, append_file_version, read_state
from orchestration.engine.staged import StagedVersion
from orchestration.engine.stop_signals import StopRequested, recorded_stop_signals
from orchestration.engine.versions import FileVersion
from orchestration.engine.warehouse import Warehouse, WarehouseBusy, writer_lock
from orchestration.parsers.files import sha256_of
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.settings import SOURCES_DIR
from tests.unit.conftest import stage_copy

HOLD_LOCK = """
import sys, time
from pathlib import Path
from orchestration.engine.warehouse import writer_lock
with writer_lock(Path(sys.argv[1]), "holder"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_waits_and_then_times_out_naming_the_holder(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    waits: list[str] = []
    with writer_lock(warehouse, "first build"):
        started = time.monotonic()
        with (
            pytest.raises(WarehouseBusy, match=r"being written by first build \(PID \d+\)"),
            writer_lock(warehouse, "second build", timeout=0.5, on_wait=waits.append),
        ):
            pass
        assert time.monotonic() - started >= 0.5
    assert waits == [f"Waiting for first build (PID {os.getpid()}) to finish writing warehouse.duckdb"]


def test_the_lock_of_a_writer_killed_with_sigkill_is_free_at_once(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy), writer_lock(warehouse, "waiting", timeout=0.3):
            pass
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        with writer_lock(warehouse, "next writer", timeout=2):
            assert "next writer" in warehouse.with_name("warehouse.duckdb.lock").read_text()
    finally:
        holder.kill()


def test_prepare_writes_only_the_candidate_and_promote_swaps_it_in(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    version = stage_copy(data_dir / "landing", "fiscal")
    batch = Batch("batch-1", "run-1", warehouse, accepted=[version])
    candidate = batch.prepare()
    assert candidate == warehouse.candidate_path and not warehouse.path.exists()
    with duckdb.connect(str(candidate), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.hotline_national_signals_fy").fetchone() == (12,)
        assert conn.execute("select outcome, row_count from raw.load_log").fetchall() == [("loaded", 12)]
    batch.promote("all", [version])
    assert not candidate.exists()
    assert read_state(warehouse).batch_id == "batch-1"
    assert accepted_versions(warehouse) == {version.key}


def test_a_candidate_holds_the_very_rows_each_shipped_file_was_parsed_into(data_dir: Path) -> None:
    """`prepare` loads each staged version straight from its Parquet files: for a file of every kind, the raw
    tables hold what loading its parsed frames holds, value for value and type for type."""
    versions, frames = [], {}
    for kind in SOURCE_KINDS:
        for path in sorted((SOURCES_DIR / kind).rglob("*.*")):
            if path.name.endswith(".provenance.yaml") or path.suffix not in (".yaml", ".csv", ".xlsx"):
                continue
            version = FileVersion(kind, path.stem, str(path), sha256_of(path))
            frames[version] = SOURCE_KINDS[kind].parse(path)
            StagedVersion(kind, path.stem, version.sha256).write_tables(frames[version])
            versions.append(version)
    batch = Batch("batch-1", "run-1", Warehouse(data_dir / "warehouse.duckdb"), accepted=versions)
    candidate = batch.prepare()
    with duckdb.connect(str(data_dir / "from_frames.duckdb")) as conn:
        for version in versions:
            append_file_version(conn, version, frames[version], "run-1", batch.loaded_at(version))

    with duckdb.connect() as conn:
        conn.execute(f"attach '{candidate}' as staged (read_only)")
        conn.execute(f"attach '{data_dir / 'from_frames.duckdb'}' as parsed (read_only)")
        for table in RAW_TABLES:
            columns = ", ".join(f'"{c}"' for c in RAW_TABLES[table])
            rows = conn.execute(f"select {columns} from staged.raw.{table} order by all").fetchall()
            assert rows == conn.execute(f"select {columns} from parsed.raw.{table} order by all").fetchall()
            types = "select list(data_type order by column_name) from duckdb_columns() where table_name = ?"
            assert (
                conn.execute(f"{types} and database_name = 'staged'", [table]).fetchall()
                == conn.execute(f"{types} and database_name = 'parsed'", [table]).fetchall()
            )
        logged = "select source_kind, partition_key, row_count from {}.raw.load_log order by all"
        assert conn.execute(logged.format("staged")).fetchall() == conn.execute(logged.format("parsed")).fetchall()
        loaded = conn.execute("select distinct source_kind from staged.raw.load_log where row_count > 0").fetchall()
    assert {kind for (kind,) in loaded} == set(SOURCE_KINDS)


def test_a_batch_closed_without_promote_leaves_the_live_warehouse_as_it_was(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    first = stage_copy(data_dir / "landing", "fiscal")
    promoted = Batch("batch-1", "run-1", warehouse, accepted=[first])
    promoted.prepare()
    promoted.promote("all", [first])
    before = warehouse.path.read_bytes()
    second = stage_copy(data_dir / "landing", "fiscal_again", edit="2025,1,,1,1\n")
    failed = Batch("batch-2", "run-2", warehouse, accepted=[second])
    failed.prepare()
    failed.close()
    assert not warehouse.candidate_path.exists()
    assert warehouse.path.read_bytes() == before
    assert accepted_versions(warehouse) == {first.key}


def test_a_retraction_deletes_the_rows_and_files_the_version_in_quarantine(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    version = stage_copy(data_dir / "landing", "fiscal")
    loading = Batch("batch-1", "run-1", warehouse, accepted=[version])
    loading.prepare()
    loading.promote("all", [version])
    retracting = Batch("batch-2", "run-2", warehouse, retracted=[version])
    retracting.prepare()
    retracting.promote("publish", [])
    with duckdb.connect(str(warehouse.path), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.hotline_national_signals_fy").fetchone() == (0,)
    assert accepted_versions(warehouse) == set()
    assert (data_dir / "quarantine" / version.kind / "fiscal" / version.sha256 / "report.json").exists()


class _Interrupted(BaseException):
    """What Dagster's handler raises for SIGTERM during a step."""


def _raise_interrupted(_signum: int, _frame: object) -> None:
    raise _Interrupted


class _SignalsInCallback:
    """Sends SIGTERM from a weakref callback, as dbt's parser collects classes: Python drops what the handler
    raises there ("Exception ignored in ..."), so the run never hears of it."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)


def test_a_stop_signal_whose_interrupt_was_lost_still_keeps_the_batch_from_being_promoted(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    version = stage_copy(data_dir / "landing", "fiscal")
    dropped: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: dropped.append(unraisable.exc_type))
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        with recorded_stop_signals() as stop:
            batch = Batch("batch-1", "run-1", warehouse, accepted=[version], stop=stop)
            batch.prepare()
            dropping = _SignalsInCallback()
            del dropping
            assert dropped == [_Interrupted]  # the handler ran, and its exception went nowhere
            with pytest.raises(StopRequested, match="SIGTERM received: promoting batch batch-1 is not done"):
                batch.promote("all", [version])
            batch.close()
        assert signal.set_wakeup_fd(-1) == -1  # the wakeup file is given back
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not warehouse.path.exists() and not warehouse.candidate_path.exists()


def test_without_a_stop_signal_the_batch_promotes_and_other_signals_do_not_count(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    version = stage_copy(data_dir / "landing", "fiscal")
    previous = signal.signal(signal.SIGUSR1, lambda *_: None)
    try:
        with recorded_stop_signals() as stop:
            os.kill(os.getpid(), signal.SIGUSR1)
            time.sleep(0.01)
            batch = Batch("batch-1", "run-1", warehouse, accepted=[version], stop=stop)
            batch.prepare()
            batch.promote("all", [version])
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert read_state(warehouse).batch_id == "batch-1"
