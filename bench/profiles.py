"""The embedded profile (DuckDB file) and the lake profile (DuckLake on PostgreSQL) side by side, in one run.

Usage: uv run python -m bench.profiles --server "host=127.0.0.1 port=5432 user=postgres" [--scales 1 10]

`--server` names a PostgreSQL server (libpq words, without dbname) where the bench may create and drop databases
`ht_bench_*`. For each scale and each profile, in fresh data dirs:

1. full build: the orchestrated pipeline over every file (1x: the shipped sources with `ht-warehouse build`;
   10x: the SYNTHETIC data of bench/synthetic.py, one batch run as bench/scale.py does);
2. one event (1x): a release dropped in the landing folder of the built data dir, then `ht-warehouse build`: the
   time from the drop to the published snapshot as a user of the CLI meets it (median of `--events` re-issues).

Prints the table and saves it as JSON under `$HT_DATA_DIR/bench/`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2

from bench.scale import _table, save_results
from bench.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# A real release (OCHTTF 2025, tests/data/releases), re-issued once per event as bench/landing_latency.py does.
NEW_RELEASE = ROOT / "tests/data/releases/ochttf-2025.yaml"


def _env(data_dir: Path, catalog: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    env["HT_DATA_DIR"] = str(data_dir)
    if catalog:
        env["HT_LAKE_CATALOG"] = catalog
    return env


@contextlib.contextmanager
def _database(server: str, name: str) -> Iterator[str]:
    """A new database on the server for one lake; dropped afterwards."""

    def run(sql: str) -> None:
        conn = psycopg2.connect(f"{server} dbname=postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()

    run(f'drop database if exists "{name}"')
    run(f'create database "{name}"')
    try:
        yield f"{server} dbname={name}"
    finally:
        run(f'drop database if exists "{name}" with (force)')


def _cli_build(data_dir: Path, catalog: str | None) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "ht-warehouse"), "build"], env=_env(data_dir, catalog), cwd=ROOT, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    return seconds


def _orchestrated(data_dir: Path, catalog: str | None, landing: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_parts", "orchestrated", str(landing)],
        env=_env(data_dir, catalog),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def _events(data_dir: Path, catalog: str | None, count: int) -> list[float]:
    """Re-issue the release (a comment line appended: new bytes, the same figures) and build; seconds per event."""
    landing = data_dir / "landing" / "report_releases"
    landing.mkdir(parents=True, exist_ok=True)
    seconds = []
    for number in range(1, count + 1):
        path = landing / NEW_RELEASE.name
        note = f"# Re-issued for the profiles benchmark, event {number}.\n"
        path.write_bytes(NEW_RELEASE.read_bytes() + note.encode())
        past = time.time() - 5  # settled: the pipeline leaves files younger than a second for the next look
        os.utime(path, (past, past))
        seconds.append(_cli_build(data_dir, catalog))
    return seconds


def measure(scale: int, profile: str, workdir: Path, server: str, events: int) -> dict:
    data_dir = workdir / f"{profile}-{scale}x"
    with contextlib.ExitStack() as stack:
        catalog = stack.enter_context(_database(server, f"ht_bench_{scale}x")) if profile == "lake" else None
        if scale == 1:
            full = _cli_build(data_dir, catalog)
        else:
            full = _orchestrated(data_dir, catalog, generate(workdir / "synthetic", scale))
        per_event = _events(data_dir, catalog, events) if scale == 1 else []
    return {
        "scale": f"{scale}x",
        "profile": profile,
        "full_build_s": round(full, 1),
        "event_median_s": round(statistics.median(per_event), 1) if per_event else "-",
        "event_max_s": round(max(per_event), 1) if per_event else "-",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, help="libpq words of a PostgreSQL server, without dbname")
    parser.add_argument("--scales", type=int, nargs="*", default=[1, 10])
    parser.add_argument("--events", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ht-bench-profiles-"))
    rows: list[dict] = []
    try:
        for scale in args.scales:
            for profile in ("local", "lake"):
                rows.append(measure(scale, profile, workdir, args.server, args.events))
                _table("Embedded (local DuckDB file) vs lake (DuckLake, catalog in PostgreSQL)", rows)
            local, lake = rows[-2]["full_build_s"], rows[-1]["full_build_s"]
            print(f"  lake / local full build at {scale}x: {lake / local:.2f}")
    finally:
        save_results("profiles", rows)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
