"""Resources shared by the code location: one DuckDB file, named by one setting, for Dagster and dbt; the
landing folders; the warehouse's single writer (defs/warehouse_writer.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.defs.dbt.runner import InProcessDbt
from orchestration.defs.warehouse_writer import WarehouseWriter
from orchestration.engine.versions import LandedFile, list_files
from orchestration.settings import DBT_PROJECT_DIR, DUCKDB_PATH_ENV, LANDING_DIR_ENV, SOURCES_DIR, dbt_target_dir


class LandingZone(dg.ConfigurableResource):
    """A folder of landed files (plus, optionally, the project's shipped `sources/` as a read-only root)."""

    path: str
    shipped_path: str | None = None
    # How long a landing sensor tick with nothing to take waits for a file to land (or a batch run to finish)
    # before it returns: the daemon's 5 s between evaluations, so that the next tick follows at once (the daemon
    # starts it right away when a tick took 5 s or more) and no moment is left without a tick.
    wait_seconds: float = 5.0

    def roots(self, include_shipped: bool = True) -> list[Path]:
        roots = [Path(self.path)]
        if self.shipped_path and include_shipped:
            roots.append(Path(self.shipped_path))
        return roots

    def list_files(self, kind: str, include_shipped: bool = True) -> Iterator[LandedFile]:
        """Every file of a kind, in landing (and shipped) roots, cheaply: a stat per file, no reads."""
        return list_files(self.roots(include_shipped), kind)


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        # Resolved when a run starts, so tests and the CLI can point a run at another file.
        "duckdb": DuckDBResource(database=dg.EnvVar(DUCKDB_PATH_ENV), connection_config={}),
        "warehouse": WarehouseWriter(database=dg.EnvVar(DUCKDB_PATH_ENV)),
        "dbt": InProcessDbt(project_dir=str(DBT_PROJECT_DIR), target_path=str(dbt_target_dir())),
        "landing": LandingZone(path=dg.EnvVar(LANDING_DIR_ENV), shipped_path=str(SOURCES_DIR)),
    }
