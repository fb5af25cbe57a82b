"""The Dagster code location: gathers assets, checks, jobs, sensors, schedules and resources. No logic here."""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.assets import LANDED_ASSETS, LOAD_LOG, RAW_ASSETS
from orchestration.jobs import INGEST_JOBS, transform_warehouse
from orchestration.progress import progress_logger
from orchestration.publish.assets import PUBLISH_ASSETS
from orchestration.resources import build_resources
from orchestration.schedules import nightly_refresh
from orchestration.sensors import LANDING_SENSORS, automation_sensor
from orchestration.transform.assets import warehouse_dbt_models

defs = dg.Definitions(
    assets=[*LANDED_ASSETS, *RAW_ASSETS, LOAD_LOG, warehouse_dbt_models, *PUBLISH_ASSETS],
    jobs=[*INGEST_JOBS.values(), transform_warehouse],
    sensors=[*LANDING_SENSORS, automation_sensor],
    schedules=[nightly_refresh],
    resources=build_resources(),
    loggers={"console": progress_logger},
    # One process runs a run's steps in order: the DuckDB file never sees two writers from one run.
    executor=dg.in_process_executor,
)
