"""The one job that writes the warehouse: a batch of file versions, landed, loaded, tested, promoted, published.

Which assets a batch run materializes is decided when it is launched (`batch_selection`): the raw tables of the
kinds the batch touches, the dbt models downstream of them with their tests, and the publish assets. A full
build (first build, changed dbt project, nightly refresh) selects every dbt model instead.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from orchestration.defs.dbt.translator import DBT_GROUPS
from orchestration.defs.landed import LOAD_LOG_KEY, raw_key
from orchestration.defs.publish import PUBLISH_GROUP
from orchestration.parsers.kinds import SOURCE_KINDS

BATCH_JOB_NAME = "process_batch"
# Batch runs write the warehouse: the run queue starts one at a time (instance/dagster.yaml), and each holds
# the warehouse's writer lock while it runs.
WRITER_TAG = "ht/writes_warehouse"
BATCH_TAG = "ht/batch"

process_batch = dg.define_asset_job(
    BATCH_JOB_NAME,
    selection=dg.AssetSelection.groups("ingest", *DBT_GROUPS, PUBLISH_GROUP),
    tags={WRITER_TAG: "true"},
    description="Land, validate and load a batch of new file versions into a candidate copy of the warehouse, build "
    "the dbt models downstream of them with their tests there, promote the candidate if every blocking test "
    "passed (quarantining the files that fail), and publish the snapshot for BI tools.",
)


def batch_selection(kinds: Iterable[str], full: bool) -> dg.AssetSelection:
    """The assets a batch run materializes: raw tables of the given kinds, what is downstream, and publishing."""
    raw = [raw_key(SOURCE_KINDS[kind]) for kind in sorted(set(kinds))]
    publish = dg.AssetSelection.groups(PUBLISH_GROUP)
    models = dg.AssetSelection.groups(*DBT_GROUPS)
    if full:
        return (dg.AssetSelection.assets(*raw, LOAD_LOG_KEY) | models | publish) if raw else models | publish
    if not raw:
        return publish
    return dg.AssetSelection.assets(*raw, LOAD_LOG_KEY).downstream() | publish
