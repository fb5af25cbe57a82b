"""Which warehouse the settings name: the local DuckDB file (the embedded default) or DuckLake."""

from __future__ import annotations

from pathlib import Path

from orchestration.engine.lake import LakeWarehouse
from orchestration.engine.warehouse import Warehouse
from orchestration.settings import duckdb_path, lake_catalog, lake_data_path, lake_s3_options


def configured_warehouse(path: Path | None = None) -> Warehouse:
    """The warehouse of this process's settings; `path` overrides the local file (or the lake's working copy)."""
    path = path or duckdb_path()
    catalog = lake_catalog()
    if catalog is None:
        return Warehouse(path)
    return LakeWarehouse(path, catalog, lake_data_path(), lake_s3_options())
