"""Ingest assets: load the shipped source files into DuckDB's `raw` schema, one asset per raw table."""

from collections.abc import Iterator

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.files import sha256_of
from orchestration.ingest.hotline import HOTLINE_TABLES, read_hotline_table, read_provenance
from orchestration.ingest.loader import LoadedFile, replace_raw_tables
from orchestration.ingest.metadata import table_metadata
from orchestration.ingest.report_release import parse_release_file
from orchestration.ingest.source_files import hotline_files, release_files, source_file_key
from orchestration.resources import DUCKDB_WRITER_POOL

OWNERS = ["team:data-engineering"]


def _raw_spec(table: str, description: str, deps: list[dg.AssetKey]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=["raw", table],
        description=description,
        deps=deps,
        group_name="ingest",
        kinds={"duckdb", "pandas"},
        owners=OWNERS,
        tags={"layer": "raw"},
    )


@dg.multi_asset(
    specs=[
        _raw_spec(
            "report_releases",
            "One row per report release: publisher, title, dates, period, document URL.",
            [source_file_key(p) for p in release_files()],
        ),
        _raw_spec(
            "report_figures",
            "One row per figure of a report release, with its provenance.",
            [source_file_key(p) for p in release_files()],
        ),
    ],
    pool=DUCKDB_WRITER_POOL,
)
def report_releases(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    """Parse every report release file and swap both raw tables in one transaction."""
    parsed = [parse_release_file(path) for path in release_files()]
    seen: dict[str, str] = {}
    for item in parsed:
        release_id, name = item.release["release_id"], item.release["source_file"]
        if release_id in seen:
            raise SourceFileError(
                name,
                "release.release_id",
                f"release_id {release_id!r} is also used by {seen[release_id]}",
                "one file per release_id",
            )
        seen[release_id] = name
    releases = pd.DataFrame([item.release for item in parsed])
    figures = pd.concat([item.figures for item in parsed], ignore_index=True)
    files = [
        LoadedFile(p, item.release["file_sha256"], len(item.figures))
        for p, item in zip(release_files(), parsed, strict=True)
    ]
    with duckdb.get_connection() as conn:
        replace_raw_tables(conn, {"report_releases": releases, "report_figures": figures}, files, context.run.run_id)
    context.log.info(f"Loaded {len(releases)} releases with {len(figures)} figures")
    yield dg.MaterializeResult(
        asset_key=["raw", "report_releases"], metadata=table_metadata("report_releases", releases, files)
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "report_figures"],
        metadata=table_metadata(
            "report_figures", figures, files, source_urls=dg.MetadataValue.int(figures["source_url"].nunique())
        ),
    )


@dg.multi_asset(
    specs=[
        *[
            _raw_spec(
                t.raw_table, f"The hotline file {t.file_name} as published, one row per line.", [source_file_key(p)]
            )
            for t, p in zip(HOTLINE_TABLES, hotline_files(), strict=True)
        ],
        _raw_spec(
            "source_datasets",
            "The provenance record shipped beside each hotline data file.",
            [source_file_key(p) for p in hotline_files()],
        ),
    ],
    pool=DUCKDB_WRITER_POOL,
)
def hotline_statistics(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    """Read each hotline file with its provenance record and swap the hotline raw tables in one transaction."""
    frames: dict[str, pd.DataFrame] = {}
    provenance: list[dict[str, object]] = []
    files: list[LoadedFile] = []
    for table, path in zip(HOTLINE_TABLES, hotline_files(), strict=True):
        frame = read_hotline_table(path, table)
        frames[table.raw_table] = frame
        sha = sha256_of(path)
        files.append(LoadedFile(path, sha, len(frame)))
        provenance.append(
            {**read_provenance(path), "raw_table": table.raw_table, "source_file": path.name, "file_sha256": sha}
        )
    frames["source_datasets"] = pd.DataFrame(provenance)
    with duckdb.get_connection() as conn:
        replace_raw_tables(conn, frames, files, context.run.run_id)
    for table, loaded, record in zip(HOTLINE_TABLES, files, provenance, strict=True):
        yield dg.MaterializeResult(
            asset_key=["raw", table.raw_table],
            metadata=table_metadata(
                table.raw_table,
                frames[table.raw_table],
                [loaded],
                source_url=dg.MetadataValue.text(str(record["source_url"] or "per figure")),
                publisher=str(record["publisher"]),
            ),
        )
    yield dg.MaterializeResult(
        asset_key=["raw", "source_datasets"],
        metadata=table_metadata("source_datasets", frames["source_datasets"], files),
    )
