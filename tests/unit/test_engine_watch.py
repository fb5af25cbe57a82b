"""The landing folders' watch: a file written under them wakes a waiting sensor tick; reading one does not; where
the system refuses notifications the tick does not wait, and does not ask again at every tick."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
