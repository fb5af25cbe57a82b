"""Scale and speed: the orchestrated pipeline against raw dbt and raw DuckDB, on SYNTHETIC data (bench/synthetic.py).

Usage: uv run python -m bench.scale [--scales 1 10] [--history 10 1000 10000] [--large-rows 1000000]
                                  [--parts full,incremental,throughput,load]

Prints one table per part and saves everything as JSON under `$HT_DATA_DIR/bench/`. Every run works in its own
temporary data directory; nothing touches the real warehouse.

1. full build at each scale: (a) the orchestrated pipeline (one batch run: land and validate every file, load,
   `dbt build` in the candidate, promote, publish), (b) the same raw loads done directly (parse + append, no Dagster,
   no validation) plus `dbt build` run by hand, (c) the compiled SQL of every model run directly in DuckDB after the
   raw loads; with the CPU seconds (user + system, whole processes) of (a) and (b): on N cores no schedule brings a
   side's wall time below its CPU seconds / N;
2. incremental: one new release from landing to the published snapshot with N releases already loaded;
3. ingest throughput of the large release: parse, validate, stage and load, in rows per second, and peak memory;
4. code location load: `dagster definitions validate`, and whether great-expectations is imported at load.

Each measurement runs in a fresh interpreter with its own data dir (bench/scale_parts.py).
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

from bench import machine
from bench.synthetic import generate, release_document, write_figures_csv, write_yaml_releases

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    env["HT_DATA_DIR"] = str(data_dir)
    return env


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished child processes so far, their own children included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _part(part: str, data_dir: Path, *args: str) -> dict:
    """Run one part of bench/scale_parts.py in a fresh interpreter with its own data dir; it prints one JSON
    object as its last line. `cpu_s` is added: the CPU seconds the whole process took."""
    cpu = _children_cpu_s()
    result = subprocess.run(
        [sys.executable, "-m", "bench.scale_parts", part, *args],
        env=_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1]) | {"cpu_s": _children_cpu_s() - cpu}


def _dbt(data_dir: Path, *command: str) -> tuple[float, float]:
    """Run a dbt command in the data dir: its wall seconds and CPU seconds."""
    env = _env(data_dir) | {
        "HT_DUCKDB_PATH": str(data_dir / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(data_dir / "dbt-target"),
        "DBT_LOG_PATH": str(data_dir / "dbt-logs"),
        # As the warehouse's own dbt builds log (orchestration/settings.py): the same work on both sides.
        "DBT_LOG_LEVEL_FILE": "info",
    }
    started, cpu = time.perf_counter(), _children_cpu_s()
    subprocess.run([str(BIN / "dbt"), *command, "--quiet"], cwd=ROOT / "dbt_project", env=env, check=True)
    return time.perf_counter() - started, _children_cpu_s() - cpu


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
    orchestrated = _part("orchestrated", orchestrated_dir, str(synthetic))
    loads = _part("raw-loads", raw_dir, str(synthetic))
    dbt_build, dbt_build_cpu = _dbt(raw_dir, "build")
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
        # CPU seconds: on N cores no schedule makes a side's wall time shorter than its CPU seconds / N.
        "orchestrated_cpu_s": round(orchestrated["cpu_s"], 1),
        "loads_plus_dbt_cpu_s": round(loads["cpu_s"] + dbt_build_cpu, 1),
    }


def incremental(history: int, workdir: Path) -> dict:
    folder = workdir / f"history-{history}" / "landing" / "report_releases"
    folder.mkdir(parents=True)
    write_yaml_releases(folder, history)
    new = workdir / f"history-{history}" / "synthetic-new.yaml"
    release = release_document("synthetic-new", "US-CA", 2024, random.Random(42))
    new.write_text(yaml.safe_dump(release, sort_keys=False))
    result = _part("incremental", workdir / f"history-{history}" / "data", str(folder), str(new))
    return {"releases_loaded": history, **{k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}}


def throughput(rows: int, workdir: Path) -> dict:
    folder = workdir / "large"
    folder.mkdir()
    path = write_figures_csv(folder, "synthetic-large", rows, seed=99)
    result = _part("throughput", workdir / "large-data", str(path))
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
    probe = _part("import-probe", workdir / "load")
    return {
        "validate_new_data_dir_s": round(timings[0], 2),
        "validate_s": round(timings[1], 2),
        "import_definitions_s": round(probe["import_definitions_s"], 2),
        "great_expectations_imported_at_load": probe["great_expectations_imported_at_load"],
        "matplotlib_imported_at_load": probe["matplotlib_imported_at_load"],
    }


def save_results(name: str, results: object) -> Path:
    """Save a bench's results as `$HT_DATA_DIR/bench/<name>-<time>.json` and say where."""
    out_dir = Path(os.environ.get("HT_DATA_DIR", ROOT / "data")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nSaved {out}")
    return out


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
    results: dict = {"machine": machine.describe(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    print(machine.line(results["machine"]))
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
        save_results("scale", results)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    print(
        f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
        file=sys.stderr,
    )
    main()
