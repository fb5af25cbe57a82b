"""Dagster metadata for loaded tables: row count, column schema, a preview and the files behind them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pandas as pd

from orchestration.ingest.loader import LoadedFile
from orchestration.ingest.raw_schema import RAW_TABLES
from orchestration.settings import PROJECT_ROOT

PREVIEW_ROWS = 5


def column_schema(table: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name, kind.split()[0], constraints=dg.TableColumnConstraints(nullable="not null" not in kind)
            )
            for name, kind in RAW_TABLES[table].items()
        ]
    )


def _preview(frame: pd.DataFrame, table: str) -> dg.MetadataValue:
    columns = list(RAW_TABLES[table])[:8]
    head = frame[columns].head(PREVIEW_ROWS)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(str(v).replace("|", "/")[:60] for v in row) + " |" for row in head.itertuples(index=False)
    ]
    return dg.MetadataValue.md("\n".join(lines))


def _relative(file: LoadedFile) -> str:
    try:
        return str(file.path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(file.path)


def table_metadata(table: str, frame: pd.DataFrame, files: Sequence[LoadedFile], **extra: Any) -> dict[str, Any]:
    files_md = "\n".join(f"- `{_relative(f)}` sha256 `{f.sha256[:16]}…` ({f.row_count} rows)" for f in files)
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": column_schema(table),
        "dagster/table_name": f"raw.{table}",
        "source_files": dg.MetadataValue.md(files_md),
        "preview": _preview(frame, table),
    }
    if len(files) == 1:
        metadata["file_sha256"] = files[0].sha256
    metadata.update(extra)
    return metadata
