"""Jobs: one ingest job per source kind (partitioned by file), and the dbt transform over everything."""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.assets import landed_key
from orchestration.ingest.kinds import SOURCE_KIND_LIST, SourceKind
from orchestration.publish.assets import PUBLISH_GROUP
from orchestration.transform.translator import DBT_GROUPS

TRANSFORM_JOB_NAME = "transform_warehouse"


def ingest_job_name(kind: SourceKind) -> str:
    return f"ingest_{kind.name}"


INGEST_JOBS = {
    kind.name: dg.define_asset_job(
        ingest_job_name(kind),
        selection=dg.AssetSelection.assets(landed_key(kind)).downstream(depth=1, include_self=True)
        - dg.AssetSelection.groups(*DBT_GROUPS, PUBLISH_GROUP),
        description=f"Land, validate and load one {kind.name} file (a partition).",
    )
    for kind in SOURCE_KIND_LIST
}

transform_warehouse = dg.define_asset_job(
    TRANSFORM_JOB_NAME,
    selection=dg.AssetSelection.groups(*DBT_GROUPS, PUBLISH_GROUP),
    description="dbt build of every model with every dbt test, from the raw tables; then publish the snapshot "
    "for BI tools (only if every blocking check passed) and draw the charts.",
)
