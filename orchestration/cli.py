"""`ht-warehouse`: build the warehouse from the shipped and landed sources, retract a file, say where things are,
run Dagster (`dev` in one process tree, `services` as three)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from orchestration.settings import (
    DUCKDB_PATH_ENV,
    SOURCES_DIR,
    apply_environment,
    dagster_postgres_url,
    data_dir,
    duckdb_path,
    lake_catalog,
    lake_data_path,
    landing_dir,
    publish_dir,
    quarantine_dir,
    redacted,
)

if TYPE_CHECKING:
    from orchestration.defs.batch_run import BatchReport
    from orchestration.engine.versions import FileVersion


_INTERRUPTED: list[int] = []


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM and Ctrl-C: Dagster fails the running step (dbt is stopped) and the run's candidate is discarded."""
    _INTERRUPTED.append(signum)
    raise KeyboardInterrupt(f"signal {signum}")


def _print_published() -> None:
    from orchestration.engine.snapshot import current_publication

    publication = current_publication(publish_dir())
    if publication is None:
        print("Published:     nothing yet")
        return
    marts = {k.split(".", 1)[1]: v for k, v in publication["row_counts"].items() if k.startswith("marts.")}
    print("Rows per mart (published snapshot):")
    for name, rows in sorted(marts.items()):
        print(f"  marts.{name:<28} {rows:>7,}")
    current = publish_dir() / "current"
    print(f"Published:     {current / 'warehouse.duckdb'}  (snapshot {publication['snapshot_id']})")
    if publication.get("lake_snapshot") is not None:
        print(f"Lake:          DuckLake snapshot {publication['lake_snapshot']} (attach READ_ONLY, SNAPSHOT_VERSION)")
    print(f"Parquet:       {current / 'parquet'}")


def _print_files(report: BatchReport) -> None:
    if not report.success:
        print(f"Files:         none promoted (the run failed), {len(report.refused)} refused")
    else:
        print(f"Files:         {len(report.loaded)} loaded, {len(report.refused)} refused")
    if report.refused:
        print(f"Refused files (kept in {quarantine_dir()}; fix a file and drop it again):")
        for outcome in report.refused:
            check, _, message = outcome.problem.partition(": ")
            print(f"  ✗ {outcome.path}\n      {check}: {message}")
            if outcome.report:
                print(f"      report: {outcome.report}")


def _run(
    files: list[FileVersion], full: bool, retract: list[FileVersion], log_name: str
) -> tuple[BatchReport | None, Path]:
    """One batch run in this process, dbt's raw output in a log file, compact progress on the terminal."""
    from orchestration.deploy.preload import prepare_build

    log_dir = data_dir() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{log_name}-{time.strftime('%Y%m%d-%H%M%S')}.log"
    loggers = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
    # SIGTERM (timeout, kill) stops the build like Ctrl-C: the run fails, its candidate is discarded.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    report = None
    try:
        prepare_build(lambda line: print(line, flush=True))
        import dagster as dg

        from orchestration.definitions import defs
        from orchestration.defs.batch_run import run_batch

        with (
            log_file.open("w", encoding="utf-8") as log,
            contextlib.redirect_stdout(log),
            dg.DagsterInstance.get() as instance,
        ):
            report = run_batch(defs, instance, files, full, retract, run_config=loggers)
    except KeyboardInterrupt:
        _INTERRUPTED.append(signal.SIGINT)
    if _INTERRUPTED or (report is not None and report.interrupted):
        print("\nInterrupted: nothing was promoted; the live warehouse and the published snapshot are unchanged.")
        return None, log_file
    return report, log_file


def build(args: argparse.Namespace) -> int:
    if args.duckdb:
        os.environ[DUCKDB_PATH_ENV] = str(Path(args.duckdb).resolve())
    apply_environment()
    started = time.monotonic()
    from orchestration.engine.lake import LakeUnavailable
    from orchestration.engine.plan import make_plan
    from orchestration.engine.storage import configured_warehouse
    from orchestration.engine.store import ensure_landing_folders
    from orchestration.engine.warehouse import WarehouseLocked, WarehouseTooNew

    ensure_landing_folders(landing_dir())
    warehouse = configured_warehouse()
    try:
        plan = make_plan([landing_dir(), SOURCES_DIR], warehouse, publish_dir(), full=args.full)
        if plan.discovery.unsettled:
            # A file modified within the last second may still be written: wait until it settles, once.
            print(f"Waiting:       {plan.discovery.unsettled} file(s) modified within the last second", flush=True)
            time.sleep(plan.discovery.settles_in + 0.05)
            plan = make_plan([landing_dir(), SOURCES_DIR], warehouse, publish_dir(), full=args.full)
    except (WarehouseLocked, WarehouseTooNew, LakeUnavailable) as error:
        print(f"Cannot build: {error}", file=sys.stderr)
        return 2
    print(f"Warehouse:     {warehouse}", flush=True)
    if plan.discovery.unsettled:
        print(
            f"  ⚠ {plan.discovery.unsettled} file(s) still being written (or dated in the future) are left for the "
            "next build"
        )
    for skipped in plan.discovery.skipped:
        print(f"  ⚠ skipped {skipped}")
    if plan.nothing_to_do:
        print(
            f"Nothing new:   {plan.discovery.processed} file versions processed before; warehouse and snapshot current"
        )
        _print_published()
        print(f"Took {time.monotonic() - started:.1f}s.")
        return 0
    print(f"Building:      {'; '.join(plan.reasons)}", flush=True)
    report, log_file = _run(plan.pending, plan.full, [], "build")
    if report is None:
        return 130
    print()
    _print_files(report)
    _print_published()
    print(f"Data dir:      {data_dir()}  (set HT_DATA_DIR to move it)")
    print(f"dbt output:    {log_file}")
    print(f"Took {time.monotonic() - started:.1f}s; browse the runs with `make dev`.")
    if not report.success:
        print("The build FAILED: see the step failure above, or open the run in `make dev`.", file=sys.stderr)
        return 1
    return 1 if report.refused else 0


def retract(args: argparse.Namespace) -> int:
    apply_environment()
    from orchestration.engine.ledger import find_accepted
    from orchestration.engine.storage import configured_warehouse

    found = find_accepted(configured_warehouse(), args.target)
    if len(found) != 1:
        what = "no accepted file version" if not found else f"{len(found)} accepted versions"
        print(f"{what} matches {args.target!r}; give a landed file's path or a sha256 (8+ hex digits)", file=sys.stderr)
        for version in found:
            print(f"  {version.sha256}  {version.path}", file=sys.stderr)
        return 2
    version = found[0]
    print(f"Retracting {version.path} ({version.sha256[:12]}): rebuilding without it, then publishing", flush=True)
    report, _ = _run([], False, [version], "retract")
    if report is None or not report.success:
        print("The retraction FAILED: the live warehouse is unchanged.", file=sys.stderr)
        return 1
    print(f"Retracted; the file is kept in {quarantine_dir() / version.kind / version.partition_key}")
    _print_published()
    return 0


def paths(args: argparse.Namespace) -> int:
    apply_environment()
    found = {
        "data_dir": str(data_dir()),
        "duckdb_file": str(duckdb_path()),
        "lake_catalog": redacted(lake_catalog() or "") or None,
        "lake_data_path": lake_data_path() if lake_catalog() else None,
        "landing": str(landing_dir()),
        "published": str(publish_dir() / "current" / "warehouse.duckdb"),
        "dagster_home": os.environ["DAGSTER_HOME"],
    }
    if args.json:
        print(json.dumps(found))
        return 0
    for label, key in (("data dir", "data_dir"), ("duckdb file", "duckdb_file"), ("landing", "landing")):
        print(f"{label + ':':<14}{found[key]}")
    print(f"published:    {found['published']}")
    print(f"DAGSTER_HOME: {found['dagster_home']}")
    return 0


def dev(args: argparse.Namespace) -> int:
    """Start the Dagster UI and daemon on this code location, with the project's instance and data dir."""
    apply_environment()
    print(f"Dagster UI: http://{args.host}:{args.port}  (DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
    # `dg dev` reads the code location from pyproject.toml ([tool.dg.project]).
    command = ["dg", "dev", "--host", args.host, "--port", str(args.port)]
    os.execvp(command[0], command)


def services(args: argparse.Namespace) -> int:
    """The code server, daemon and webserver as separate processes, on the instance the settings name."""
    apply_environment()
    from orchestration.deploy import services as deploy

    dagster_home = Path(os.environ["DAGSTER_HOME"])
    workspace = dagster_home / "workspace.yaml"
    to_start = deploy.services(workspace, args.host, args.port, args.grpc_host, args.grpc_port)
    if args.only:
        to_start = [service for service in to_start if service.name in args.only]
    print(f"Dagster storage: {deploy.storage_description(dagster_postgres_url(), dagster_home)}")
    if any(service.name != deploy.CODE_SERVER for service in to_start):
        deploy.write_workspace(dagster_home, args.grpc_host, args.grpc_port)
        print(f"Workspace:       {workspace}  (the code server at {args.grpc_host}:{args.grpc_port})", flush=True)
    return deploy.run(to_start, f"http://{args.host}:{args.port}", lambda line: print(line, flush=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ht-warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser(
        "build", help="load every new shipped or landed file, rebuild what changed with its tests, publish"
    )
    build_parser.add_argument("--duckdb", help=f"DuckDB file to build (default: ${DUCKDB_PATH_ENV} or data/)")
    build_parser.add_argument("--full", action="store_true", help="rebuild every dbt model, not only what changed")
    build_parser.set_defaults(func=build)
    retract_parser = commands.add_parser("retract", help="take an accepted file version out, rebuild and publish")
    retract_parser.add_argument("target", help="the file's path (its latest accepted version) or its sha256")
    retract_parser.set_defaults(func=retract)
    paths_parser = commands.add_parser("paths", help="print where the warehouse reads and writes")
    paths_parser.add_argument("--json", action="store_true", help="as one JSON object (for other tools: make bi)")
    paths_parser.set_defaults(func=paths)
    dev_parser = commands.add_parser("dev", help="start the Dagster UI and daemon (dg dev) on this code location")
    dev_parser.add_argument("--host", default="127.0.0.1")
    dev_parser.add_argument("--port", type=int, default=3000)
    dev_parser.set_defaults(func=dev)
    services_parser = commands.add_parser(
        "services",
        help="start the code server (gRPC), daemon and webserver as separate processes "
        "(Dagster's storage in PostgreSQL when HT_DAGSTER_POSTGRES_URL is set)",
    )
    services_parser.add_argument("--host", default="127.0.0.1", help="the webserver's address")
    services_parser.add_argument("--port", type=int, default=3000, help="the webserver's port")
    services_parser.add_argument("--grpc-host", default="127.0.0.1", help="the code server's address")
    services_parser.add_argument("--grpc-port", type=int, default=4000, help="the code server's port")
    services_parser.add_argument(
        "--only",
        action="append",
        choices=["code-server", "daemon", "webserver"],
        help="start only this service (repeatable): one per container or host, as in deploy/docker-compose.yaml",
    )
    services_parser.set_defaults(func=services)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
