"""The landing folders' watch: a file written under them wakes a waiting sensor tick; without notifications the
tick does not wait."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orchestration.engine.watch import watching


def test_a_file_written_in_a_watched_subfolder_ends_the_wait(tmp_path: Path) -> None:
    folder = tmp_path / "landing" / "report_releases"
    folder.mkdir(parents=True)
    with watching([tmp_path / "landing", tmp_path / "not-there"]) as watch:
        assert watch.active
        assert not watch.wait(0.2)  # nothing landed
        writer = threading.Timer(0.2, (folder / "ochttf-2025.yaml").write_text, ["release_id: x\n"])
        writer.start()
        try:
            assert watch.wait(10)
        finally:
            writer.join()


def test_reading_a_file_is_not_a_change(tmp_path: Path) -> None:
    landed = tmp_path / "ochttf-2025.yaml"
    landed.write_text("release_id: x\n")
    with watching([tmp_path]) as watch:
        assert landed.read_text() == "release_id: x\n"
        assert not watch.wait(0.3)


def test_without_notifications_the_watch_is_inactive_and_does_not_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchdog.observers.api import BaseObserver

    def refused(self: BaseObserver) -> None:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(BaseObserver, "start", refused)
    with watching([tmp_path]) as watch:
        assert not watch.active
        (tmp_path / "ochttf-2025.yaml").write_text("release_id: x\n")
        assert not watch.wait(60)  # returns at once: the sensor looks again at its next evaluation
