"""Jobs for tests/unit/test_run_launcher.py, in a module of their own: a forked run worker imports them by name."""

from __future__ import annotations

import sys
import time

import dagster as dg

# The test's launcher preloads this module, which nothing else imports: a worker that has it is a fork of the
# fork server.
PRELOADED = "tabnanny"


@dg.op
def check_preloaded() -> None:
    if PRELOADED not in sys.modules:
        raise RuntimeError(f"{PRELOADED} is not imported: this worker was not forked from the fork server")


@dg.op
def sleep_long() -> None:
    time.sleep(120)


@dg.job(executor_def=dg.in_process_executor)
def preloaded_job() -> None:
    check_preloaded()


@dg.job(executor_def=dg.in_process_executor)
def sleeping_job() -> None:
    sleep_long()
