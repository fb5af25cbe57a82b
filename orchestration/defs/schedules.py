"""Schedules: a nightly full rebuild of every dbt model, so marts never drift from the raw tables."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.batch_run import selected_keys
from orchestration.defs.jobs import BATCH_TAG, process_batch


@dg.schedule(
    name="nightly_full_refresh",
    job=process_batch,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="dbt build of every model and test at 03:00 UTC, in a candidate promoted only if all pass.",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(
        asset_selection=selected_keys(context.repository_def.asset_graph, [], full=True),
        tags={BATCH_TAG: "nightly"},
    )
