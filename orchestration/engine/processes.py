"""Whether a process of this host is still there: how a run that died is told from one that is working."""

from __future__ import annotations

import os
from pathlib import Path


def process_alive(pid: int) -> bool:
    """True while a process with this PID exists on this host (also when it belongs to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_start_time(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (Linux's /proc); None where that cannot be read.

    With the PID it names one process: a PID is reused once its process is gone (after a restart, soon)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces: the fields are counted after its closing one.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[19]) if len(fields) > 19 else None


def same_process(pid: int, started: int | None) -> bool:
    """True while the process with this PID is the one that started at `started` (None: any with this PID)."""
    if not process_alive(pid):
        return False
    return started is None or process_start_time(pid) in (started, None)
