"""Whether a process of this host is still there: how a run that died is told from one that is working."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True while a process with this PID exists on this host (also when it belongs to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
