"""The landing sensor on a real instance: new or changed files make one batch run, bytes seen before make none,
and the files of a run that died are taken again."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import BuiltWarehouse

NEW_RELEASE = Path(__file__).parent.parent / "data/releases/ochttf-2025.yaml"
SHIPPED_2019 = Path(__file__).parents[2] / "sources/report_releases/ochttf/ochttf-2019.yaml"


def _evaluate(instance: dg.DagsterInstance) -> dg.SensorResult | dg.SkipReason:
    return _evaluate_with_cursor(instance, None)[0]


def _evaluate_with_cursor(
    instance: dg.DagsterInstance, cursor: str | None
) -> tuple[dg.SensorResult | dg.SkipReason, str | None]:
    """One evaluation from `cursor` (as the daemon keeps it between ticks): its result and the cursor after it."""
    from orchestration.definitions import defs

    sensor = defs.resolve_sensor_def("landing_sensor")
    with dg.build_sensor_context(
        instance=instance, resources=defs.resources, definitions=defs, cursor=cursor
    ) as context:
        return sensor(context), context.cursor


def _settled(path: Path) -> Path:
    """A file written a while ago (the sensor leaves files younger than a second for the next tick)."""
    past = time.time() - 10
    os.utime(path, (past, past))
    return path


def _land(folder: Path, comment: str) -> Path:
    """A new version of the 2025 release (its bytes plus a comment line), written a while ago."""
    landed = folder / "ochttf-2025.yaml"
    landed.write_text(NEW_RELEASE.read_text() + comment + "\n")
    return _settled(landed)


def _evaluated_while(instance: dg.DagsterInstance, writer: threading.Thread) -> dg.SensorResult | dg.SkipReason:
    """An evaluation of the sensor while `writer` runs, after a first one (which loads what the sensor reads)."""
    from orchestration.definitions import defs  # loaded first: the file lands after the evaluation began

    defs.resolve_sensor_def("landing_sensor")
    _evaluate(instance)
    writer.start()
    try:
        return _evaluate(instance)
    finally:
        writer.join()


def _paths_taken(result: dg.SensorResult | dg.SkipReason) -> list[str]:
    """The landed files the evaluation's one run request takes."""
    assert isinstance(result, dg.SensorResult), result
    (request,) = result.run_requests
    return [f["path"] for f in request.run_config["ops"]["ingest_batch"]["config"]["files"]]


def _run(wh: BuiltWarehouse, request: dg.RunRequest):
    from orchestration.definitions import defs
    from orchestration.defs.batch_run import run_batch
    from orchestration.engine.versions import FileVersion

    files = [FileVersion(**f) for f in request.run_config["ops"]["ingest_batch"]["config"]["files"]]
    return run_batch(defs, wh.instance, files)


def _add_run(instance: dg.DagsterInstance, status: dg.DagsterRunStatus, tags: dict[str, str]) -> dg.DagsterRun:
    run = dg.DagsterRun(job_name="process_batch", run_id=str(uuid.uuid4()), status=status, tags=tags)
    return instance.add_run(run)


@pytest.fixture
def landing_folder(private_warehouse: BuiltWarehouse) -> Path:
    folder = private_warehouse.data_dir / "landing" / "report_releases"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    for path in folder.glob("*"):
        path.unlink()


def test_new_files_make_one_batch_and_bytes_seen_before_make_none(
    private_warehouse: BuiltWarehouse, landing_folder: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from orchestration.parsers.files import sha256_of

    new = landing_folder / NEW_RELEASE.name
    shutil.copyfile(NEW_RELEASE, new)
    reissued = landing_folder / SHIPPED_2019.name
    reissued.write_text(SHIPPED_2019.read_text() + "# Re-issued: provenance comment added by the test suite.\n")
    _settled(new), _settled(reissued)

    # Two new file versions: one run request for both, with only what is downstream of report releases.
    first = _evaluate(private_warehouse.instance)
    assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
    request = first.run_requests[0]
    files = request.run_config["ops"]["ingest_batch"]["config"]["files"]
    assert {(f["partition_key"], f["sha256"]) for f in files} == {
        ("ochttf-2025", sha256_of(new)),
        ("ochttf-2019", sha256_of(reissued)),
    }
    selected = {key.to_user_string() for key in request.asset_selection}
    assert {"raw/report_releases", "marts/fct_victims", "published/warehouse_snapshot"} <= selected
    assert "raw/hotline_state_calls_cases" not in selected and "reference/jurisdictions" not in selected
    assert _run(private_warehouse, request).success

    # Processed: nothing new, with the same bytes delivered again too (a new modification time).
    assert isinstance(_evaluate(private_warehouse.instance), dg.SkipReason)
    stray = _settled(shutil.copyfile(NEW_RELEASE, landing_folder.parent / NEW_RELEASE.name))  # outside every kind
    capfd.readouterr()
    skipped, cursor = _evaluate_with_cursor(private_warehouse.instance, None)
    assert isinstance(skipped, dg.SkipReason), skipped
    assert skipped.skip_message.endswith("1 file(s) not taken, named by the tick that first found them")
    warned = "WARNING - Skipped " + str(stray)  # the sensor's log goes to stderr through Dagster's handler
    assert warned in capfd.readouterr().err
    # The next tick, from the cursor the daemon keeps, says the same but does not warn again.
    again, cursor_after = _evaluate_with_cursor(private_warehouse.instance, cursor)
    assert isinstance(again, dg.SkipReason) and again.skip_message == skipped.skip_message
    assert cursor_after == cursor and warned not in capfd.readouterr().err
    stray.unlink()
    shutil.copyfile(NEW_RELEASE, new)
    _settled(new)
    assert isinstance(_evaluate(private_warehouse.instance), dg.SkipReason)

    # Changed bytes: a new version (tests/test_write_audit_publish.py publishes one end to end).
    new.write_text(NEW_RELEASE.read_text() + "# Re-issued: provenance comment added by the test suite.\n")
    _settled(new)
    changed = _evaluate(private_warehouse.instance)
    assert isinstance(changed, dg.SensorResult)
    assert [f["sha256"] for f in changed.run_requests[0].run_config["ops"]["ingest_batch"]["config"]["files"]] == [
        sha256_of(new)
    ]
    # The first batch is live and published: the new release, and the re-issued 2019 report as version 2.
    assert private_warehouse.query_snapshot(
        "select victim_count from marts.fct_victims "
        "where source_id = 'ochttf-2025' and unit = 'count' and breakdown_dimension = 'total'"
    ) == [(411,)]
    assert private_warehouse.query_snapshot(
        "select latest_version from marts.dim_source where source_id = 'ochttf-2019'"
    ) == [(2,)]


def test_run_whose_process_died_is_marked_failed_and_its_files_taken_again(
    private_warehouse: BuiltWarehouse, landing_folder: Path
) -> None:
    landed = _land(landing_folder, "# Bytes of a run that was killed (test suite).")
    host = socket.gethostname()
    alive = _add_run(
        private_warehouse.instance, dg.DagsterRunStatus.STARTED, {"ht/pid": str(os.getpid()), "ht/host": host}
    )
    # A live batch run: new files wait for the next batch.
    assert "in flight" in str(_evaluate(private_warehouse.instance).skip_message)
    private_warehouse.instance.report_run_failed(alive)

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = _add_run(private_warehouse.instance, dg.DagsterRunStatus.STARTED, {"ht/pid": str(gone.pid), "ht/host": host})
    result = _evaluate(private_warehouse.instance)
    assert private_warehouse.instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    assert _paths_taken(result) == [str(landed)]


def test_a_file_landed_a_moment_ago_is_taken_by_the_same_evaluation(
    private_warehouse: BuiltWarehouse, landing_folder: Path
) -> None:
    """The sensor waits out the last second of a file that may still be being copied, instead of leaving it to the
    daemon's next evaluation 5 s later."""
    from orchestration.definitions import defs  # loaded first: the evaluation follows the write within the second

    defs.resolve_sensor_def("landing_sensor")
    landed = landing_folder / "ochttf-2025.yaml"
    landed.write_text(NEW_RELEASE.read_text() + "# Landed a moment ago (test suite).\n")
    result = _evaluate(private_warehouse.instance)
    assert _paths_taken(result) == [str(landed)]


def test_a_file_that_lands_while_a_tick_waits_is_taken_by_that_tick(
    private_warehouse: BuiltWarehouse, landing_folder: Path
) -> None:
    """With nothing to take, a tick waits on the landing folder's notifications for the daemon's 5 s between
    evaluations, instead of leaving a file that lands meanwhile to a later tick."""
    landed = landing_folder / "ochttf-2025.yaml"
    text = NEW_RELEASE.read_text() + "# Landed while the sensor was waiting (test suite).\n"
    result = _evaluated_while(private_warehouse.instance, threading.Timer(1.0, landed.write_text, [text]))
    assert _paths_taken(result) == [str(landed)]


def test_a_file_closed_while_the_tick_waits_for_it_to_settle_is_taken_by_that_tick(
    private_warehouse: BuiltWarehouse, landing_folder: Path
) -> None:
    """A copy that takes a while: the tick that saw it begin waits for its close, then takes it."""
    landed = landing_folder / "ochttf-2025.yaml"
    text = NEW_RELEASE.read_text() + "# Copied slowly while the sensor was waiting (test suite).\n"

    def copy_slowly() -> None:
        time.sleep(1.0)
        with landed.open("w") as copy:
            copy.write(text[: len(text) // 2])
            copy.flush()
            time.sleep(0.4)
            copy.write(text[len(text) // 2 :])

    result = _evaluated_while(private_warehouse.instance, threading.Thread(target=copy_slowly))
    assert _paths_taken(result) == [str(landed)]


def test_a_tick_waits_for_the_batch_run_in_flight_to_finish(
    private_warehouse: BuiltWarehouse, landing_folder: Path
) -> None:
    landed = _land(landing_folder, "# Landed during a batch run (test suite).")
    instance = private_warehouse.instance
    running = _add_run(
        instance, dg.DagsterRunStatus.STARTED, {"ht/pid": str(os.getpid()), "ht/host": socket.gethostname()}
    )
    finisher = threading.Timer(1.0, instance.report_run_failed, [running])
    finisher.start()
    try:
        result = _evaluate(instance)
    finally:
        finisher.join()
    assert _paths_taken(result) == [str(landed)]


def test_batch_that_failed_three_times_waits_for_a_fix(private_warehouse: BuiltWarehouse, landing_folder: Path) -> None:
    _land(landing_folder, "# Bytes whose runs keep failing (test suite).")
    first = _evaluate(private_warehouse.instance)
    digest = first.run_requests[0].tags["ht/batch"]
    assert first.run_requests[0].run_key == f"batch:{digest}:0"
    for _ in range(3):
        _add_run(private_warehouse.instance, dg.DagsterRunStatus.FAILURE, {"ht/batch": digest})
    skipped = _evaluate(private_warehouse.instance)
    assert isinstance(skipped, dg.SkipReason)
    assert f"failed 3 times; open its runs (tag ht/batch={digest})" in skipped.skip_message


def test_files_no_parser_takes_are_named_not_ignored(tmp_path: Path) -> None:
    from orchestration.engine.ledger import discover
    from orchestration.engine.warehouse import Warehouse

    folder = tmp_path / "landing" / "report_releases"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("hello")
    bad_name = folder / "my report.yaml"
    bad_name.write_text(NEW_RELEASE.read_text())
    _settled(bad_name)
    found = discover([tmp_path / "landing"], Warehouse(tmp_path / "warehouse.duckdb"))
    assert found.pending == []
    assert sorted(found.skipped) == [
        f"{bad_name}: the file name 'my report.yaml' is not a plain name (letters, digits, '-' and '_', at most 100);"
        " rename it to <key>.<extension>",
        f"{folder / 'notes.txt'}: not a file type report_releases/ takes (expected .yaml, .yml, .xlsx, .csv)",
    ]
