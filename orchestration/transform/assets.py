"""All dbt models, seeds and tests as one Dagster multi-asset; dbt tests load as asset checks."""

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

# dagster-dbt's column lineage builder (sqlglot over the compiled SQL). Its public path, fetch_column_metadata(),
# queries DuckDB through dbt's adapter while the dbt process still holds the file's single write lock.
from dagster_dbt.core.dbt_cli_event import EventHistoryMetadata, _build_column_lineage_metadata
from dagster_duckdb import DuckDBResource

from orchestration.locks import explained_lock_errors
from orchestration.resources import DUCKDB_WRITER_POOL
from orchestration.transform.project import dbt_project
from orchestration.transform.translator import translator

logger = logging.getLogger(__name__)
Columns = dict[str, dict[str, str]]


def _relation(props: Mapping[str, Any]) -> tuple[str, str]:
    """(schema, table) of a model, seed or source in DuckDB."""
    return props["schema"], props.get("alias") or props.get("identifier") or props["name"]


def _read_only(database: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection (a module function: inside the asset, `duckdb` names the resource)."""
    return duckdb.connect(database, read_only=True)


def _warehouse_columns(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Columns]:
    columns: dict[tuple[str, str], Columns] = {}
    for schema, table, column, data_type in conn.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
    ).fetchall():
        columns.setdefault((schema, table), {})[column] = {"data_type": data_type}
    return columns


def _table_metadata(
    invocation: DbtCliInvocation, unique_id: str, columns: dict[tuple[str, str], Columns], row_count: int
) -> dict[str, Any]:
    """Row count, column schema and column-level lineage of one built model, for the UI."""
    manifest = invocation.manifest
    props = manifest["nodes"][unique_id]
    own = columns.get(_relation(props), {})
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(row_count),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, column["data_type"]) for name, column in own.items()]
        ),
    }
    if props["resource_type"] != "model":
        return metadata
    # Models written with local_ref (the bi views) name their parents without the database: so must the lineage.
    local = "local_ref(" in props.get("raw_code", "")
    parents: dict[str, Columns] = {}
    for parent_id in props["depends_on"]["nodes"]:
        is_source = parent_id.startswith("source.")
        parent = dict((manifest["sources"] if is_source else manifest["nodes"])[parent_id])
        if local and not is_source:
            parent["relation_name"] = parent["relation_name"].split(".", 1)[1]
            manifest = {**manifest, "nodes": {**manifest["nodes"], parent_id: parent}}
        parents[parent["relation_name"]] = columns.get(_relation(parent), {})
    if local:
        props = {**props, "relation_name": props["relation_name"].split(".", 1)[1]}
    try:
        metadata |= _build_column_lineage_metadata(
            event_history_metadata=EventHistoryMetadata(columns=own, parents=parents),
            dbt_resource_props=props,
            manifest=manifest,
            dagster_dbt_translator=translator,
            target_path=invocation.target_path,
            project=dbt_project,
        )
    except Exception as error:  # lineage is a nicety: never fail a build for it
        # sqlglot cannot trace some SQL (e.g. DuckDB's `union all by name`): the model has no column lineage.
        logger.info("No column lineage for %s: %s", unique_id, str(error).splitlines()[0][:200])
    return metadata


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

    Row counts, column schemas and column lineage are attached once dbt has finished and released DuckDB's
    single write lock (dagster-dbt's own fetchers query while dbt still holds it).
    """
    invocation = dbt.cli(["build"], context=context)
    events = list(invocation.stream())
    outputs = [event for event in events if isinstance(event, dg.Output)]
    if outputs:
        with explained_lock_errors(duckdb.database), _read_only(duckdb.database) as conn:
            columns = _warehouse_columns(conn)
            counts = {
                event.output_name: conn.execute(
                    "select count(*) from {}.{}".format(*context.asset_key_for_output(event.output_name).path)
                ).fetchone()[0]
                for event in outputs
            }
    for event in events:
        if isinstance(event, dg.Output):
            unique_id = str(event.metadata["unique_id"].value)
            metadata = _table_metadata(invocation, unique_id, columns, counts[event.output_name])
            yield event.with_metadata({**event.metadata, **metadata})
        else:
            yield event
