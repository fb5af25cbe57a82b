"""Dagster's queued run coordinator, which also warms the run launcher up when the daemon starts.

The fork-server launcher (run_launcher.py) warms its fork server up in the background on its first launch, and runs
launched before it is warm start the default way, through the code server: about 8 s slower. Dagster builds a run
launcher only when it first launches a run, but it builds the run coordinator as the daemon starts (for its
dequeue interval). So this coordinator, in the daemon only, asks the launcher to start warming then: the first file
landed after `make dev` starts finds the fork server warm. The webserver and code servers build coordinators too
(to submit runs) and never launch one, so they start nothing.
"""

from __future__ import annotations

import sys
from typing import Any

import dagster as dg

# What `dagster-daemon run` and `dg dev`'s `python -m dagster._daemon run` both import, and no other Dagster
# process does.
DAEMON_MODULE = "dagster._daemon.cli"


def in_daemon() -> bool:
    """Whether this process is a Dagster daemon: its command is `run` (not `liveness-check` or another of the
    daemon's short commands)."""
    return DAEMON_MODULE in sys.modules and sys.argv[1:2] == ["run"]


class WarmingQueuedRunCoordinator(dg.QueuedRunCoordinator):
    """Queues runs as Dagster's `QueuedRunCoordinator` does (same config); in the daemon, also starts the run
    launcher warming up (if it can) as soon as the daemon builds this coordinator."""

    def register_instance(self, instance: Any) -> None:
        super().register_instance(instance)
        if in_daemon():
            start_warming = getattr(instance.run_launcher, "start_warming", None)
            if start_warming is not None:
                start_warming()
