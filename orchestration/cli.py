"""`ht-warehouse`: build the warehouse from the shipped sources and say where it is."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.settings import (
    DUCKDB_PATH_ENV,
    SOURCES_DIR,
    apply_environment,
    data_dir,
    duckdb_path,
    landing_dir,
    publish_dir,
    quarantine_dir,
)

if TYPE_CHECKING:
    from dagster import ExecuteInProcessResult


def _mart_row_counts(result: ExecuteInProcessResult) -> dict[str, int]:
    """Rows per mart, from the row counts the dbt assets attach to their materializations."""
    counts: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.path
        rows = materialization.metadata.get("dagster/row_count")
        if key[0] == "marts" and rows is not None:
            counts[key[-1]] = rows.value
    return dict(sorted(counts.items()))


def _published(result: ExecuteInProcessResult) -> dict[str, str]:
    """The snapshot this build published (empty if it published none), from the publish asset's metadata."""
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key.path == ["published", "warehouse_snapshot"]:
            return {name: str(value.value) for name, value in materialization.metadata.items()}
    return {}


def build(args: argparse.Namespace) -> int:
    if args.duckdb:
        os.environ[DUCKDB_PATH_ENV] = str(Path(args.duckdb).resolve())
    apply_environment()
    print(f"Building the warehouse into {duckdb_path()}", flush=True)
    started = time.monotonic()

    import dagster as dg

    from orchestration.build import build_all, failed_checks
    from orchestration.definitions import defs
    from orchestration.ingest.landing import LandingZone

    landing = LandingZone(path=str(landing_dir()), shipped_path=str(SOURCES_DIR))
    log_dir = data_dir() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"build-{time.strftime('%Y%m%d-%H%M%S')}.log"
    # The compact progress logger instead of Dagster's full debug log (the UI keeps the full log).
    loggers = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
    # dagster-dbt echoes dbt's own output to stdout; keep it in a log file and show compact progress instead.
    with log_file.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        report = build_all(defs, dg.DagsterInstance.get(), landing, run_config=loggers)
    transform = report.transform
    failed = failed_checks(transform) if transform else []
    print()
    if transform and transform.success:
        print("Rows per mart:")
        for name, rows in _mart_row_counts(transform).items():
            print(f"  marts.{name:<28} {rows:>7,}")
    refused = report.refused()
    print(f"Files loaded:  {len(report.ingest_results) - len(refused)} of {len(report.ingest_results)}")
    if refused:
        print(f"Refused files: {len(refused)} (copied to {quarantine_dir()} with a report; fix and drop again)")
        for line in refused:
            print(f"  ✗ {line}")
    print(f"Failed checks: {len(failed)}")
    for check in failed:
        print(f"  ✗ {check}")
    print(f"DuckDB file:   {duckdb_path()}  (the build's own file: BI tools use the published snapshot)")
    published = _published(transform) if transform else {}
    if published:
        print(f"Published:     {published['snapshot_path']}  (snapshot {published['snapshot_id']})")
        print(f"Parquet:       {published['parquet_dir']}")
    else:
        print(f"Published:     nothing new; {publish_dir() / 'current'} still serves the previous snapshot")
    print(f"Data dir:      {data_dir()}  (set HT_DATA_DIR to move it)")
    print(f"dbt output:    {log_file}")
    print(f"Took {time.monotonic() - started:.1f}s; browse the runs with `make dev`.")
    if not report.success:
        for line in report.failed_ingests():
            print(f"  ✗ ingest failed: {line}", file=sys.stderr)
        print("The build FAILED: see the step failure above, or open the run in `make dev`.", file=sys.stderr)
        return 1
    return 1 if failed or refused else 0


def paths(_: argparse.Namespace) -> int:
    apply_environment()
    print(f"data dir:     {data_dir()}")
    print(f"duckdb file:  {duckdb_path()}")
    print(f"published:    {publish_dir() / 'current' / 'warehouse.duckdb'}")
    print(f"DAGSTER_HOME: {os.environ['DAGSTER_HOME']}")
    return 0


def dev(args: argparse.Namespace) -> int:
    """Start the Dagster UI and daemon on this code location, with the project's instance and data dir."""
    apply_environment()
    print(f"Dagster UI: http://{args.host}:{args.port}  (DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
    # `dg dev` reads the code location from pyproject.toml ([tool.dg.project]).
    command = ["dg", "dev", "--host", args.host, "--port", str(args.port)]
    os.execvp(command[0], command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ht-warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="load every shipped source and build all dbt models and tests")
    build_parser.add_argument("--duckdb", help=f"DuckDB file to build (default: ${DUCKDB_PATH_ENV} or data/)")
    build_parser.set_defaults(func=build)
    commands.add_parser("paths", help="print where the warehouse writes").set_defaults(func=paths)
    dev_parser = commands.add_parser("dev", help="start the Dagster UI (dagster dev) on this code location")
    dev_parser.add_argument("--host", default="127.0.0.1")
    dev_parser.add_argument("--port", type=int, default=3000)
    dev_parser.set_defaults(func=dev)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
