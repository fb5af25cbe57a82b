"""Whether this process was asked to stop (Ctrl-C, SIGTERM) while a batch ran: nothing is promoted after that.

Dagster stops a run by raising an exception from its signal handler wherever the main thread happens to be. Two
places lose it: Python drops an exception raised inside a weakref callback or `__del__` ("Exception ignored
in ..."; dbt's parser creates and collects many classes), and DuckDB turns it into `RuntimeError("Query
interrupted")`. A build stopped at such a moment went on and promoted its batch. The interpreter also writes the
number of every signal it handles to the file given to `signal.set_wakeup_fd`, whatever the Python handler then
does: `Batch.promote` reads that and refuses.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class StopRequested(KeyboardInterrupt):
    """A stop signal arrived while the batch ran: it is not promoted. Handled like Ctrl-C (Dagster fails the step
    as interrupted)."""


class StopSignals:
    """The stop signals received since `recorded_stop_signals()` began; records nothing without a pipe."""

    def __init__(self, read_fd: int | None = None) -> None:
        self._read_fd = read_fd
        self._received: set[int] = set()

    def received(self) -> set[int]:
        if self._read_fd is not None:
            try:
                while data := os.read(self._read_fd, 256):
                    self._received.update(data)
            except BlockingIOError:
                pass
        return self._received & STOP_SIGNALS

    def check(self, what: str) -> None:
        """Raise `StopRequested` if a stop signal arrived, naming what is not done."""
        if received := self.received():
            names = ", ".join(sorted(signal.Signals(number).name for number in received))
            raise StopRequested(f"{names} received: {what} is not done")


@contextmanager
def recorded_stop_signals() -> Iterator[StopSignals]:
    """Record the stop signals this process receives, below its Python handlers, until the block ends.

    Only the main thread can set the wakeup file; elsewhere, or when an event loop already uses it, this records
    nothing and leaves theirs in place."""
    if threading.current_thread() is not threading.main_thread():
        yield StopSignals()
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    if previous != -1:
        signal.set_wakeup_fd(previous)
        os.close(read_fd)
        os.close(write_fd)
        yield StopSignals()
        return
    try:
        yield StopSignals(read_fd)
    finally:
        # Closed only once the interpreter has let go of it: a number reused by another file while still the
        # wakeup file would get a byte per signal (left open if anything interrupts this).
        signal.set_wakeup_fd(-1)
        os.close(read_fd)
        os.close(write_fd)
