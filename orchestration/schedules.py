"""Schedules: a nightly full refresh of the dbt models, so marts never drift from the raw tables."""

from __future__ import annotations

import dagster as dg

from orchestration.jobs import transform_warehouse

nightly_refresh = dg.ScheduleDefinition(
    name="nightly_full_refresh",
    job=transform_warehouse,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="dbt build of every model and test at 03:00 UTC.",
)
