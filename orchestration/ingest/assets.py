"""Ingest assets, per source kind: `landed/<kind>` (parse, archive, validate) then `raw/<table>` (load).

A file version reaches the raw tables only if it parsed and passed every error-level expectation: the
expectations are blocking asset checks on `landed/<kind>`, so a failure stops the run before `raw/...`.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.kinds import SOURCE_KIND_LIST, SourceKind
from orchestration.ingest.landing import LandedFile, LandingZone, unsafe_name_problem
from orchestration.ingest.loader import FileVersion, append_file_version
from orchestration.ingest.metadata import column_schema
from orchestration.ingest.partitions import PARTITIONS
from orchestration.ingest.staging import StagedVersion
from orchestration.locks import explained_lock_errors
from orchestration.quality.checks import check_results, check_specs, parse_error_details, validate
from orchestration.quality.reports import write_reports
from orchestration.resources import DUCKDB_WRITER_POOL

OWNERS = ["team:data-engineering"]
LOAD_LOG_KEY = dg.AssetKey(["raw", "load_log"])
SHA_METADATA = "file_sha256"


class LandedFileConfig(dg.Config):
    """Which delivered file to take for the partition; empty means the newest one in the landing zone."""

    path: str = ""


def landed_key(kind: SourceKind) -> dg.AssetKey:
    return dg.AssetKey(["landed", kind.name])


def _source_urls(tables: dict[str, Any]) -> dg.MetadataValue:
    """The pages the file's figures were read on (from `source_url` columns), for the asset's metadata."""
    urls = sorted(
        {
            str(url)
            for frame in tables.values()
            for column in ("source_url", "dataset_source_url")
            if column in frame
            for url in frame[column].dropna().unique()
        }
    )
    listed = [f"- {url}" for url in urls[:10]] + ([f"- ... and {len(urls) - 10} more"] if len(urls) > 10 else [])
    return dg.MetadataValue.md("\n".join(listed) or "none")


def _locate(landing: LandingZone, kind: SourceKind, partition_key: str, path: str) -> LandedFile:
    if path:
        stat = Path(path).stat()
        return LandedFile(kind.name, Path(path), stat.st_size, stat.st_mtime)
    found = landing.find(kind.name, partition_key)
    if found is None:
        raise dg.Failure(f"No {kind.name} file named {partition_key}.* in {', '.join(map(str, landing.roots()))}")
    return found


def build_landed_asset(kind: SourceKind) -> dg.AssetsDefinition:
    key = landed_key(kind)

    @dg.asset(
        key=key,
        partitions_def=PARTITIONS[kind.name],
        check_specs=check_specs(kind.name, key),
        group_name="landing",
        kinds={"pandas", "great_expectations"},
        owners=OWNERS,
        description=f"{kind.description} Each partition is one file name; each delivered version is parsed, "
        "archived by sha256 and validated with great-expectations (blocking checks) before it may be loaded.",
        freshness_policy=dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=kind.max_days_between_files)),
    )
    def landed(context: dg.AssetExecutionContext, config: LandedFileConfig, landing: LandingZone):
        partition_key = context.partition_key
        file = _locate(landing, kind, partition_key, config.path)
        sha = file.sha256()
        staged = StagedVersion(kind.name, partition_key, sha)
        parse_error: dict[str, Any] | None = None
        tables = {}
        try:
            if problem := unsafe_name_problem(file.path.name):
                raise SourceFileError(file.path, None, problem, "a plain file name <key>.<extension>")
            tables = kind.parse(file.path)
        except SourceFileError as error:
            parse_error = parse_error_details(error)
            context.log.error(f"Refused {file.path}: {error}")
        outcomes = validate(kind.name, partition_key, tables) if parse_error is None else []
        failed = [o.name for o in outcomes if not o.success and o.severity == "error"]
        passed = parse_error is None and not failed
        json_report, html_report = write_reports(kind.name, partition_key, sha, str(file.path), outcomes, parse_error)
        if passed:
            staged.write_tables(tables)
            archived = landing.archive(file, sha)
            location = {"archived_as": dg.MetadataValue.path(str(archived))}
        else:
            folder = landing.quarantine(
                file, sha, {"parse_error": parse_error, "failed_expectations": failed, "report": str(json_report)}
            )
            location = {"quarantined_in": dg.MetadataValue.path(str(folder))}
            context.log.error(f"Quarantined {file.path} in {folder}: {parse_error or failed}")
        staged.write_status(
            {"passed": passed, "path": str(file.path), "parse_error": parse_error, "failed_expectations": failed}
        )
        yield dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(file.path)),
                SHA_METADATA: sha,
                "size_bytes": dg.MetadataValue.int(file.size),
                "passed_validation": passed,
                "rows": dg.MetadataValue.json({name: len(frame) for name, frame in tables.items()}),
                "source_urls": _source_urls(tables),
                "validation_report": dg.MetadataValue.path(str(html_report)),
                **location,
            },
            data_version=dg.DataVersion(sha),
        )
        yield from check_results(kind.name, key, outcomes, parse_error, html_report)

    return landed


def _version_to_load(context: dg.AssetExecutionContext, kind: SourceKind) -> StagedVersion:
    """The file version this run landed, or else the partition's latest landed version."""
    partition_key = context.partition_key
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=landed_key(kind), asset_partitions=[partition_key]), limit=1
    ).records
    this_run = [
        e.asset_materialization
        for e in context.instance.all_logs(context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if e.asset_materialization and e.asset_materialization.asset_key == landed_key(kind)
    ]
    materialization = this_run[-1] if this_run else (records[0].asset_materialization if records else None)
    if materialization is None:
        raise dg.Failure(f"{kind.name} partition {partition_key} has not landed yet: materialize landed/{kind.name}")
    version = StagedVersion(kind.name, partition_key, str(materialization.metadata[SHA_METADATA].value))
    if not version.status().get("passed"):
        raise dg.Failure(
            f"The latest landed version of {partition_key} ({version.sha256[:12]}) failed validation and was "
            "quarantined; fix the file and drop it again.",
            metadata={"status": dg.MetadataValue.json(version.status())},
        )
    return version


def raw_key(kind: SourceKind) -> dg.AssetKey:
    """One raw asset per kind, named after its first table: a file version lands in all its tables at once."""
    return dg.AssetKey(["raw", kind.raw_tables[0]])


def build_raw_asset(kind: SourceKind) -> dg.AssetsDefinition:
    tables = ", ".join(f"raw.{t}" for t in kind.raw_tables)

    @dg.asset(
        key=raw_key(kind),
        deps=[landed_key(kind)],
        partitions_def=PARTITIONS[kind.name],
        group_name="ingest",
        kinds={"duckdb", "pandas"},
        owners=OWNERS,
        tags={"layer": "raw"},
        pool=DUCKDB_WRITER_POOL,
        description=f"{tables}: every validated version of every {kind.name} file, appended in one transaction "
        "with its sha256 and load time (dbt picks the latest version).",
    )
    def load(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        version = _version_to_load(context, kind)
        frames = version.read_tables()
        status = version.status()
        file_version = FileVersion(kind.name, version.partition_key, status["path"], version.sha256)
        with explained_lock_errors(duckdb.database), duckdb.get_connection() as conn:
            appended = append_file_version(conn, file_version, frames, context.run.run_id)
            table_rows = {t: conn.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in frames}
            logged = conn.execute("select count(*) from raw.load_log").fetchone()[0]
        # raw.load_log changed too: recorded as its materialization, so the audit models over it rebuild.
        context.log_event(
            dg.AssetMaterialization(
                asset_key=LOAD_LOG_KEY,
                description=f"{'Loaded' if appended else 'Already loaded'} {status['path']}",
                metadata={"dagster/row_count": dg.MetadataValue.int(logged), SHA_METADATA: version.sha256},
            )
        )
        context.log.info(
            f"{'Loaded' if appended else 'Already loaded'} {status['path']} ({version.sha256[:12]}) into {tables}"
        )
        first = kind.raw_tables[0]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(table_rows[first]),
                "dagster/column_schema": column_schema(first),
                "dagster/table_name": f"raw.{first}",
                "rows_per_table": dg.MetadataValue.json(table_rows),
                "rows_from_this_file": dg.MetadataValue.json({t: len(f) for t, f in frames.items()}),
                SHA_METADATA: version.sha256,
                "source_path": dg.MetadataValue.path(status["path"]),
                "new_version": appended,
            },
            data_version=dg.DataVersion(version.sha256),
        )

    return load


LANDED_ASSETS = [build_landed_asset(kind) for kind in SOURCE_KIND_LIST]
RAW_ASSETS = [build_raw_asset(kind) for kind in SOURCE_KIND_LIST]
# raw.load_log is written by every raw asset in the same transaction as its rows: shown as their downstream.
LOAD_LOG = dg.AssetSpec(
    LOAD_LOG_KEY,
    deps=[raw_key(kind) for kind in SOURCE_KIND_LIST],
    group_name="ingest",
    kinds={"duckdb"},
    owners=OWNERS,
    description="raw.load_log: one row per load of a validated file version (sha256, path, rows, outcome, run id), "
    "written by the raw/* assets in the same transaction as the rows themselves.",
)
