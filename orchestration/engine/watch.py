"""Waiting for something to land: file-system notifications (inotify on Linux, through watchdog) on the landing
folders, so the landing sensor hears of a file the moment it is written instead of at its next evaluation."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent

logger = logging.getLogger(__name__)

# What a copy, a move into the folder or an in-place rewrite raises; opening or reading a file is not a change.
CHANGES = frozenset({"created", "modified", "moved", "closed"})


class LandingWatch:
    """Set once anything under the watched folders was created, written or moved in since the watch began."""

    def __init__(self) -> None:
        self._changed = threading.Event()
        self.active = False  # False where notifications cannot be had: then nothing is waited for

    def dispatch(self, event: FileSystemEvent) -> None:  # watchdog's handler interface
        if event.event_type in CHANGES:
            self._changed.set()

    def wait(self, timeout: float) -> bool:
        """True as soon as something changed (then the watch is reset); False after `timeout` seconds without, or
        at once when the watch is not active."""
        if not self.active:
            return False
        changed = self._changed.wait(max(0.0, timeout))
        self._changed.clear()
        return changed


@contextmanager
def watching(roots: Iterable[Path]) -> Iterator[LandingWatch]:
    """Watch the folders that exist among `roots`, recursively, for the length of the block.

    Start it before looking at the folders: what lands while they are listed is caught by the watch. Where the
    system refuses a watch (inotify's limits, a folder gone), the watch is inactive and the sensor looks again at
    its next evaluation, as without one. On a network file system, writes from other hosts raise no notification:
    the wait runs out and the next evaluation lists the folders."""
    from watchdog.observers import Observer  # a thread and an inotify handle: only while a tick waits

    watch = LandingWatch()
    observer = Observer()
    try:
        for root in roots:
            if root.is_dir():
                observer.schedule(watch, str(root), recursive=True)
        observer.start()
    except OSError as error:
        observer.unschedule_all()  # stops the folders' watches that had started
        logger.warning(
            "Not watching the landing folders for new files (%s): the sensor looks at each evaluation", error
        )
        yield watch
        return
    watch.active = True
    try:
        yield watch
    finally:
        observer.stop()
        observer.join()
