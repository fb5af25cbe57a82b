"""The Dagster code location: gathers assets, checks and resources. No logic lives here."""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.assets import hotline_statistics, report_releases
from orchestration.ingest.source_files import source_file_specs
from orchestration.jobs import build_warehouse
from orchestration.progress import progress_logger
from orchestration.resources import build_resources
from orchestration.transform.assets import warehouse_dbt_models

defs = dg.Definitions(
    assets=[*source_file_specs(), report_releases, hotline_statistics, warehouse_dbt_models],
    jobs=[build_warehouse],
    resources=build_resources(),
    loggers={"console": progress_logger},
    # One process runs a run's steps in order: the DuckDB file never sees two writers from one run.
    executor=dg.in_process_executor,
)
