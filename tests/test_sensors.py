"""The landing sensors on a real instance: one run per new or changed file, none for bytes seen before."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import BuiltWarehouse

NEW_RELEASE = Path(__file__).parent / "data/releases/ochttf-2025.yaml"


def _sensor():
    from orchestration.definitions import defs

    return defs.resolve_sensor_def("report_releases_landing_sensor")


def _evaluate(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    from orchestration.definitions import defs

    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as context:
        return _sensor()(context)


def _process(wh: BuiltWarehouse, request: dg.RunRequest):
    from orchestration.build import ingest_file

    path = request.tags["ht/path"]
    from orchestration.definitions import defs

    return ingest_file(defs, wh.instance, "report_releases", request.partition_key, path)


@pytest.fixture
def landing_folder(built_warehouse: BuiltWarehouse) -> Path:
    folder = Path(os.environ["HT_LANDING_DIR"]) / "report_releases"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    for path in folder.glob("*"):
        path.unlink()


def test_new_changed_and_redelivered_release_files(built_warehouse: BuiltWarehouse, landing_folder: Path) -> None:
    landed = landing_folder / NEW_RELEASE.name
    shutil.copyfile(NEW_RELEASE, landed)

    # A new file: one run request, the content hash in its run key, and a partition for the release.
    first = _evaluate(built_warehouse.instance, None)
    from orchestration.ingest.files import sha256_of

    sha = sha256_of(landed)
    assert [r.run_key for r in first.run_requests] == [f"report_releases:ochttf-2025:{sha}"]
    assert first.run_requests[0].partition_key == "ochttf-2025"
    assert first.dynamic_partitions_requests[0].partition_keys == ["ochttf-2025"]
    assert _process(built_warehouse, first.run_requests[0]).success

    # The same bytes delivered again (a new modification time): nothing, with the cursor or without it.
    shutil.copyfile(NEW_RELEASE, landed)
    assert _evaluate(built_warehouse.instance, first.cursor).run_requests == []
    assert _evaluate(built_warehouse.instance, None).run_requests == []

    # Changed bytes: one run, and a second version of the release in raw.
    landed.write_text(NEW_RELEASE.read_text() + "# Re-issued: provenance comment added by the test suite.\n")
    changed = _evaluate(built_warehouse.instance, first.cursor)
    assert len(changed.run_requests) == 1
    assert changed.run_requests[0].run_key == f"report_releases:ochttf-2025:{sha256_of(landed)}"
    assert _process(built_warehouse, changed.run_requests[0]).success
    versions = built_warehouse.query(
        "select count(distinct file_sha256) from raw.report_releases where release_id = 'ochttf-2025'"
    )
    assert versions == [(2,)]

    # After the dbt rebuild the facts show the latest version; both stay queryable in fct_report_figures.
    from orchestration.definitions import defs
    from orchestration.jobs import TRANSFORM_JOB_NAME

    transform = defs.resolve_job_def(TRANSFORM_JOB_NAME).execute_in_process(instance=built_warehouse.instance)
    assert transform.success
    assert built_warehouse.query(
        "select victim_count, source_version, file_sha256 from marts.fct_victims "
        "where source_id = 'ochttf-2025' and unit = 'count' and breakdown_dimension = 'total'"
    ) == [(411, 2, sha256_of(landed))]
    assert built_warehouse.query(
        "select source_version, is_latest_version, superseded_at is null, count(*) from marts.fct_report_figures "
        "where source_id = 'ochttf-2025' group by all order by 1"
    ) == [(1, False, False, 5), (2, True, True, 5)]


def test_watermark_skips_files_older_than_the_cursor(built_warehouse: BuiltWarehouse, landing_folder: Path) -> None:
    landed = landing_folder / NEW_RELEASE.name
    landed.write_text(NEW_RELEASE.read_text() + "# Bytes never processed: for the watermark test only.\n")
    # Without a cursor the new bytes are found; with a watermark past the file's mtime the tick skips it.
    assert len(_evaluate(built_warehouse.instance, None).run_requests) == 1
    past_the_file = str(landed.stat().st_mtime + 1)
    assert _evaluate(built_warehouse.instance, past_the_file).run_requests == []
