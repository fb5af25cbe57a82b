"""Resources shared by the code location: one DuckDB file, named by one setting, for Dagster and dbt."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.ingest.landing import LandingZone
from orchestration.settings import DUCKDB_PATH_ENV, LANDING_DIR_ENV, SOURCES_DIR
from orchestration.transform.project import dbt_project

# DuckDB allows one writing process per file: every asset that writes joins this pool (limit 1).
DUCKDB_WRITER_POOL = "duckdb_writer"


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        # Resolved when a run starts, so tests and the CLI can point a run at another file.
        "duckdb": DuckDBResource(database=dg.EnvVar(DUCKDB_PATH_ENV)),
        "dbt": DbtCliResource(project_dir=dbt_project),
        "landing": LandingZone(path=dg.EnvVar(LANDING_DIR_ENV), shipped_path=str(SOURCES_DIR)),
    }
