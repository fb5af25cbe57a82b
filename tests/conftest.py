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
os.environ["HT_LANDING_DIR"] = str(_SESSION_DATA_DIR / "landing")
for _name in ("DBT_TARGET_PATH", "DBT_LOG_PATH"):
    os.environ.pop(_name, None)


@dataclass(frozen=True)
class BuiltWarehouse:
    database: Path
    report: object  # orchestration.build.BuildReport
    instance: object  # dagster.DagsterInstance

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    @property
    def snapshot(self) -> Path:
        """The published snapshot BI tools open."""
        return self.database.parent / "published" / "current" / "warehouse.duckdb"

    def query_snapshot(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.snapshot), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def built_warehouse() -> Iterator[BuiltWarehouse]:
    """A full in-process materialization of the code location into a temporary DuckDB file."""
    import dagster as dg

    from orchestration.build import build_all
    from orchestration.definitions import defs
    from orchestration.ingest.landing import LandingZone
    from orchestration.settings import SOURCES_DIR, apply_environment

    landing = LandingZone(path=os.environ["HT_LANDING_DIR"], shipped_path=str(SOURCES_DIR))
    # A real instance in the session's DAGSTER_HOME (not an ephemeral one): the webserver test reads its runs.
    apply_environment()
    with dg.DagsterInstance.get() as instance:
        report = build_all(defs, instance, landing)
        yield BuiltWarehouse(database=Path(os.environ["HT_DUCKDB_PATH"]), report=report, instance=instance)
