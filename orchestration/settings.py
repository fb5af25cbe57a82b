"""Where the warehouse reads and writes: one place, driven by environment variables.

`HT_DATA_DIR` moves everything a build writes (DuckDB file, Dagster storage, dbt artifacts, logs);
`HT_DUCKDB_PATH` names the DuckDB file for both Dagster and dbt (dbt's profiles.yml reads it too).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = PROJECT_ROOT / "sources"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

DATA_DIR_ENV = "HT_DATA_DIR"
DUCKDB_PATH_ENV = "HT_DUCKDB_PATH"


def data_dir() -> Path:
    """The git-ignored directory that receives everything a build writes."""
    return Path(os.environ.get(DATA_DIR_ENV, PROJECT_ROOT / "data")).resolve()


def duckdb_path() -> Path:
    """The warehouse's DuckDB file (default: `<data dir>/warehouse.duckdb`)."""
    return Path(os.environ.get(DUCKDB_PATH_ENV, data_dir() / "warehouse.duckdb")).resolve()


def dbt_target_dir() -> Path:
    return data_dir() / "dbt" / "target"


def apply_environment() -> None:
    """Export the settings so that dbt subprocesses and Dagster's EnvVar see the same values.

    Values already set by the user win; only missing ones are filled in.
    """
    os.environ.setdefault(DATA_DIR_ENV, str(data_dir()))
    os.environ.setdefault(DUCKDB_PATH_ENV, str(duckdb_path()))
    os.environ.setdefault("DBT_LOG_PATH", str(data_dir() / "dbt" / "logs"))
    os.environ.setdefault("DAGSTER_HOME", str(data_dir() / "dagster_home"))
    # dbt phones home with anonymous usage stats; there is no network here and none is wanted.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
