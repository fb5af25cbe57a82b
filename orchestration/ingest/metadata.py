"""Dagster metadata for raw tables: their column schema, from the one declaration in raw_schema.py."""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.raw_schema import RAW_TABLES


def column_schema(table: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name, kind.split()[0], constraints=dg.TableColumnConstraints(nullable="not null" not in kind)
            )
            for name, kind in RAW_TABLES[table].items()
        ]
    )
