"""Landed files and raw tables as assets: `landed/<kind>` (a partition per file, with its checks) and `raw/*`.

A batch run takes every new file version at once. For each file it parses, validates (great-expectations)
and archives or quarantines it (engine/land.py), and records that as a materialization of the file's
`landed/<kind>` partition with its landing checks' evaluations, so the UI shows every file and every check.
The accepted versions are then loaded into a candidate copy of the warehouse (`raw/*`); the dbt step tests that
candidate before it may become the live warehouse.
"""

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import duckdb
from pydantic import Field

from orchestration.defs.landed_checks import check_results, check_specs, legacy_check_keys
from orchestration.defs.warehouse_writer import WarehouseWriter
from orchestration.engine.land import TOGETHER, Landing, land_all
from orchestration.engine.ledger import accepted_versions
from orchestration.engine.raw_tables import RAW_TABLES
from orchestration.engine.versions import FileVersion
from orchestration.parsers.kinds import SOURCE_KIND_LIST, SOURCE_KINDS, SourceKind
from orchestration.quality.runner import warm_up
from orchestration.quality.suites import suite_for

if TYPE_CHECKING:
    import pandas as pd

OWNERS = ["team:data-engineering"]
# One dynamic partition per delivered file name (a report release, a hotline table file), per source kind.
PARTITIONS: dict[str, dg.DynamicPartitionsDefinition] = {
    kind.name: dg.DynamicPartitionsDefinition(name=kind.partitions_name) for kind in SOURCE_KIND_LIST
}
LOAD_LOG_KEY = dg.AssetKey(["raw", "load_log"])
SHA_METADATA = "file_sha256"


class FileVersionConfig(dg.Config):
    kind: str
    partition_key: str
    path: str
    sha256: str = ""


class BatchConfig(dg.Config):
    """The file versions a batch run takes: new ones to land and load, accepted ones to retract."""

    files: list[FileVersionConfig] = Field(default_factory=list)
    retract: list[FileVersionConfig] = Field(default_factory=list)


def landed_key(kind: SourceKind) -> dg.AssetKey:
    return dg.AssetKey(["landed", kind.name])


def raw_key(kind: SourceKind) -> dg.AssetKey:
    """One raw asset per kind, named after its first table: a file version lands in all its tables at once."""
    return dg.AssetKey(["raw", kind.raw_tables[0]])


def column_schema(table: str) -> dg.TableSchema:
    """A raw table's column schema for the UI, from the one declaration in engine/raw_tables.py."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name, kind.split()[0], constraints=dg.TableColumnConstraints(nullable="not null" not in kind)
            )
            for name, kind in RAW_TABLES[table].items()
        ]
    )


def _source_urls(tables: dict[str, "pd.DataFrame"]) -> dg.MetadataValue:
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


def landed_spec(kind: SourceKind) -> dg.AssetSpec:
    return dg.AssetSpec(
        landed_key(kind),
        partitions_def=PARTITIONS[kind.name],
        group_name="landing",
        kinds={"pandas", "great_expectations"},
        owners=OWNERS,
        description=f"{kind.description} Each partition is one file name; each delivered version is parsed, "
        "archived by sha256 and validated with great-expectations by the batch that takes it (`process_batch`).",
        freshness_policy=dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=kind.max_days_between_files)),
    )


def _landed_checks(kind: SourceKind) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name=f"landed_{kind.name}_checks",
        specs=check_specs(kind.name, landed_key(kind)),
        description="Evaluated per file by the batch ingest; drop a file again to evaluate it again.",
    )
    def checks(context: dg.AssetCheckExecutionContext):
        raise dg.Failure(
            f"These checks run for each file the batch ingest takes: drop a file into landing/{kind.name}/ (or run "
            "`ht-warehouse build`) and its results appear on the file's partition of this asset."
        )

    return checks


def _landed_event(kind: SourceKind, landing: Landing) -> dg.AssetMaterialization:
    version = landing.version
    location = "archived_as" if landing.passed else "quarantined_in"
    return dg.AssetMaterialization(
        asset_key=landed_key(kind),
        partition=version.partition_key,
        metadata={
            "path": dg.MetadataValue.path(version.path),
            SHA_METADATA: version.sha256,
            "size_bytes": dg.MetadataValue.int(landing.size),
            "passed_validation": landing.passed,
            "rows": dg.MetadataValue.json({name: len(frame) for name, frame in landing.tables.items()}),
            "source_urls": _source_urls(landing.tables),
            "validation_report": dg.MetadataValue.path(str(landing.html_report)),
            location: dg.MetadataValue.path(str(landing.stored_in)),
        },
    )


def _table_rows(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    return {t: conn.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}


def _as_version(config: FileVersionConfig) -> FileVersion:
    return FileVersion(config.kind, config.partition_key, config.path, config.sha256)


@dg.multi_asset(
    name="ingest_batch",
    specs=[
        *(
            dg.AssetSpec(
                raw_key(kind),
                deps=[landed_key(kind)],
                group_name="ingest",
                kinds={"duckdb", "pandas"},
                owners=OWNERS,
                tags={"layer": "raw"},
                # Not yielded when a batch accepted nothing: its downstream steps are then skipped.
                skippable=True,
                description=f"{', '.join(f'raw.{t}' for t in kind.raw_tables)}: every validated version of every "
                f"{kind.name} file, with its sha256 and load time (dbt picks the latest version).",
            )
            for kind in SOURCE_KIND_LIST
        ),
        dg.AssetSpec(
            LOAD_LOG_KEY,
            deps=[raw_key(kind) for kind in SOURCE_KIND_LIST],
            group_name="ingest",
            kinds={"duckdb"},
            owners=OWNERS,
            description="raw.load_log: one row per load or retraction of a file version (sha256, path, rows, "
            "outcome, run id), written in the same transaction as the rows themselves.",
        ),
    ],
    can_subset=True,
    description="Lands every file version of the batch (parse, validate, archive or quarantine) and loads the "
    "accepted ones into a candidate copy of the warehouse, which the dbt step tests before it goes live.",
)
def ingest_batch(context: dg.AssetExecutionContext, config: BatchConfig, warehouse: WarehouseWriter) -> Any:
    batch = warehouse.batch
    listed = [_as_version(f) for f in config.files]
    # A file taken away since the batch was listed (e.g. dropped by mistake, then deleted) is not there to land; the
    # rest of the batch is.
    present = [Path(version.path).exists() for version in listed]
    for version in (version for version, there in zip(listed, present, strict=True) if not there):
        context.log.warning(f"{version.path} was removed after this batch listed it; skipped (drop it again)")
    versions = [version for version, there in zip(listed, present, strict=True) if there]
    if versions:
        warm_up([suite_for(kind) for kind in dict.fromkeys(v.kind for v in versions)])
    for kind in SOURCE_KIND_LIST:
        keys = sorted({v.partition_key for v in versions if v.kind == kind.name})
        new = [k for k in keys if not context.instance.has_dynamic_partition(kind.partitions_name, k)]
        if new:
            context.instance.add_dynamic_partitions(kind.partitions_name, new)
    # Checked again under the writer lock: a build planned before another one finished may list its files.
    already = accepted_versions(batch.warehouse)
    numbered = list(enumerate(versions, start=1))
    for number, version in numbered:
        if version.key in already:
            context.log.info(f"[{number}/{len(versions)}] {version.path} is loaded already; skipped")
    to_land = [(number, version) for number, version in numbered if version.key not in already]
    if len(to_land) > 1:
        context.log.info(
            f"Landing {len(to_land)} files: each is parsed, then great-expectations validates the files of a kind "
            f"together, up to {TOGETHER} at a time"
        )
    landings = land_all([version for _, version in to_land], batch.warehouse)
    for (number, version), landing in zip(to_land, landings, strict=True):
        kind = SOURCE_KINDS[version.kind]
        context.log_event(_landed_event(kind, landing))
        for evaluation in check_results(
            kind.name,
            landed_key(kind),
            landing.validation,
            landing.parse_error,
            landing.html_report,
            version.partition_key,
        ):
            context.log_event(evaluation)
        if landing.passed:
            batch.accepted.append(landing.version)
            context.log.info(f"[{number}/{len(versions)}] Accepted {version.path} ({landing.version.sha256[:12]})")
        else:
            batch.quarantined.append(landing.version)
            context.log.error(
                f"[{number}/{len(versions)}] Refused {version.path}: {landing.first_problem} "
                f"(quarantined in {landing.stored_in})"
            )
    batch.retracted = [_as_version(f) for f in config.retract]
    if not batch.accepted and not batch.retracted:
        # Nothing to load: no raw output, so Dagster skips the dbt and publish steps of this run.
        context.log.info("No file of this batch was accepted: the live warehouse stays as it is.")
        return
    candidate = batch.prepare()
    accepted_kinds = {v.kind for v in batch.accepted} | {v.kind for v in batch.retracted}
    with duckdb.connect(str(candidate), read_only=True) as conn:
        for kind in SOURCE_KIND_LIST:
            key = raw_key(kind)
            if key not in context.selected_asset_keys:
                continue
            rows = _table_rows(conn, list(kind.raw_tables))
            loaded = [v for v in batch.accepted if v.kind == kind.name]
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": dg.MetadataValue.int(rows[kind.raw_tables[0]]),
                    "dagster/column_schema": column_schema(kind.raw_tables[0]),
                    "dagster/table_name": f"raw.{kind.raw_tables[0]}",
                    "rows_per_table": dg.MetadataValue.json(rows),
                    "versions_loaded": dg.MetadataValue.json([v.label for v in loaded]),
                    "changed": kind.name in accepted_kinds,
                    "stage": "candidate: live once the dbt tests pass",
                },
            )
        if LOAD_LOG_KEY in context.selected_asset_keys:
            logged = conn.execute("select count(*) from raw.load_log").fetchone()[0]
            yield dg.MaterializeResult(asset_key=LOAD_LOG_KEY, metadata={"dagster/row_count": logged})


LANDED_SPECS = [landed_spec(kind) for kind in SOURCE_KIND_LIST]
LANDED_CHECKS = [_landed_checks(kind) for kind in SOURCE_KIND_LIST]
LEGACY_LANDED_CHECK_KEYS = [key for kind in SOURCE_KIND_LIST for key in legacy_check_keys(kind.name, landed_key(kind))]
