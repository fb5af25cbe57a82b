"""Landing -> published snapshot latency with the real daemon, and sensor tick time over 10,000 landed files.

Usage: uv run python bench/landing_latency.py [--events 10] [--files 10000]

Each event drops a re-issued real release (its shipped bytes plus a unique comment line, so a new version with
the same figures) into the landing folder of a freshly built warehouse served by `dg dev`, and times until
the published snapshot (what BI tools read; polling the warehouse file itself would take DuckDB's lock from
the pipeline's writers) shows that version. The sensor part lists SYNTHETIC files generated here and evaluates
the report release sensor on them: a first tick (watermark empty) and a steady tick (nothing new).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = sorted((ROOT / "sources/report_releases/ochttf").glob("ochttf-20*.yaml"))


def _wait(condition, timeout: float = 600, interval: float = 0.25) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    raise TimeoutError("condition not met")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def latency(events: int, data_dir: Path) -> dict:
    import duckdb

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    env["HT_DATA_DIR"] = str(data_dir)
    bin_dir = Path(sys.executable).parent
    print(f"building a warehouse in {data_dir} ...", flush=True)
    subprocess.run([str(bin_dir / "ht-warehouse"), "build"], env=env, check=True, capture_output=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (data_dir / "dg-dev.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "ht-warehouse"), "dev", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    database = data_dir / "published" / "current" / "warehouse.duckdb"

    def shows(sha: str) -> bool:
        try:
            with duckdb.connect(str(database), read_only=True) as conn:
                return (
                    conn.execute(
                        "select count(*) from marts.fct_report_figures where file_sha256 = ? and is_latest_version",
                        [sha],
                    ).fetchone()[0]
                    > 0
                )
        except duckdb.Error:
            return False

    def up() -> bool:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).status == 200
        except OSError:
            return False

    timings = []
    try:
        _wait(up, timeout=120)
        time.sleep(10)  # let the first sensor and automation ticks pass
        landing = data_dir / "landing" / "report_releases"
        for event in range(events):
            original = RELEASES[event % len(RELEASES)]
            content = original.read_bytes() + f"# Re-issued for the latency benchmark, event {event}.\n".encode()
            sha = hashlib.sha256(content).hexdigest()
            started = time.monotonic()
            (landing / original.name).write_bytes(content)
            _wait(lambda sha=sha: shows(sha))
            timings.append(time.monotonic() - started)
            print(f"  event {event + 1:>2}: {original.name} published after {timings[-1]:.1f}s", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    return {
        "events": events,
        "latencies_s": [round(t, 2) for t in timings],
        "p50_s": round(_percentile(timings, 0.5), 2),
        "p95_s": round(_percentile(timings, 0.95), 2),
    }


def sensor_tick(files: int, data_dir: Path) -> dict:
    os.environ["HT_DATA_DIR"] = str(data_dir)
    with tempfile.TemporaryDirectory(prefix="ht-bench-landing-") as landing_root:
        os.environ["HT_LANDING_DIR"] = landing_root
        import dagster as dg

        from orchestration.definitions import defs
        from orchestration.ingest.landing import LandingZone

        folder = Path(landing_root) / "report_releases"
        folder.mkdir()
        template = RELEASES[0].read_text()
        for i in range(files):
            (folder / f"synthetic-{i:05d}.yaml").write_text(f"# SYNTHETIC benchmark file {i}\n{template}")
        sensor = defs.resolve_sensor_def("report_releases_landing_sensor")
        resources = {"landing": LandingZone(path=landing_root)}
        with dg.instance_for_test() as instance:
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                started = time.monotonic()
                first = sensor(context)
                first_tick = time.monotonic() - started
            with dg.build_sensor_context(instance=instance, cursor=str(time.time() + 1), resources=resources) as ctx:
                started = time.monotonic()
                steady = sensor(ctx)
                steady_tick = time.monotonic() - started
    return {
        "files": files,
        "first_tick_s": round(first_tick, 3),
        "first_tick_run_requests": len(first.run_requests),
        "steady_tick_s": round(steady_tick, 3),
        "steady_tick_run_requests": len(steady.run_requests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ht-bench-"))
    result = {
        "machine": f"{os.cpu_count()} cores",
        "latency": latency(args.events, data_dir / "latency"),
        "sensor": sensor_tick(args.files, data_dir / "sensor"),
    }
    lat, sen = result["latency"], result["sensor"]
    print()
    print(f"landing -> published over {lat['events']} events: p50 {lat['p50_s']:.1f}s, p95 {lat['p95_s']:.1f}s")
    print(
        f"sensor tick over {sen['files']:,} landed files: first tick {sen['first_tick_s']:.2f}s "
        f"({sen['first_tick_run_requests']} run requests, capped per tick), steady tick {sen['steady_tick_s']:.3f}s"
    )
    out = data_dir / "landing_latency.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
