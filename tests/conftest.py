"""Shared fixtures: every test session builds into its own temporary data directory.

The settings are read when `orchestration` is first imported, so the environment is set here, before that.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

_SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="ht-warehouse-tests-"))
os.environ["HT_DATA_DIR"] = str(_SESSION_DATA_DIR)
os.environ["HT_DUCKDB_PATH"] = str(_SESSION_DATA_DIR / "warehouse.duckdb")
os.environ["DAGSTER_HOME"] = str(_SESSION_DATA_DIR / "dagster_home")
for _name in ("DBT_TARGET_PATH", "DBT_LOG_PATH"):
    os.environ.pop(_name, None)


@dataclass(frozen=True)
class BuiltWarehouse:
    database: Path
    result: object  # dagster.ExecuteInProcessResult

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def built_warehouse() -> Iterator[BuiltWarehouse]:
    """A full in-process materialization of the code location into a temporary DuckDB file."""
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.jobs import BUILD_JOB_NAME

    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(BUILD_JOB_NAME).execute_in_process(instance=instance, raise_on_error=False)
        yield BuiltWarehouse(database=Path(os.environ["HT_DUCKDB_PATH"]), result=result)
