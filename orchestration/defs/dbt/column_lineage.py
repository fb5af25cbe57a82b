"""Column-level lineage of one dbt model, traced from its compiled SQL with sqlglot's public API.

This replaces dagster-dbt's private `_build_column_lineage_metadata` (same rules: output columns are the model's
columns in the warehouse, each traced to the leaf columns of its direct parents; a column sqlglot does not see by
name, e.g. `select *` of an unknown table, gets no dependencies) so that no private library code is imported.
Parents may be named with or without the database (`"warehouse"."marts"."x"` or `"marts"."x"`): the bi views are
written with `local_ref`, which leaves the database out of the compiled SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import dagster as dg
from sqlglot import MappingSchema, exp, parse_one, to_table
from sqlglot.lineage import lineage
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

logger = logging.getLogger(__name__)


def _parts(table: exp.Table, dialect: str) -> tuple[str, ...]:
    """(catalog, db, name) of a table as far as it is named, normalized the way the dialect compares names."""
    return tuple(part.name for part in normalize_identifiers(table.copy(), dialect=dialect).parts)


def column_lineage(
    compiled_sql: str,
    columns: list[str],
    parents: Mapping[str, Mapping[str, str]],
    asset_key_for_relation: Callable[[str], dg.AssetKey],
    dialect: str = "duckdb",
) -> dg.TableColumnLineage | None:
    """Trace each of the model's `columns` to the (parent relation, column) pairs it is computed from.

    `parents` maps each direct parent's relation name (as dbt writes it: `"db"."schema"."table"`, the database
    optional) to its columns and their types; `asset_key_for_relation` receives those same relation names.
    Returns None when sqlglot cannot trace the SQL (e.g. a DuckDB `union all by name` of differing branches):
    lineage is a nicety and must never fail a build.
    """
    try:
        return _trace(compiled_sql, columns, parents, asset_key_for_relation, dialect)
    except Exception as error:
        logger.info("No column lineage: %s", str(error).splitlines()[0][:200] if str(error) else repr(error))
        return None


def _trace(
    compiled_sql: str,
    columns: list[str],
    parents: Mapping[str, Mapping[str, str]],
    asset_key_for_relation: Callable[[str], dg.AssetKey],
    dialect: str,
) -> dg.TableColumnLineage:
    # A MappingSchema wants one nesting level: when names with and without the database are mixed, the schema
    # leaves the database out (sqlglot resolves both `db.x` and `cat.db.x` against `db.x`).
    tables = {relation: to_table(relation, dialect=dialect) for relation in parents}
    if len({len(table.parts) for table in tables.values()}) > 1:
        for table in tables.values():
            table.set("catalog", None)
    schema = MappingSchema(dialect=dialect)
    for relation, table in tables.items():
        schema.add_table(table, dict(parents[relation]), dialect=dialect)
    parts_by_relation = {relation: _parts(table, dialect) for relation, table in tables.items()}

    def parent_of(table: exp.Table) -> str | None:
        """The parent a table of the SQL names: same parts, one name's parts ending the other's, if unambiguous."""
        parts = _parts(table, dialect)
        found = [r for r, p in parts_by_relation.items() if p[-len(parts) :] == parts or parts[-len(p) :] == p]
        return found[0] if len(found) == 1 else None

    query = parse_one(compiled_sql, dialect=dialect)
    query = qualify(query, dialect=dialect, schema=schema, validate_qualify_columns=False, identify=False)
    for union in query.find_all(exp.SetOperation):
        # sqlglot matches the branches of a set operation by position: right for `union by name` only when both
        # branches (stars expanded) list the same columns in the same order.
        names = union.left.named_selects
        if union.args.get("by_name") and ("*" in names or names != union.right.named_selects):
            raise ValueError("`union by name` whose branches list their columns differently")
    nodes = lineage(None, query, schema, dialect=dialect, scope=build_scope(query), copy=False)

    wanted = {column.lower() for column in columns}
    # Columns the warehouse has but the SQL does not name (an unexpanded `*`): known, without dependencies.
    deps_by_column: dict[str, list[dg.TableColumnDep]] = {c: [] for c in wanted - {n.lower() for n in nodes}}
    for name, node in nodes.items():
        if name.lower() not in wanted:
            continue
        deps: set[dg.TableColumnDep] = set()
        for leaf in node.walk():
            table = None if leaf.downstream else leaf.expression.find(exp.Table)
            if table is None:
                continue
            relation = parent_of(table)
            if relation is not None:
                column = exp.to_column(leaf.name).name.lower()
                deps.add(dg.TableColumnDep(asset_key=asset_key_for_relation(relation), column_name=column))
        deps_by_column[name.lower()] = sorted(deps, key=lambda dep: (dep.asset_key.to_string(), dep.column_name))
    return dg.TableColumnLineage(deps_by_column=deps_by_column)
