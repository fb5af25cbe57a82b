"""What the machine was like during a bench: its cores, its speed on pure Python, and its speed on imports.

Timings of this project move with the machine's state, and a shared VM's state moves within hours: on 2026-12-01
the same revision measured p50 8.7-9.2 s per event at 03:30 and 12.0-14.7 s from 04:30. Then
`import orchestration.definitions` took 2.9-3.0 s instead of 2.1-2.2 s, `make test` 794 s instead of 620 s, and
the same full build 44% more CPU seconds. Nothing had recorded the machine itself in the fast state, so whether the
processor or memory and files had slowed could not be told afterwards. So a bench now records both: `python_loop_s`
(a tight loop: the processor) and `import_dagster_s` (a new interpreter importing Dagster: files, memory and CPU,
as a run worker or a CLI build starts). Compare two revisions in one sitting, alternating them; compare runs of
different times only next to these figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

# Additions in the reference loop: 0.23-0.30 s on the 2-core machine of the README's figures (2026-12-01).
LOOP_ADDITIONS = 10_000_000


def _best_of(repeats: int, work: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _loop() -> None:
    total = 0
    for number in range(LOOP_ADDITIONS):
        total += number


def _import_dagster() -> None:
    subprocess.run([sys.executable, "-c", "import dagster"], check=True, capture_output=True)


def describe() -> dict[str, object]:
    """The machine as a bench's JSON records it, measured now (best of 3 each: the least disturbed run)."""
    return {
        "cpus": os.cpu_count(),
        "python_loop_s": _best_of(3, _loop),
        "import_dagster_s": _best_of(3, _import_dagster),
    }


def line(machine: dict[str, object]) -> str:
    """One line for a bench's printed output."""
    return (
        f"machine: {machine['cpus']} cores; {LOOP_ADDITIONS:,} additions in a Python loop {machine['python_loop_s']}s, "
        f"a new interpreter importing Dagster {machine['import_dagster_s']}s (best of 3 each)"
    )
