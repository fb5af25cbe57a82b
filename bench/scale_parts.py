"""The measurements of bench/scale.py, each run in a fresh interpreter with its own data dir.

Usage (bench/scale.py runs these; each prints one JSON object as its last line):

    python -m bench.scale_parts orchestrated LANDING_DIR
    python -m bench.scale_parts raw-loads LANDING_DIR
    python -m bench.scale_parts incremental HISTORY_DIR NEW_RELEASE
    python -m bench.scale_parts throughput RELEASE_CSV
    python -m bench.scale_parts import-probe

A fresh process per measurement keeps imports, caches and peak memory of one out of the next. Heavy imports
happen inside the functions, after the data dir is applied, and the timings that include them say so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def orchestrated(landing: Path) -> Result:
    """One batch run over every file under `landing` (land, validate, load, dbt build, promote, publish); the
    time includes importing Dagster and the definitions, as a build from the CLI does."""
    from orchestration.settings import apply_environment, publish_dir

    apply_environment()
    started = time.perf_counter()
    from orchestration.deploy.preload import prepare_build

    prepare_build(lambda line: print(line, file=sys.stderr))
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.batch_run import run_batch
    from orchestration.engine.plan import make_plan
    from orchestration.engine.storage import configured_warehouse

    plan = make_plan([landing], configured_warehouse(), publish_dir())
    with dg.DagsterInstance.get() as instance:
        report = run_batch(defs, instance, plan.pending, plan.full)
        seconds = time.perf_counter() - started
        runs = len(instance.get_run_ids())
    return {"seconds": seconds, "success": report.success, "files": len(report.files), "runs": runs}


def raw_loads(landing: Path) -> Result:
    """Parse and append every file under `landing` directly (no Dagster, no validation) into the candidate
    DuckDB file, where dbt's profile builds (`<HT_DUCKDB_PATH>.candidate`), so `dbt build` by hand finds them."""
    from orchestration.settings import apply_environment

    apply_environment()
    import duckdb

    from orchestration.defs.resources import LandingZone
    from orchestration.engine.raw_tables import append_file_version
    from orchestration.engine.storage import configured_warehouse
    from orchestration.engine.versions import FileVersion
    from orchestration.parsers.kinds import SOURCE_KIND_LIST

    started = time.perf_counter()
    zone = LandingZone(path=str(landing), shipped_path=None)
    rows = 0
    with duckdb.connect(str(configured_warehouse().candidate_path)) as conn:
        for kind in SOURCE_KIND_LIST:
            for file in zone.list_files(kind.name):
                frames = kind.parse(file.path)
                rows += sum(len(frame) for frame in frames.values())
                version = FileVersion(kind.name, file.partition_key, str(file.path), file.sha256())
                append_file_version(conn, version, frames, "bench", dt.datetime.now(dt.UTC))
    return {"seconds": time.perf_counter() - started, "rows": rows}


def incremental(history: Path, new_release: Path) -> Result:
    """Bulk-load the releases in `history`, build and promote everything, then time one batch run of
    `new_release` from landing to the published snapshot."""
    from orchestration.settings import apply_environment, duckdb_path

    apply_environment()
    import dagster as dg
    import duckdb

    from orchestration.definitions import defs
    from orchestration.defs.batch_run import run_batch
    from orchestration.defs.resources import LandingZone
    from orchestration.engine.raw_tables import append_file_version
    from orchestration.engine.versions import FileVersion
    from orchestration.parsers.files import sha256_of
    from orchestration.parsers.kinds import SOURCE_KINDS

    kind = SOURCE_KINDS["report_releases"]
    files = list(LandingZone(path=str(history.parent), shipped_path=None).list_files(kind.name))
    # History goes in through the pipeline's own parser and loader, without validation: 10,000 files take long.
    started = time.perf_counter()
    with duckdb.connect(str(duckdb_path())) as conn:
        for file in files:
            version = FileVersion(kind.name, file.partition_key, str(file.path), file.sha256())
            append_file_version(conn, version, kind.parse(file.path), "bench-history", dt.datetime.now(dt.UTC))
    history_s = time.perf_counter() - started
    with dg.DagsterInstance.get() as instance:
        base = run_batch(defs, instance, [], full=True)  # the warehouse as it stands: every model built, promoted
        started = time.perf_counter()
        version = FileVersion(kind.name, new_release.stem, str(new_release), sha256_of(new_release))
        event = run_batch(defs, instance, [version])
        landing_to_published_s = time.perf_counter() - started
    return {
        "history_load_s": history_s,
        "landing_to_published_s": landing_to_published_s,
        "base_ok": base.success,
        "event_ok": event.success,
    }


def throughput(path: Path) -> Result:
    """Parse, validate, stage and load one large release, each step timed, and the peak memory of the process.

    `validate_s` includes gathering the references (other staged files, the version it replaces), as landing does.
    """
    from orchestration.settings import apply_environment, duckdb_path

    apply_environment()
    import duckdb

    from orchestration.engine.raw_tables import append_staged_version, ensure_raw_schema
    from orchestration.engine.references import references_for
    from orchestration.engine.staged import StagedVersion
    from orchestration.engine.storage import configured_warehouse
    from orchestration.engine.versions import FileVersion
    from orchestration.parsers.kinds import SOURCE_KINDS
    from orchestration.quality.validate import validate

    kind = SOURCE_KINDS["report_releases"]
    t0 = time.perf_counter()
    tables = kind.parse(path)
    t1 = time.perf_counter()
    references = references_for(configured_warehouse(), kind.name, path.stem, tables)
    outcomes = validate(kind.name, tables, references).outcomes
    t2 = time.perf_counter()
    staged = StagedVersion(kind.name, path.stem, "bench")
    staged.write_tables(tables)
    t3 = time.perf_counter()
    with duckdb.connect(str(duckdb_path())) as conn:  # as a batch loads it: from the staged Parquet files
        version = FileVersion(kind.name, path.stem, str(path), "bench")
        ensure_raw_schema(conn)
        append_staged_version(conn, version, staged.table_files(), "bench", dt.datetime.now(dt.UTC))
    t4 = time.perf_counter()
    return {
        "rows": len(tables["report_figures"]),
        "parse_s": t1 - t0,
        "validate_s": t2 - t1,
        "stage_s": t3 - t2,
        "load_s": t4 - t3,
        "failed_expectations": [o.name for o in outcomes if not o.success and o.severity == "error"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def import_probe() -> Result:
    """How long importing the code location takes, and whether it drags in the heavy libraries it defers."""
    started = time.perf_counter()
    import orchestration.definitions  # noqa: F401 - imported to be timed

    return {
        "import_definitions_s": time.perf_counter() - started,
        "great_expectations_imported_at_load": "great_expectations" in sys.modules,
        "matplotlib_imported_at_load": "matplotlib" in sys.modules,
    }


PARTS: dict[str, Callable[..., Result]] = {
    "orchestrated": orchestrated,
    "raw-loads": raw_loads,
    "incremental": incremental,
    "throughput": throughput,
    "import-probe": import_probe,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=PARTS)
    parser.add_argument("paths", type=Path, nargs="*", help="the part's inputs, in the order of its parameters")
    args = parser.parse_args()
    print(json.dumps(PARTS[args.part](*args.paths)))


if __name__ == "__main__":
    main()
