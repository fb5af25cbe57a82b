"""The Dagster code location: gathers assets, checks, jobs, sensors, schedules and resources. No logic here."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.dbt.assets import warehouse_dbt_models
from orchestration.defs.jobs import process_batch
from orchestration.defs.landed import LANDED_CHECKS, LANDED_SPECS, ingest_batch
from orchestration.defs.progress import progress_logger
from orchestration.defs.publish import PUBLISH_ASSETS
from orchestration.defs.resources import build_resources
from orchestration.defs.schedules import nightly_refresh
from orchestration.defs.sensors import landing_sensor

defs = dg.Definitions(
    assets=[*LANDED_SPECS, ingest_batch, warehouse_dbt_models, *PUBLISH_ASSETS],
    asset_checks=LANDED_CHECKS,
    jobs=[process_batch],
    sensors=[landing_sensor],
    schedules=[nightly_refresh],
    resources=build_resources(),
    loggers={"console": progress_logger},
    # One process runs a run's steps in order, sharing the run's writer lock and candidate between steps.
    executor=dg.in_process_executor,
)
