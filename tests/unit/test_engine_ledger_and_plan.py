"""The ledger (what is new) and the plan of a build, decided before anything heavy is imported."""

from __future__ import annotations

import os
import time
from pathlib import Path

from orchestration.engine.batch import Batch
from orchestration.engine.ledger import (
    CLOSE_QUIET_SECONDS,
    SETTLE_SECONDS,
    discover,
    find_accepted,
    refused_versions,
    same_bytes_elsewhere,
)
from orchestration.engine.plan import batch_digest, make_plan
from orchestration.engine.store import quarantine
from orchestration.engine.versions import LandedFile
from orchestration.engine.warehouse import Warehouse
from tests.unit.conftest import stage_copy


def _age(path: str | Path) -> None:
    """Files younger than a second wait for the next look (they may still be being copied in)."""
    old = time.time() - 10
    os.utime(path, (old, old))


def _promote(warehouse: Warehouse, *versions) -> None:
    batch = Batch(f"batch-{time.monotonic_ns()}", "run", warehouse, accepted=list(versions))
    batch.prepare()
    batch.promote("all", list(versions))


def test_a_first_build_is_full_and_takes_every_landed_file(data_dir: Path) -> None:
    landing = data_dir / "landing"
    version = stage_copy(landing, "fiscal")
    _age(version.path)
    plan = make_plan([landing], Warehouse(data_dir / "warehouse.duckdb"), data_dir / "published")
    assert plan.full and [v.key for v in plan.pending] == [version.key]
    assert plan.reasons == ["no warehouse built by this version yet", "1 new file version(s)"]


def test_a_loaded_file_is_not_new_again_and_a_changed_one_is(data_dir: Path) -> None:
    landing, warehouse = data_dir / "landing", Warehouse(data_dir / "warehouse.duckdb")
    version = stage_copy(landing, "fiscal")
    _age(version.path)
    _promote(warehouse, version)
    assert discover([landing], warehouse).pending == []
    changed = stage_copy(landing, "fiscal", edit="2025,1,,1,1\n")
    _age(changed.path)
    assert [v.sha256 for v in discover([landing], warehouse).pending] == [changed.sha256]


def test_a_quarantined_version_is_processed_and_a_settling_file_waits(data_dir: Path) -> None:
    landing, warehouse = data_dir / "landing", Warehouse(data_dir / "warehouse.duckdb")
    refused = stage_copy(landing, "refused")
    _age(refused.path)
    quarantine(LandedFile(refused.kind, Path(refused.path), 0, 0.0), refused.sha256, {"first_problem": "bad"})
    fresh = stage_copy(landing, "fresh", edit="2025,1,,1,1\n")
    assert refused_versions() == {refused.key}
    found = discover([landing], warehouse)
    assert (found.pending, found.processed, found.unsettled) == ([], 1, 1)
    assert 0 < found.settles_in <= SETTLE_SECONDS
    _age(fresh.path)
    assert [v.key for v in discover([landing], warehouse).pending] == [fresh.key]


def test_a_young_file_its_writer_was_seen_closing_is_taken_once_nothing_more_was_heard_of_it(data_dir: Path) -> None:
    landing, warehouse = data_dir / "landing", Warehouse(data_dir / "warehouse.duckdb")
    fresh = stage_copy(landing, "fresh")
    mtime = time.time() - 0.3  # younger than SETTLE_SECONDS
    os.utime(fresh.path, (mtime, mtime))
    closes = {fresh.path: mtime - 0.01}  # a close seen before the last write: it is being written again
    found = discover([landing], warehouse, closed_at=lambda path: closes.get(str(path)))
    assert (found.pending, found.unsettled) == ([], 1)
    assert SETTLE_SECONDS - 0.5 < found.settles_in <= SETTLE_SECONDS - 0.2
    closes[fresh.path] = time.time()  # closed just now: a write reopening it may not be heard of yet
    found = discover([landing], warehouse, closed_at=lambda path: closes.get(str(path)))
    assert (found.pending, found.unsettled) == ([], 1)
    assert 0 < found.settles_in <= CLOSE_QUIET_SECONDS
    closes[fresh.path] = time.time() - 2 * CLOSE_QUIET_SECONDS  # closed after its last write, nothing heard since
    found = discover([landing], warehouse, closed_at=lambda path: closes.get(str(path)))
    assert ([v.key for v in found.pending], found.unsettled, found.settles_in) == ([fresh.key], 0, 0.0)


def test_a_file_the_kind_does_not_take_is_named_not_ignored(data_dir: Path) -> None:
    landing = data_dir / "landing"
    (landing / "hotline_national_signals_fy").mkdir(parents=True)
    (landing / "hotline_national_signals_fy" / "table.xlsx").write_bytes(b"x")
    (landing / "hotline_national_signals_fy" / "bad name.csv").write_text("x")
    skipped = discover([landing], Warehouse(data_dir / "warehouse.duckdb")).skipped
    assert any("table.xlsx: not a file type hotline_national_signals_fy/ takes (expected .csv)" in s for s in skipped)
    assert any("'bad name.csv' is not a plain name" in s for s in skipped)


def test_files_outside_every_kinds_folder_are_named_not_ignored(data_dir: Path) -> None:
    landing = data_dir / "landing"
    (landing / "report_releases").mkdir(parents=True)
    (landing / "fbi_ucr" / "2020").mkdir(parents=True)
    (landing / "fbi_ucr" / "2020" / "ht_agency_offenses.csv").write_text("x")
    (landing / "ht_agency_offenses.csv").write_text("x")
    (landing / "empty_folder").mkdir()
    (landing / "empty_folder" / ".gitkeep").write_text("")  # no data in it: not named
    for quiet in (".DS_Store", "README.md"):
        (landing / quiet).write_text("x")
    found = discover([landing], Warehouse(data_dir / "warehouse.duckdb"))
    assert found.pending == []
    assert len(found.skipped) == 2
    folder, top = found.skipped
    assert folder.startswith(f"{landing / 'fbi_ucr'}/: not a source kind's folder, so its 1 file(s) are not taken")
    assert top.startswith(f"{landing / 'ht_agency_offenses.csv'}: not in a source kind's folder")
    assert "report_releases/, " in top and "hotline_state_calls_cases/" in folder


def test_the_shipped_sources_hold_nothing_outside_the_kinds_folders(data_dir: Path) -> None:
    from orchestration.settings import SOURCES_DIR

    assert discover([SOURCES_DIR], Warehouse(data_dir / "warehouse.duckdb")).skipped == []


def test_accepted_versions_are_found_by_path_or_sha_prefix(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    version = stage_copy(data_dir / "landing", "fiscal")
    _promote(warehouse, version)
    assert find_accepted(warehouse, version.sha256[:8]) == [version]
    assert find_accepted(warehouse, version.path) == [version]
    assert find_accepted(warehouse, "0123456789abcdef") == []


def test_the_same_bytes_under_another_name_are_a_duplicate_delivery(data_dir: Path) -> None:
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    original = stage_copy(data_dir / "landing", "fiscal")
    _promote(warehouse, original)
    copy = stage_copy(data_dir / "landing", "fiscal_copy")
    earlier = same_bytes_elsewhere(warehouse, copy)
    assert earlier is not None and earlier.version.path == original.path
    assert same_bytes_elsewhere(warehouse, original) is None


def test_a_batch_is_named_by_its_files_whatever_their_order(data_dir: Path) -> None:
    a = stage_copy(data_dir / "landing", "a")
    b = stage_copy(data_dir / "landing", "b", edit="2025,1,,1,1\n")
    assert batch_digest([a, b]) == batch_digest([b, a]) != batch_digest([a])


def test_a_snapshot_whose_charts_were_not_drawn_is_published_again(data_dir: Path) -> None:
    """A build killed while drawing the charts leaves the snapshot without them: the next build publishes again,
    instead of saying that nothing is new."""
    import json

    from orchestration.engine.raw_tables import read_state
    from orchestration.engine.snapshot import CHARTS_FOLDER, CURRENT_LINK

    landing, warehouse, published = data_dir / "landing", Warehouse(data_dir / "warehouse.duckdb"), data_dir / "pub"
    version = stage_copy(landing, "fiscal")
    _age(version.path)
    _promote(warehouse, version)
    snapshot = published / "snapshots" / "one"
    snapshot.mkdir(parents=True)
    (snapshot / "manifest.json").write_text(json.dumps({"batch_id": read_state(warehouse).batch_id}))
    (published / CURRENT_LINK).symlink_to(snapshot)
    plan = make_plan([landing], warehouse, published)
    assert plan.publish and not plan.full and plan.pending == []
    assert plan.reasons == ["the published snapshot has no charts (a build stopped while drawing them)"]
    (snapshot / CHARTS_FOLDER).mkdir()
    assert make_plan([landing], warehouse, published).nothing_to_do
