"""Waiting for something to land: file-system notifications (inotify on Linux, through watchdog) on the landing
folders, so the landing sensor hears of a file the moment it is written instead of at its next evaluation."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent

# What a copy, a move into the folder or an in-place rewrite raises; opening or reading a file is not a change.
CHANGES = frozenset({"created", "modified", "moved", "closed"})


class LandingWatch:
    """Set once anything under the watched folders was created, written or moved in since the watch began."""

    def __init__(self) -> None:
        self._changed = threading.Event()

    def dispatch(self, event: FileSystemEvent) -> None:  # watchdog's handler interface
        if event.event_type in CHANGES:
            self._changed.set()

    def wait(self, timeout: float) -> bool:
        """True as soon as something changed (then the watch is reset); False after `timeout` seconds without."""
        changed = self._changed.wait(max(0.0, timeout))
        self._changed.clear()
        return changed


@contextmanager
def watching(roots: Iterable[Path]) -> Iterator[LandingWatch]:
    """Watch the folders that exist among `roots`, recursively, for the length of the block.

    Start it before looking at the folders: what lands while they are listed is caught by the watch."""
    from watchdog.observers import Observer  # a thread and an inotify handle: only while a tick waits

    watch = LandingWatch()
    observer = Observer()
    for root in roots:
        if root.is_dir():
            observer.schedule(watch, str(root), recursive=True)
    observer.start()
    try:
        yield watch
    finally:
        observer.stop()
        observer.join()
