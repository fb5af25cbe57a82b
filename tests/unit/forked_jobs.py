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


# The code location the fork server loads when `preload_code_location` is on (orchestration/deploy/code_preload.py).
CODE_LOCATION = "orchestration.definitions"


@dg.op
def check_code_location_loaded() -> None:
    if CODE_LOCATION not in sys.modules:
        raise RuntimeError(f"{CODE_LOCATION} is not imported: the fork server did not load the code location")


@dg.op
def check_code_location_forgotten() -> None:
    if CODE_LOCATION in sys.modules:
        raise RuntimeError(f"{CODE_LOCATION} is still imported although its files changed since the fork server")


@dg.job(executor_def=dg.in_process_executor)
def code_location_loaded_job() -> None:
    check_code_location_loaded()


@dg.job(executor_def=dg.in_process_executor)
def code_location_forgotten_job() -> None:
    check_code_location_forgotten()
