"""`ht-warehouse`: build the warehouse from the shipped sources and say where it is."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.settings import DUCKDB_PATH_ENV, apply_environment, data_dir, duckdb_path

if TYPE_CHECKING:
    from dagster import ExecuteInProcessResult


def _mart_row_counts(result: ExecuteInProcessResult) -> dict[str, int]:
    """Rows per mart, from the row counts the dbt assets attach to their materializations."""
    counts: dict[str, int] = {}
    for materialization in result.asset_materializations_for_node("warehouse_dbt_models"):
        key = materialization.asset_key.path
        rows = materialization.metadata.get("dagster/row_count")
        if key[0] == "marts" and rows is not None:
            counts[key[-1]] = rows.value
    return dict(sorted(counts.items()))


def build(args: argparse.Namespace) -> int:
    if args.duckdb:
        os.environ[DUCKDB_PATH_ENV] = str(Path(args.duckdb).resolve())
    apply_environment()
    print(f"Building the warehouse into {duckdb_path()}", flush=True)
    started = time.monotonic()

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.jobs import BUILD_JOB_NAME

    instance = dg.DagsterInstance.get()
    log_dir = data_dir() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"build-{time.strftime('%Y%m%d-%H%M%S')}.log"
    # dagster-dbt echoes dbt's own output to stdout; keep it in a log file and show compact progress instead.
    with log_file.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        result = defs.resolve_job_def(BUILD_JOB_NAME).execute_in_process(
            instance=instance,
            raise_on_error=False,
            # The compact progress logger instead of Dagster's full debug log (the UI keeps the full log).
            run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}},
        )
    failed_checks = [
        f"{e.asset_check_evaluation_data.asset_key.to_user_string()}: {e.asset_check_evaluation_data.check_name}"
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
    ]
    elapsed = time.monotonic() - started
    print()
    if result.success:
        print("Rows per mart:")
        for name, rows in _mart_row_counts(result).items():
            print(f"  marts.{name:<28} {rows:>7,}")
    print(f"Failed checks: {len(failed_checks)}")
    for check in failed_checks:
        print(f"  ✗ {check}")
    print(f"DuckDB file:   {duckdb_path()}")
    print(f"Data dir:      {data_dir()}  (set HT_DATA_DIR to move it)")
    print(f"dbt output:    {log_file}")
    print(f"Run id:        {result.run_id}  ({elapsed:.1f}s; browse it with `make dev`)")
    if not result.success:
        print("The build FAILED: see the step failure above, or open the run in `dagster dev`.", file=sys.stderr)
        return 1
    return 1 if failed_checks else 0


def paths(_: argparse.Namespace) -> int:
    apply_environment()
    print(f"data dir:     {data_dir()}")
    print(f"duckdb file:  {duckdb_path()}")
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
