"""Scale and speed: the orchestrated pipeline against raw dbt and raw DuckDB, on SYNTHETIC data (bench/synthetic.py).

Usage: uv run python bench/scale.py [--scales 1 10] [--history 10 1000 10000] [--large-rows 1000000]
                                    [--parts full,incremental,throughput,load]

Prints one table per part and saves everything as JSON under `$HT_DATA_DIR/bench/`. Every run works in its own
temporary data directory; nothing touches the real warehouse.

1. full build at each scale: (a) the orchestrated pipeline (one batch run: land and validate every file, load,
   `dbt build` in the candidate, promote, publish), (b) the same raw loads done directly (parse + append, no Dagster,
   no validation) plus `dbt build` run by hand, (c) the compiled SQL of every model run directly in DuckDB after the
   raw loads;
2. incremental: one new release from landing to the published snapshot with N releases already loaded;
3. ingest throughput of the large release: parse, validate, stage and load, in rows per second, and peak memory;
4. code location load: `dagster definitions validate`, and whether great-expectations is imported at load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    env["HT_DATA_DIR"] = str(data_dir)
    return env


def _python(code: str, data_dir: Path, *args: str) -> dict:
    """Run `code` in a fresh interpreter with its own data dir; it prints one JSON object as its last line."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env=_env(data_dir), cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


ORCHESTRATED = """
import json, sys, time
from pathlib import Path
from orchestration.settings import apply_environment, duckdb_path, publish_dir
apply_environment()
started = time.perf_counter()
import dagster as dg
from orchestration.defs.batch_run import run_batch
from orchestration.definitions import defs
from orchestration.engine.plan import make_plan
plan = make_plan([Path(sys.argv[1])], duckdb_path(), publish_dir())
with dg.DagsterInstance.get() as instance:
    report = run_batch(defs, instance, plan.pending, plan.full)
runs = len(dg.DagsterInstance.get().get_run_ids())
print(json.dumps({"seconds": time.perf_counter() - started, "success": report.success,
                  "files": len(report.files), "runs": runs}))
"""

RAW_LOADS = """
import datetime as dt, json, sys, time
from pathlib import Path
from orchestration.settings import apply_environment, duckdb_path
apply_environment()
import duckdb
from orchestration.engine.warehouse import candidate_path
from orchestration.engine.versions import FileVersion
from orchestration.parsers.kinds import SOURCE_KIND_LIST
from orchestration.defs.resources import LandingZone
from orchestration.engine.raw_tables import append_file_version
started = time.perf_counter()
landing = LandingZone(path=sys.argv[1], shipped_path=None)
rows = 0
# dbt's profile writes `<HT_DUCKDB_PATH>.candidate`: load there, so that `dbt build` by hand finds the rows.
with duckdb.connect(str(candidate_path(duckdb_path()))) as conn:
    for kind in SOURCE_KIND_LIST:
        for file in landing.list_files(kind.name):
            frames = kind.parse(file.path)
            rows += sum(len(f) for f in frames.values())
            version = FileVersion(kind.name, file.partition_key, str(file.path), file.sha256())
            append_file_version(conn, version, frames, "bench", dt.datetime.now(dt.UTC))
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def _dbt(data_dir: Path, *command: str) -> float:
    env = _env(data_dir) | {
        "HT_DUCKDB_PATH": str(data_dir / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(data_dir / "dbt-target"),
        "DBT_LOG_PATH": str(data_dir / "dbt-logs"),
    }
    started = time.perf_counter()
    subprocess.run([str(BIN / "dbt"), *command, "--quiet"], cwd=ROOT / "dbt_project", env=env, check=True)
    return time.perf_counter() - started


def _compiled_sql_seconds(data_dir: Path) -> float:
    """Run every model's compiled SQL directly in DuckDB, in dependency order, as tables or views."""
    import duckdb

    manifest = json.loads((data_dir / "dbt-target" / "manifest.json").read_text())
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] in ("model", "seed")}
    order: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen or node_id not in nodes:
            return
        seen.add(node_id)
        for parent in nodes[node_id]["depends_on"].get("nodes", []):
            visit(parent)
        order.append(node_id)

    for node_id in sorted(nodes):
        visit(node_id)
    started = time.perf_counter()
    with duckdb.connect(str(data_dir / "warehouse.duckdb.candidate")) as conn:
        for node_id in order:
            node = nodes[node_id]
            if node["resource_type"] == "seed":
                continue  # loaded by `dbt seed` beforehand: the same CSVs either way
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            compiled = data_dir / "dbt-target" / "compiled" / node["package_name"] / node["original_file_path"]
            conn.execute(f"create or replace {kind} {node['relation_name']} as {compiled.read_text()}")
    return time.perf_counter() - started


def full_build(scale: int, workdir: Path, synthetic: Path) -> dict:
    orchestrated_dir, raw_dir = workdir / f"orchestrated-{scale}x", workdir / f"raw-{scale}x"
    orchestrated = _python(ORCHESTRATED, orchestrated_dir, str(synthetic))
    loads = _python(RAW_LOADS, raw_dir, str(synthetic))
    dbt_build = _dbt(raw_dir, "build")
    _dbt(raw_dir, "compile")
    compiled = _compiled_sql_seconds(raw_dir)
    by_hand = loads["seconds"] + dbt_build
    return {
        "scale": scale,
        "rows": loads["rows"],
        "files": orchestrated["files"],
        "orchestrated_runs": orchestrated["runs"],
        "orchestrated_s": round(orchestrated["seconds"], 1),
        "raw_loads_s": round(loads["seconds"], 1),
        "dbt_build_s": round(dbt_build, 1),
        "loads_plus_dbt_s": round(by_hand, 1),
        "loads_plus_compiled_sql_s": round(loads["seconds"] + compiled, 1),
        "orchestrated_vs_dbt": round(orchestrated["seconds"] / by_hand, 2),
        "dbt_vs_compiled_sql": round(by_hand / (loads["seconds"] + compiled), 2),
        "orchestrated_success": orchestrated["success"],
    }


INCREMENTAL = """
import datetime as dt, json, sys, time
from pathlib import Path
from orchestration.settings import apply_environment, duckdb_path
apply_environment()
import dagster as dg, duckdb
from orchestration.defs.batch_run import run_batch
from orchestration.definitions import defs
from orchestration.engine.versions import FileVersion
from orchestration.parsers.files import sha256_of
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.defs.resources import LandingZone
from orchestration.engine.raw_tables import append_file_version
history, new_release = Path(sys.argv[1]), Path(sys.argv[2])
kind = SOURCE_KINDS["report_releases"]
landing = LandingZone(path=str(history.parent), shipped_path=None)
files = list(landing.list_files("report_releases"))
# History is bulk-loaded through the pipeline's own parser and loader (no validation: 10,000 files take long).
started = time.perf_counter()
with duckdb.connect(str(duckdb_path())) as conn:
    for file in files:
        append_file_version(conn, FileVersion(kind.name, file.partition_key, str(file.path), file.sha256()),
                            kind.parse(file.path), "bench-history", dt.datetime.now(dt.UTC))
history_s = time.perf_counter() - started
with dg.DagsterInstance.get() as instance:
    base = run_batch(defs, instance, [], full=True)  # the warehouse as it stands: every model built and promoted
    started = time.perf_counter()
    version = FileVersion(kind.name, new_release.stem, str(new_release), sha256_of(new_release))
    event = run_batch(defs, instance, [version])
    done = time.perf_counter()
print(json.dumps({"history_load_s": history_s, "landing_to_published_s": done - started,
                  "base_ok": base.success, "event_ok": event.success}))
"""


def incremental(history: int, workdir: Path) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import release_document, write_yaml_releases

    folder = workdir / f"history-{history}" / "landing" / "report_releases"
    folder.mkdir(parents=True)
    write_yaml_releases(folder, history)
    new = workdir / f"history-{history}" / "synthetic-new.yaml"
    release = release_document("synthetic-new", "US-CA", 2024, random.Random(42))
    new.write_text(yaml.safe_dump(release, sort_keys=False))
    result = _python(INCREMENTAL, workdir / f"history-{history}" / "data", str(folder), str(new))
    return {"releases_loaded": history, **{k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}}


THROUGHPUT = """
import json, resource, sys, time
from pathlib import Path
from orchestration.settings import apply_environment, duckdb_path
apply_environment()
import duckdb
from orchestration.engine.versions import FileVersion
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.engine.raw_tables import append_file_version
from orchestration.engine.staged import StagedVersion
from orchestration.quality.validate import validate
import datetime as dt
path = Path(sys.argv[1])
kind = SOURCE_KINDS["report_releases"]
t0 = time.perf_counter(); tables = kind.parse(path); t1 = time.perf_counter()
outcomes = validate("report_releases", path.stem, tables).outcomes; t2 = time.perf_counter()
staged = StagedVersion("report_releases", path.stem, "bench")
staged.write_tables(tables)
frames = staged.read_tables()
t3 = time.perf_counter()
with duckdb.connect(str(duckdb_path())) as conn:
    append_file_version(conn, FileVersion("report_releases", path.stem, str(path), "bench"), frames, "bench",
                        dt.datetime.now(dt.UTC))
t4 = time.perf_counter()
rows = len(tables["report_figures"])
print(json.dumps({"rows": rows, "parse_s": t1 - t0, "validate_s": t2 - t1, "stage_s": t3 - t2, "load_s": t4 - t3,
                  "failed_expectations": [o.name for o in outcomes if not o.success and o.severity == "error"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def throughput(rows: int, workdir: Path) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import write_figures_csv

    folder = workdir / "large"
    folder.mkdir()
    path = write_figures_csv(folder, "synthetic-large", rows, seed=99)
    result = _python(THROUGHPUT, workdir / "large-data", str(path))
    total = result["parse_s"] + result["validate_s"] + result["stage_s"] + result["load_s"]
    per_second = {
        f"{step}_rows_per_s": round(rows / result[f"{step}_s"]) for step in ("parse", "validate", "stage", "load")
    }
    return {**result, **per_second, "end_to_end_rows_per_s": round(rows / total), "end_to_end_s": round(total, 2)}


def code_location_load(workdir: Path) -> dict:
    """`dagster definitions validate`, first in a new data dir (dbt parses the manifest), then again."""
    env = _env(workdir / "load")
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "dagster"), "definitions", "validate", "-m", "orchestration.definitions"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - started)
    probe = (
        "import sys, time; t = time.perf_counter(); import orchestration.definitions; "
        "print(round(time.perf_counter() - t, 2), 'great_expectations' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    import_s, gx, mpl = out.stdout.split()
    return {
        "validate_new_data_dir_s": round(timings[0], 2),
        "validate_s": round(timings[1], 2),
        "import_definitions_s": float(import_s),
        "great_expectations_imported_at_load": gx == "True",
        "matplotlib_imported_at_load": mpl == "True",
    }


def _table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c)).ljust(widths[c]) for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="*", default=[1, 10])
    parser.add_argument("--history", type=int, nargs="*", default=[10, 1000, 10000])
    parser.add_argument("--large-rows", type=int, default=1_000_000)
    parser.add_argument("--parts", default="load,throughput,incremental,full")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import generate

    results: dict = {"machine": {"cpus": os.cpu_count()}, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    workdir = Path(tempfile.mkdtemp(prefix="ht-bench-scale-"))
    try:
        if "load" in parts:
            results["code_location_load"] = code_location_load(workdir)
            _table("Code location load", [results["code_location_load"]])
        if "throughput" in parts:
            results["throughput"] = throughput(args.large_rows, workdir)
            _table(f"Ingest of one {args.large_rows:,}-row release", [results["throughput"]])
        if "incremental" in parts:
            results["incremental"] = []
            for history in args.history:
                results["incremental"].append(incremental(history, workdir))
                _table("One new release, landing -> published snapshot", results["incremental"])
        if "full" in parts:
            results["full_build"] = []
            for scale in args.scales:
                synthetic = generate(workdir / "synthetic", scale)
                results["full_build"].append(full_build(scale, workdir, synthetic))
                _table("Full build: orchestrated vs raw loads + dbt vs compiled SQL", results["full_build"])
    finally:
        out_dir = Path(os.environ.get("HT_DATA_DIR", ROOT / "data")) / "bench"
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(results, indent=2))
        print(f"\nSaved {out}")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    print(
        f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
        file=sys.stderr,
    )
    main()
