"""The event path with the real daemon: landing -> published latency, a burst of files, and the sensor's tick.

Usage: uv run python -m bench.landing_latency [--events 10] [--burst 110] [--files 10000]
           [--lake-server "host=127.0.0.1 port=5432 user=postgres"] [--default-launcher-too]

With `--lake-server` (a PostgreSQL server where the bench may create databases `ht_bench_*`), the latency is
measured twice in one run, side by side: `make dev` on the embedded profile, then the scale-out shape: the three
Dagster services apart (`ht-warehouse services`) with the instance in PostgreSQL and the warehouse on DuckLake.
With `--default-launcher-too`, it is first measured with Dagster's own run launcher (`HT_RUN_LAUNCHER=default`,
a new process per run) and then with the project's fork server, side by side.

1. `ht-warehouse build` twice on a fresh data dir: the full build, then the build with nothing new.
2. Latency: each event drops a re-issued real release (its shipped bytes plus a unique comment line, so a new
   version with the same figures) into the landing folder of the warehouse served by `dg dev`, and times until
   the published snapshot (what BI tools read) shows that version. Files arrive at random moments: each drop
   waits a random 0-5 s first, as the daemon's sensor loop runs every 5 s and a drop made right after the previous
   publication falls at the same point of that loop every time. The first event after the daemon starts is also
   reported apart: it launches while the run launcher's fork server is still warming up.
3. Burst: re-issues of real releases (SYNTHETIC comment lines, real figures) land at once; counts the batch
   runs until all are published.
4. Sensor tick over 10,000 SYNTHETIC landed files: the first tick (all hashed) and a steady tick (nothing new).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import machine

ROOT = Path(__file__).resolve().parent.parent
# Dagster's sensor daemon evaluates sensors every 5 s (MIN_INTERVAL_LOOP_TIME in dagster/_daemon/sensor.py).
SENSOR_LOOP_SECONDS = 5.0
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


def _batch_runs(data_dir: Path) -> list:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(data_dir / "dagster_home")) as instance:
        return [r for r in instance.get_runs() if r.job_name == "process_batch"]


# Where an event's time goes, from the run's own event log: (phase, event that ends it, step of that event).
PHASES = [
    ("sensor: landed -> run enqueued", "PIPELINE_ENQUEUED", None),
    ("queue: enqueued -> launched", "PIPELINE_STARTING", None),
    ("launch: run worker process start and imports", "PIPELINE_START", None),
    ("ingest step", "STEP_SUCCESS", "ingest_batch"),
    ("dbt step (build, tests, promote)", "STEP_SUCCESS", "warehouse_dbt_models"),
    ("publish step (snapshot)", "STEP_SUCCESS", "published__warehouse_snapshot"),
]


def _wait_for_runs(dagster_home: Path, env: dict[str, str], timeout: float = 120) -> None:
    """Wait until no batch run is queued or running: the last one draws its charts after it publishes, and stopping
    the services under it would leave it failed ("interrupted unexpectedly") in the instance."""
    import dagster as dg

    unfinished = dg.RunsFilter(
        job_name="process_batch",
        statuses=[
            dg.DagsterRunStatus.QUEUED,
            dg.DagsterRunStatus.NOT_STARTED,
            dg.DagsterRunStatus.STARTING,
            dg.DagsterRunStatus.STARTED,
            dg.DagsterRunStatus.CANCELING,
        ],
    )
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("HT_")})  # the instance file names them
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            _wait(lambda: not instance.get_runs(unfinished), timeout=timeout, interval=0.5)
    except TimeoutError:
        print(f"  a batch run was still unfinished after {timeout:.0f}s; stopping the services anyway", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _phases(dagster_home: Path, env: dict[str, str], dropped_at: list[float]) -> list[dict[str, float]]:
    """Per event, the seconds of each phase of PHASES, from the timestamps of the batch run that published it."""
    import dagster as dg

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("HT_")})  # the instance file names them
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            runs = sorted(
                (r for r in instance.get_runs() if r.job_name == "process_batch"),
                key=lambda r: instance.get_run_record_by_id(r.run_id).create_timestamp.timestamp(),
            )
            stamps = []
            for run in runs:
                first: dict[tuple[str, str | None], float] = {}
                for record in instance.all_logs(run.run_id):
                    if record.dagster_event is not None:
                        key = (record.dagster_event.event_type_value, record.dagster_event.step_key)
                        first.setdefault(key, record.timestamp)
                stamps.append(first)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    phases = []
    for dropped in dropped_at:
        after = [s for s in stamps if s.get(("PIPELINE_ENQUEUED", None), 0) > dropped]
        if not after:
            continue
        previous, row = dropped, {}
        for name, event, step in PHASES:
            at = after[0].get((event, step))
            if at is None:
                break
            row[name], previous = at - previous, at
        if len(row) == len(PHASES):
            phases.append(row)
    return phases


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def burst(files: int, data_dir: Path, landing: Path, shows) -> dict:
    """`files` re-issued releases at once, each in its own subfolder (new versions of real releases, marked by a
    SYNTHETIC comment line): the batch runs they take and the time until every version is published."""
    before = {r.run_id for r in _batch_runs(data_dir)}
    shas = []
    for i in range(files):
        original = RELEASES[i % len(RELEASES)]
        content = original.read_bytes() + f"# SYNTHETIC re-issue {i} for the burst benchmark.\n".encode()
        folder = landing / f"burst-{i:04d}"
        folder.mkdir()
        (folder / original.name).write_bytes(content)
        shas.append(hashlib.sha256(content).hexdigest())

    def all_published() -> bool:
        import duckdb

        try:
            with duckdb.connect(str(data_dir / "published/current/warehouse.duckdb"), read_only=True) as conn:
                found = conn.execute(
                    "select count(distinct file_sha256) from marts.fct_report_figures "
                    "where list_contains(?, file_sha256)",
                    [shas],
                ).fetchone()[0]
            return found == len(shas)
        except duckdb.Error:
            return False

    seconds = _wait(all_published, timeout=1800, interval=1)
    runs = [r for r in _batch_runs(data_dir) if r.run_id not in before]
    print(f"  burst of {files} files: published after {seconds:.1f}s in {len(runs)} batch run(s)", flush=True)
    return {
        "files": files,
        "seconds": round(seconds, 1),
        "batch_runs": len(runs),
        "files_per_run": [r.tags.get("ht/files") for r in runs],
    }


def _scale_out_env(server: str) -> dict[str, str]:
    """New databases for the lake's catalog and Dagster's instance on the server; the settings that name them."""
    import psycopg2
    from psycopg2.extensions import parse_dsn

    conn = psycopg2.connect(f"{server} dbname=postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            for name in ("ht_bench_lake", "ht_bench_dagster"):
                cursor.execute(f"drop database if exists {name} with (force)")
                cursor.execute(f"create database {name}")
    finally:
        conn.close()
    words = parse_dsn(server)
    url = f"postgresql://{words.get('user', 'postgres')}@{words.get('host', '127.0.0.1')}:{words.get('port', 5432)}"
    return {"HT_LAKE_CATALOG": f"{server} dbname=ht_bench_lake", "HT_DAGSTER_POSTGRES_URL": f"{url}/ht_bench_dagster"}


def latency(
    events: int, data_dir: Path, burst_files: int = 110, lake_server: str | None = None, launcher: str = "fork-server"
) -> dict:
    import duckdb

    from orchestration.deploy.services import stop_process_groups

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    env["HT_DATA_DIR"] = str(data_dir)
    env["HT_RUN_LAUNCHER"] = launcher
    if lake_server:
        env.update(_scale_out_env(lake_server))
    bin_dir = Path(sys.executable).parent
    print(f"building a warehouse in {data_dir} ...", flush=True)
    builds = []
    for _ in range(2):
        started = time.monotonic()
        subprocess.run([str(bin_dir / "ht-warehouse"), "build"], env=env, check=True, capture_output=True)
        builds.append(time.monotonic() - started)
    print(f"  full build {builds[0]:.1f}s, build with nothing new {builds[1]:.2f}s", flush=True)
    port = _free_port()
    log = (data_dir / "dg-dev.log").open("w")
    serve = ["services", "--grpc-port", str(_free_port())] if lake_server else ["dev"]
    server = subprocess.Popen(
        [str(bin_dir / "ht-warehouse"), *serve, "--port", str(port)],
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

    timings, dropped_at = [], []
    burst_result: dict = {}
    try:
        _wait(up, timeout=120)
        time.sleep(10)  # let the first sensor ticks pass
        landing = data_dir / "landing" / "report_releases"
        arrivals = random.Random(events)
        for event in range(events):
            time.sleep(arrivals.uniform(0, SENSOR_LOOP_SECONDS))
            original = RELEASES[event % len(RELEASES)]
            content = original.read_bytes() + f"# Re-issued for the latency benchmark, event {event}.\n".encode()
            sha = hashlib.sha256(content).hexdigest()
            started = time.monotonic()
            dropped_at.append(time.time())
            (landing / original.name).write_bytes(content)
            _wait(lambda sha=sha: shows(sha))
            timings.append(time.monotonic() - started)
            print(f"  event {event + 1:>2}: {original.name} published after {timings[-1]:.1f}s", flush=True)
        if burst_files:
            burst_result = burst(burst_files, data_dir, landing, shows)
        _wait_for_runs(data_dir / "dagster_home", env)
    finally:
        # Started from a script in the background, `dg dev` may ignore SIGTERM: its group is killed after the grace.
        stop_process_groups({"dg dev": server}, lambda line: print(f"  {line}", flush=True))
        log.close()
    phases = _phases(data_dir / "dagster_home", env, dropped_at)
    return {
        "full_build_s": round(builds[0], 1),
        "nothing_new_build_s": round(builds[1], 2),
        "phases_median_s": {
            name: round(_percentile([p[name] for p in phases], 0.5), 2) for name in (phases[0] if phases else {})
        },
        "burst": burst_result,
        "events": events,
        "latencies_s": [round(t, 2) for t in timings],
        "p50_s": round(_percentile(timings, 0.5), 2),
        "p95_s": round(_percentile(timings, 0.95), 2),
        "first_event_s": round(timings[0], 2) if timings else None,
        "later_p50_s": round(_percentile(timings[1:], 0.5), 2) if len(timings) > 1 else None,
        "later_p95_s": round(_percentile(timings[1:], 0.95), 2) if len(timings) > 1 else None,
    }


def sensor_tick(files: int, data_dir: Path) -> dict:
    """The landing sensor over `files` SYNTHETIC landed files: the first tick hashes them all, later ones stat."""
    os.environ["HT_DATA_DIR"] = str(data_dir)
    with tempfile.TemporaryDirectory(prefix="ht-bench-landing-") as landing_root:
        os.environ["HT_LANDING_DIR"] = landing_root
        import dagster as dg

        from orchestration.definitions import defs
        from orchestration.defs.resources import LandingZone

        folder = Path(landing_root) / "report_releases"
        folder.mkdir()
        template = RELEASES[0].read_text()
        past = time.time() - 60
        for i in range(files):
            path = folder / f"synthetic-{i:05d}.yaml"
            path.write_text(f"# SYNTHETIC benchmark file {i}\n{template}")
            os.utime(path, (past, past))
        sensor = defs.resolve_sensor_def("landing_sensor")
        resources = {"landing": LandingZone(path=landing_root)}
        ticks = []
        with dg.instance_for_test() as instance:
            for _ in range(2):
                with dg.build_sensor_context(instance=instance, resources=resources, definitions=defs) as context:
                    started = time.monotonic()
                    result = sensor(context)
                    ticks.append((time.monotonic() - started, result))
    first, steady = ticks
    files_in_batch = len(first[1].run_requests[0].run_config["ops"]["ingest_batch"]["config"]["files"])
    return {
        "files": files,
        "first_tick_s": round(first[0], 3),
        "first_tick_files_in_batch": files_in_batch,
        "steady_tick_s": round(steady[0], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--burst", type=int, default=110)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--lake-server", help="also measure the services on PostgreSQL with the lake (libpq words)")
    parser.add_argument(
        "--default-launcher-too",
        action="store_true",
        help="first measure the latency with Dagster's own run launcher (HT_RUN_LAUNCHER=default), side by side",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ht-bench-"))
    result: dict = {"machine": machine.describe()}
    if args.default_launcher_too:
        result["latency_default_launcher"] = latency(args.events, data_dir / "default-launcher", 0, launcher="default")
    result["latency"] = latency(args.events, data_dir / "latency", args.burst)
    result["sensor"] = sensor_tick(args.files, data_dir / "sensor")
    if args.lake_server:
        # The burst reads the run list from the instance: measured on the embedded profile only.
        result["latency_scale_out"] = latency(args.events, data_dir / "scale-out", 0, args.lake_server)
    lat, sen = result["latency"], result["sensor"]
    result["machine_after"] = machine.describe()  # the machine's speed may change during a run of 10+ minutes
    print()
    print(machine.line(result["machine"]))
    print(f"  at the end: {machine.line(result['machine_after'])}")
    print(f"landing -> published over {lat['events']} events: p50 {lat['p50_s']:.1f}s, p95 {lat['p95_s']:.1f}s")
    if lat["later_p50_s"] is not None:
        print(
            f"  the first after the daemon started {lat['first_event_s']:.1f}s; the {lat['events'] - 1} after it: "
            f"p50 {lat['later_p50_s']:.1f}s, p95 {lat['later_p95_s']:.1f}s"
        )
    if args.default_launcher_too:
        old = result["latency_default_launcher"]
        print(
            f"  with Dagster's own run launcher (HT_RUN_LAUNCHER=default): p50 {old['p50_s']:.1f}s, "
            f"p95 {old['p95_s']:.1f}s; phases {old['phases_median_s']}"
        )
    if args.lake_server:
        out = result["latency_scale_out"]
        print(
            f"  with the services apart, on PostgreSQL and DuckLake: p50 {out['p50_s']:.1f}s, p95 {out['p95_s']:.1f}s "
            f"({out['p50_s'] / lat['p50_s']:.2f}x); full build {out['full_build_s']}s vs {lat['full_build_s']}s"
        )
    print(f"full build {lat['full_build_s']}s; build with nothing new {lat['nothing_new_build_s']}s")
    print(f"burst: {lat['burst']}")
    for label, measured in (("make dev", lat), ("services + lake", result.get("latency_scale_out"))):
        if measured:
            print(f"where an event's time goes ({label}), medians: {measured['phases_median_s']}")
    print(
        f"sensor tick over {sen['files']:,} landed files: first tick {sen['first_tick_s']:.2f}s "
        f"({sen['first_tick_files_in_batch']} files in its batch, capped), steady tick {sen['steady_tick_s']:.3f}s"
    )
    out = data_dir / "landing_latency.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
