"""All dbt models, seeds and tests as one Dagster multi-asset; dbt tests load as asset checks."""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration.locks import explained_lock_errors
from orchestration.resources import DUCKDB_WRITER_POOL
from orchestration.transform.project import dbt_project
from orchestration.transform.translator import translator


def _row_counts(database: str, relations: set[str]) -> dict[str, int]:
    """Count rows of the built relations in one read-only connection, after dbt has released the file."""
    with explained_lock_errors(database), duckdb.connect(database, read_only=True) as conn:
        return {name: conn.execute(f"select count(*) from {name}").fetchone()[0] for name in sorted(relations)}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=DUCKDB_WRITER_POOL,
)
def warehouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource
) -> Iterator[Any]:
    """`dbt build` of the selected models: runs them and their tests in dependency order.

    Row counts are attached once dbt has finished: dagster-dbt's own `fetch_row_counts` queries while dbt
    still holds DuckDB's single write lock, and doubled the step's time here.
    """
    events = list(dbt.cli(["build"], context=context).stream())
    relations = {
        ".".join(context.asset_key_for_output(event.output_name).path)
        for event in events
        if isinstance(event, dg.Output)
    }
    counts = _row_counts(duckdb.database, relations) if relations else {}
    for event in events:
        if isinstance(event, dg.Output):
            relation = ".".join(context.asset_key_for_output(event.output_name).path)
            yield event.with_metadata({**event.metadata, "dagster/row_count": dg.MetadataValue.int(counts[relation])})
        else:
            yield event
