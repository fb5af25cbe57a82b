"""Waiting for something to land: file-system notifications (inotify on Linux, through watchdog) on the landing
folders, so the landing sensor hears of a file the moment it is written instead of at its next evaluation.

One observer per process (the code server's) watches the folders for as long as the process lives; each sensor
tick notes the count of changes before it looks at the folders and waits for that count to move. The watch also
knows when a file's writer closed it (or renamed it into place within the watched folders): such a file is complete
and need not wait out the ledger's settling time (engine/ledger.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent

logger = logging.getLogger(__name__)

# When the system refused a watch (inotify's limits), how long before it is asked again. watchdog keeps the file
# descriptors of a watch that failed halfway, so it is not asked at every tick.
RETRY_SECONDS = 600.0
# Files whose last write is remembered, at most (a copy of many files); beyond it, the least recently written half
# is forgotten. A forgotten file only waits out the settling time, as without the watch.
MAX_WRITES = 10_000
# A write (or a file that appeared) not closed within this long no longer counts as a copy in progress for
# `writing()`: a file moved in from outside the watched folders, or whose attributes changed, raises no close.
OPEN_WRITE_SECONDS = 1.0


def _event_filter() -> list[type[Any]]:
    """What a copy, a move into the folder or an in-place rewrite raises; opening or reading a file (the sensor
    hashes files) raises nothing."""
    from watchdog import events

    return [
        events.FileCreatedEvent,
        events.FileModifiedEvent,
        events.FileMovedEvent,
        events.FileClosedEvent,
        events.DirCreatedEvent,
        events.DirMovedEvent,
    ]


class LandingWatch:
    """Counts the changes under the watched folders; a tick waits for the count to move past the one it noted."""

    def __init__(self) -> None:
        self._changes = 0
        self._changed = threading.Condition()
        self._observer: Any = None
        self._watched: set[Path] = set()
        self._retry_at = 0.0
        # Absolute path -> (closed, when): when its writer closed it or moved it into place, or (not closed) when
        # it was last created or written to. Least recently written first.
        self._writes: dict[str, tuple[bool, float]] = {}

    @property
    def active(self) -> bool:
        """False where notifications cannot be had: then nothing is waited for."""
        return self._observer is not None and self._observer.is_alive()

    def dispatch(self, event: FileSystemEvent) -> None:  # watchdog's handler interface
        with self._changed:
            self._changes += 1
            if not event.is_directory:
                self._note_write(event)
            self._changed.notify_all()

    def _note_write(self, event: FileSystemEvent) -> None:
        path, now = os.path.abspath(os.fsdecode(event.src_path)), time.time()
        if event.event_type == "moved":  # renamed into place: its bytes were complete before the rename
            self._writes.pop(path, None)
            path = os.path.abspath(os.fsdecode(event.dest_path))
        self._writes.pop(path, None)  # to the end: the most recently written
        # Closed after writing (IN_CLOSE_WRITE) or moved into place; else created or modified: a write is open.
        self._writes[path] = (event.event_type in ("closed", "moved"), now)
        if len(self._writes) > MAX_WRITES:
            for forgotten in list(self._writes)[: MAX_WRITES // 2]:
                del self._writes[forgotten]

    def writing(self) -> bool:
        """Whether a file was created or written to within OPEN_WRITE_SECONDS and not closed since."""
        now = time.time()
        with self._changed:
            return any(not closed and now - at < OPEN_WRITE_SECONDS for closed, at in self._writes.values())

    def closed_at(self, path: Path) -> float | None:
        """When the last write to `path` was closed or the file was moved into place (time.time()); None while a
        write is open, or when this watch did not see it written."""
        with self._changed:
            closed, at = self._writes.get(os.path.abspath(path), (False, 0.0))
        return at if closed else None

    def watch(self, roots: Iterable[Path]) -> None:
        """Watch the folders among `roots` that exist, recursively (a folder created later is added then)."""
        from watchdog.observers import Observer  # a thread and an inotify handle, kept for the process's life

        if time.monotonic() < self._retry_at:
            return
        if not self.active:  # not started yet, or its thread is gone: every folder is watched anew
            self._watched = set()
        wanted = {root for root in roots if root.is_dir()} - self._watched
        if not wanted:
            return
        try:
            if not self.active:
                observer = Observer()
                observer.daemon = True
                observer.start()
                self._observer = observer
            for root in sorted(wanted):
                self._observer.schedule(self, str(root), recursive=True, event_filter=_event_filter())
                self._watched.add(root)
        except OSError as error:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            logger.warning("Not watching the landing folders (%s): the sensor looks at each evaluation", error)

    def close(self) -> None:
        """Stop watching (the process's own watch lives as long as the process)."""
        if self.active:
            self._observer.stop()
            self._observer.join()
            self._observer, self._watched = None, set()
            self._writes.clear()

    def mark(self) -> int:
        """The count of changes so far: note it before looking at the folders."""
        with self._changed:
            return self._changes

    def wait(self, since: int, timeout: float) -> bool:
        """True once a change came after `since`; False after `timeout` seconds without one, or at once when the
        watch is not active or the time is up."""
        if not self.active or timeout <= 0:
            return False
        with self._changed:
            return self._changed.wait_for(lambda: self._changes != since, timeout=timeout)


_WATCH = LandingWatch()


def landing_watch(roots: Iterable[Path]) -> LandingWatch:
    """This process's watch of the landing folders, watching `roots` from now on."""
    _WATCH.watch(roots)
    return _WATCH
