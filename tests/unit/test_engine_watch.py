"""The landing folders' watch: a file written under them wakes a waiting sensor tick; reading one does not; where
the system refuses notifications the tick does not wait, and does not ask again at every tick."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestration.engine.watch import LandingWatch


@pytest.fixture
def watch() -> Iterator[LandingWatch]:
    landing = LandingWatch()
    yield landing
    landing.close()


def test_a_file_written_in_a_watched_subfolder_ends_the_wait(tmp_path: Path, watch: LandingWatch) -> None:
    folder = tmp_path / "landing" / "report_releases"
    folder.mkdir(parents=True)
    watch.watch([tmp_path / "landing", tmp_path / "not-there"])
    assert watch.active
    since = watch.mark()
    assert not watch.wait(since, 0.2)  # nothing landed
    writer = threading.Timer(0.2, (folder / "ochttf-2025.yaml").write_text, ["release_id: x\n"])
    writer.start()
    try:
        assert watch.wait(since, 10)
    finally:
        writer.join()


def test_reading_a_file_is_not_a_change(tmp_path: Path, watch: LandingWatch) -> None:
    landed = tmp_path / "ochttf-2025.yaml"
    landed.write_text("release_id: x\n")
    watch.watch([tmp_path])
    since = watch.mark()
    assert landed.read_text() == "release_id: x\n"
    assert not watch.wait(since, 0.3)


def test_a_landing_folder_created_later_is_watched_from_the_next_tick(tmp_path: Path, watch: LandingWatch) -> None:
    landing = tmp_path / "landing"
    watch.watch([landing])
    assert not watch.active  # nothing to watch yet
    landing.mkdir()
    watch.watch([landing])
    since = watch.mark()
    (landing / "ochttf-2025.yaml").write_text("release_id: x\n")
    assert watch.wait(since, 10)


def test_where_notifications_are_refused_the_tick_does_not_wait_nor_ask_again(
    tmp_path: Path, watch: LandingWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchdog.observers.api import BaseObserver

    starts: list[int] = []

    def refused(self: BaseObserver) -> None:
        starts.append(1)
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(BaseObserver, "start", refused)
    watch.watch([tmp_path])
    assert not watch.active
    since = watch.mark()
    (tmp_path / "ochttf-2025.yaml").write_text("release_id: x\n")
    assert not watch.wait(since, 5)  # an active watch would have seen the file
    watch.watch([tmp_path])  # the next tick, within RETRY_SECONDS
    assert starts == [1]


def _eventually(condition: Callable[[], bool]) -> bool:
    """Whether `condition` holds within 5 s: notifications arrive on the observer's thread."""
    for _ in range(100):
        if condition():
            return True
        threading.Event().wait(0.05)
    return False


def test_a_file_is_complete_once_its_writer_closed_it_or_moved_it_into_place(
    tmp_path: Path, watch: LandingWatch
) -> None:
    watch.watch([tmp_path])
    landed = tmp_path / "ochttf-2025.yaml"

    def closed() -> bool:
        at = watch.closed_at(landed)
        return at is not None and at >= landed.stat().st_mtime

    with landed.open("w") as writer:
        writer.write("release_id: x\n")
        writer.flush()
        assert _eventually(watch.writing)  # still open: it may be half copied
        assert watch.closed_at(landed) is None
    assert _eventually(closed)
    assert not watch.writing()
    with landed.open("a") as writer:  # written again: open until closed again
        writer.write("# amended\n")
        writer.flush()
        assert _eventually(watch.writing)
        assert watch.closed_at(landed) is None
    assert _eventually(closed)
    staged = tmp_path / ".ochttf-2026.yaml.part"
    staged.write_text("release_id: y\n")
    moved = staged.rename(tmp_path / "ochttf-2026.yaml")
    assert _eventually(lambda: watch.closed_at(moved) is not None)
    assert watch.closed_at(tmp_path / "never-written.yaml") is None


def test_a_file_moved_in_from_outside_raises_no_close_and_stops_counting_as_a_write(
    tmp_path: Path, watch: LandingWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.engine import watch as watching

    monkeypatch.setattr(watching, "OPEN_WRITE_SECONDS", 0.3)
    landing = tmp_path / "landing"
    landing.mkdir()
    watch.watch([landing])
    outside = tmp_path / "ochttf-2025.yaml"
    outside.write_text("release_id: x\n")
    moved_in = outside.rename(landing / outside.name)  # inotify reports it as created: no write, no close
    assert _eventually(watch.writing)
    assert watch.closed_at(moved_in) is None  # its modification time decides, as without the watch
    assert _eventually(lambda: not watch.writing())


def test_the_watch_remembers_a_bounded_number_of_files(
    tmp_path: Path, watch: LandingWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.engine import watch as watching

    monkeypatch.setattr(watching, "MAX_WRITES", 4)
    watch.watch([tmp_path])
    files = [tmp_path / f"ochttf-20{year}.yaml" for year in range(10, 16)]
    for landed in files:
        landed.write_text("release_id: x\n")
    assert _eventually(lambda: watch.closed_at(files[-1]) is not None)
    assert watch.closed_at(files[0]) is None  # the least recently written are forgotten
