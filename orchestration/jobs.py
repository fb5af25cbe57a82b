"""Jobs: the full build materializes every asset the code location can run."""

from __future__ import annotations

import dagster as dg

BUILD_JOB_NAME = "build_warehouse"

build_warehouse = dg.define_asset_job(
    BUILD_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load every shipped source into raw, then dbt build staging, intermediate and marts with tests.",
)
