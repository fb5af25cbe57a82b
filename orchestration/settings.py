"""Where the warehouse reads and writes: one place, driven by environment variables.

`HT_DATA_DIR` moves everything a build writes (DuckDB file, Dagster storage, dbt artifacts, logs);
`HT_DUCKDB_PATH` names the DuckDB file for both Dagster and dbt (dbt's profiles.yml reads it too);
`HT_DAGSTER_POSTGRES_URL` moves Dagster's runs, event log and schedules from SQLite into PostgreSQL;
`HT_LAKE_CATALOG` publishes the warehouse into DuckLake (catalog in PostgreSQL, data files in `HT_LAKE_DATA_PATH`).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = PROJECT_ROOT / "sources"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
INSTANCE_TEMPLATE = Path(__file__).resolve().parent / "defs" / "instance" / "dagster.yaml"
# Appended to the template when HT_DAGSTER_POSTGRES_URL is set: runs, event log and schedules in PostgreSQL.
POSTGRES_STORAGE_TEMPLATE = INSTANCE_TEMPLATE.with_name("postgres_storage.yaml")
# Appended unless HT_RUN_LAUNCHER=default: run workers forked from a warm fork server.
FORK_SERVER_LAUNCHER_TEMPLATE = INSTANCE_TEMPLATE.with_name("fork_server_launcher.yaml")

DATA_DIR_ENV = "HT_DATA_DIR"
DUCKDB_PATH_ENV = "HT_DUCKDB_PATH"


def data_dir() -> Path:
    """The git-ignored directory that receives everything a build writes."""
    return Path(os.environ.get(DATA_DIR_ENV, PROJECT_ROOT / "data")).resolve()


def duckdb_path() -> Path:
    """The warehouse's DuckDB file (default: `<data dir>/warehouse.duckdb`); on the lake profile, this host's
    working copy of the published lake state (default: `<data dir>/lake_working_copy.duckdb`)."""
    default = "lake_working_copy.duckdb" if lake_catalog() else "warehouse.duckdb"
    return Path(os.environ.get(DUCKDB_PATH_ENV, data_dir() / default)).resolve()


def dbt_target_dir() -> Path:
    return data_dir() / "dbt" / "target"


LANDING_DIR_ENV = "HT_LANDING_DIR"


def landing_dir() -> Path:
    """Where new or corrected source files are dropped, one subfolder per source kind."""
    return Path(os.environ.get(LANDING_DIR_ENV, data_dir() / "landing")).resolve()


def staged_dir() -> Path:
    """Parsed files waiting for (or having passed) validation, as Parquet, by partition and content hash."""
    return data_dir() / "staged"


def archive_dir() -> Path:
    """Every accepted file, stored by content hash."""
    return data_dir() / "archive"


def quarantine_dir() -> Path:
    """Files that failed parsing or an error-level expectation, each with a report."""
    return data_dir() / "quarantine"


def validation_dir() -> Path:
    """Validation results (JSON) and human-readable reports (HTML) per validated file."""
    return data_dir() / "validation"


PUBLISH_DIR_ENV = "HT_PUBLISH_DIR"
PUBLISH_KEEP_ENV = "HT_PUBLISH_KEEP"
# Enough to roll back a few bad days; each snapshot is a full copy of the BI-facing tables.
DEFAULT_SNAPSHOTS_KEPT = 5


def publish_dir() -> Path:
    """Where BI tools read: `current/warehouse.duckdb` and `current/parquet/`, plus older snapshots."""
    return Path(os.environ.get(PUBLISH_DIR_ENV, data_dir() / "published")).resolve()


def snapshots_kept() -> int:
    return int(os.environ.get(PUBLISH_KEEP_ENV, DEFAULT_SNAPSHOTS_KEPT))


DAGSTER_POSTGRES_URL_ENV = "HT_DAGSTER_POSTGRES_URL"
# `external`: the deployment provides $DAGSTER_HOME/dagster.yaml (the Helm chart mounts its own, read-only, into
# every run pod) and the settings leave it alone; by default they keep it equal to the project's template.
DAGSTER_INSTANCE_ENV = "HT_DAGSTER_INSTANCE"


def dagster_postgres_url() -> str | None:
    """`postgresql://user@host:port/db` when Dagster's instance lives in PostgreSQL; None for embedded SQLite."""
    return os.environ.get(DAGSTER_POSTGRES_URL_ENV) or None


LAKE_CATALOG_ENV = "HT_LAKE_CATALOG"
LAKE_DATA_PATH_ENV = "HT_LAKE_DATA_PATH"
# Only for a data path on S3 (or an S3-compatible store): where it is and how to reach it. The key and secret
# come from the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, never from a file in the repo.
LAKE_S3_ENDPOINT_ENV = "HT_LAKE_S3_ENDPOINT"
LAKE_S3_REGION_ENV = "HT_LAKE_S3_REGION"
LAKE_S3_URL_STYLE_ENV = "HT_LAKE_S3_URL_STYLE"
LAKE_S3_USE_SSL_ENV = "HT_LAKE_S3_USE_SSL"


def lake_catalog() -> str | None:
    """The DuckLake catalog as a libpq string (`dbname=lake host=... port=... user=...`), or None: no lake.

    The password comes from libpq's own sources (`PGPASSWORD`, `~/.pgpass`), never from this string in a file.
    """
    return os.environ.get(LAKE_CATALOG_ENV) or None


def redacted(libpq: str) -> str:
    """A libpq string with any password replaced, for messages and logs."""
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", libpq, flags=re.IGNORECASE)


def lake_data_path() -> str | None:
    """Where DuckLake writes its Parquet files, when set: a directory or `s3://bucket/prefix/`. Unset, a lake that
    exists keeps the path its catalog records, and a new one is created in `default_lake_data_path()`."""
    path = os.environ.get(LAKE_DATA_PATH_ENV)
    if not path:
        return None
    if "://" not in path:
        path = str(Path(path).resolve())
    return path.rstrip("/") + "/"


def default_lake_data_path() -> str:
    """Where a new lake keeps its data files when HT_LAKE_DATA_PATH is unset: `<data dir>/lake/`."""
    return str(data_dir() / "lake") + "/"


def lake_s3_options() -> dict[str, str]:
    """DuckDB's S3 secret for the lake's data path: endpoint and style from the settings, keys from AWS_*."""
    options = {
        "KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", ""),
        "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        "REGION": os.environ.get(LAKE_S3_REGION_ENV, os.environ.get("AWS_REGION", "")),
        "ENDPOINT": os.environ.get(LAKE_S3_ENDPOINT_ENV, ""),
        "URL_STYLE": os.environ.get(LAKE_S3_URL_STYLE_ENV, ""),
        "USE_SSL": os.environ.get(LAKE_S3_USE_SSL_ENV, ""),
    }
    return {name: value for name, value in options.items() if value}


RUN_LAUNCHER_ENV = "HT_RUN_LAUNCHER"
RUN_LAUNCHERS = ("fork-server", "default")


def run_launcher() -> str:
    """`fork-server` (run workers forked from a warm process, the default) or `default` (Dagster's own launcher)."""
    launcher = os.environ.get(RUN_LAUNCHER_ENV) or RUN_LAUNCHERS[0]
    if launcher not in RUN_LAUNCHERS:
        raise ValueError(f"{RUN_LAUNCHER_ENV}={launcher!r}: expected one of {', '.join(RUN_LAUNCHERS)}")
    return launcher


def instance_config() -> bytes:
    """The instance's dagster.yaml: the template, plus the fork-server launcher unless Dagster's own is asked for,
    plus PostgreSQL storage when its URL is set.

    The file names the variable, never its value, so a password in the URL is not written to disk.
    """
    config = INSTANCE_TEMPLATE.read_bytes()
    if run_launcher() == "fork-server":
        config += b"\n" + FORK_SERVER_LAUNCHER_TEMPLATE.read_bytes()
    if dagster_postgres_url():
        config += b"\n" + POSTGRES_STORAGE_TEMPLATE.read_bytes()
    return config


def apply_environment() -> None:
    """Export the settings so that dbt subprocesses and Dagster's EnvVar see the same values.

    Values already set by the user win; only missing ones are filled in.
    """
    os.environ.setdefault(DATA_DIR_ENV, str(data_dir()))
    os.environ.setdefault(DUCKDB_PATH_ENV, str(duckdb_path()))
    os.environ.setdefault(LANDING_DIR_ENV, str(landing_dir()))
    os.environ.setdefault(PUBLISH_DIR_ENV, str(publish_dir()))
    os.environ.setdefault("DBT_LOG_PATH", str(data_dir() / "dbt" / "logs"))
    # dbt.log at dbt's default level, debug, gets every query of every node: 0.3-0.5 s of each event's dbt build.
    # At info it holds what the console shows (DBT_LOG_LEVEL_FILE=debug brings the queries back).
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    # dbt writes its manifest, partial-parse state and compiled SQL there: in the data dir, not in the project.
    os.environ.setdefault("DBT_TARGET_PATH", str(dbt_target_dir()))
    os.environ.setdefault("DAGSTER_HOME", str(data_dir() / "dagster_home"))
    # dbt phones home with anonymous usage stats; there is no network here and none is wanted.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # dagster-dbt's manifest preparer runs `dbt parse` from PATH: use the dbt installed beside this interpreter,
    # even when the virtual environment is not activated (`.venv/bin/python -m ...`).
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_mode = os.environ.get(DAGSTER_INSTANCE_ENV, "project")
    if instance_mode not in ("project", "external"):
        raise ValueError(
            f"{DAGSTER_INSTANCE_ENV}={instance_mode!r}: expected 'project' (keep $DAGSTER_HOME/dagster.yaml equal to "
            "the project's template) or 'external' (the deployment provides it)"
        )
    if instance_mode == "external":
        return
    config_file, config = dagster_home / "dagster.yaml", instance_config()
    if not config_file.exists() or config_file.read_bytes() != config:
        replace_file(config_file, config)


def replace_file(path: Path, content: bytes) -> None:
    """Write a file whole or not at all: readers never see half of it, and processes writing it at once (services
    sharing one DAGSTER_HOME, each PID 1 of its container) do not trip over each other's temporary file."""
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
