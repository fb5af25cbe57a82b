"""The landing sensor: every new or changed file in the landing zone, across kinds, goes into one batch run.

Each tick first marks batch runs whose process died as failed (defs/runs.py), then waits while a batch run is in
flight: files that arrive meanwhile make the next batch. What is new comes from the ledger (engine/ledger.py),
not from run keys or a watermark, so a file whose run was killed is simply still new and is taken again. A file
modified within the last second may still be being copied: the tick waits out that second (or until the landing
folders' notifications show its writer closing it), then looks again.
Dagster's daemon evaluates sensors at most every 5 s (not a setting). A tick with nothing to take therefore waits
all of that time (`LandingZone.wait_seconds`), for the batch run in flight to finish and on the landing folders'
notifications (engine/watch.py): a file that lands meanwhile is taken once it has settled, not at a later tick, and
the next tick follows at once.
Files the sensor cannot take (misplaced, of a type their folder does not take, badly named) are named in a
warning by the first tick that finds them; the sensor's cursor remembers them, so later ticks do not repeat it.
The run key (`batch:<digest of the files>:<attempt>`) only stops one tick from launching the same batch twice;
a batch that failed `MAX_ATTEMPTS` times (a bug, not a crash) waits for a fix instead of looping.
"""

from __future__ import annotations

import hashlib
import json
import time

import dagster as dg

from orchestration.defs.batch_run import batch_run_config, selected_keys
from orchestration.defs.jobs import BATCH_TAG, process_batch
from orchestration.defs.resources import LandingZone
from orchestration.defs.runs import batch_runs_in_flight, reap_dead_runs
from orchestration.engine.plan import Plan, batch_digest, make_plan
from orchestration.engine.storage import configured_warehouse
from orchestration.engine.watch import LandingWatch, landing_watch
from orchestration.settings import publish_dir

# One batch takes at most this many files; the rest make the next one.
MAX_FILES_PER_BATCH = 500
# Launches of one batch (the same new files) before the sensor stops retrying it and says so.
MAX_ATTEMPTS = 3
# How often a waiting tick asks whether the batch run in flight has finished.
IN_FLIGHT_POLL_SECONDS = 0.2
# After a notification, while a write is still open, how long a waiting tick lets the writer go on before it looks
# at the folders again (a file still open then is not read: the tick waits for its close).
REPLAN_SECONDS = 0.1


def first_seen(skipped: list[str], cursor: str | None) -> tuple[list[str], str]:
    """Of the files a tick does not take (misplaced, of the wrong type, badly named), those the tick before did not
    report either, and the cursor that remembers this tick's (digests of the messages). A file left where it is
    gets one warning, not one every tick; taken away and dropped again, it gets a new one."""
    digest = {message: hashlib.sha256(message.encode()).hexdigest()[:16] for message in skipped}
    try:
        reported = set(json.loads(cursor or "{}").get("skipped", []))
    except (ValueError, AttributeError):
        reported = set()  # a cursor from before this format: warn once more
    new = [message for message in skipped if digest[message] not in reported]
    return new, json.dumps({"skipped": sorted(set(digest.values()))})


def _plan(landing: LandingZone, watch: LandingWatch) -> Plan:
    return make_plan(
        landing.roots(include_shipped=False),
        configured_warehouse(),
        publish_dir(),
        limit=MAX_FILES_PER_BATCH,
        closed_at=watch.closed_at,
    )


def _next_plan(instance: dg.DagsterInstance, landing: LandingZone, watch: LandingWatch) -> Plan | dg.SkipReason:
    """The next batch once there is one, waiting up to `landing.wait_seconds` for it; else the plan with nothing
    to do, or why no batch can start now."""
    deadline = time.monotonic() + landing.wait_seconds
    while True:
        in_flight = batch_runs_in_flight(instance)
        if in_flight:
            if time.monotonic() + IN_FLIGHT_POLL_SECONDS < deadline:
                time.sleep(IN_FLIGHT_POLL_SECONDS)
                continue
            return dg.SkipReason(f"Batch run {in_flight[0].run_id} is in flight; new files wait for the next batch")
        since = watch.mark()
        plan = _plan(landing, watch)
        settling = plan.discovery.settles_in if len(plan.pending) < MAX_FILES_PER_BATCH else 0.0
        left = deadline - time.monotonic()
        if settling and left <= 0:
            # A file modified within the last second may still be being copied in: wait it out (at most
            # SETTLE_SECONDS), then take what has settled.
            time.sleep(settling)
            return _plan(landing, watch)
        if settling:
            # Look again once a notification comes (such as the file's close) or once it has settled.
            timeout = min(settling, left)
            if watch.wait(since, timeout):
                if watch.writing():  # a copy in progress raises many notifications: pace the looks
                    time.sleep(min(REPLAN_SECONDS, max(0.0, deadline - time.monotonic())))
            elif not watch.active:  # no notifications here: the wait returned at once
                time.sleep(timeout)
            continue
        if not plan.nothing_to_do or not watch.wait(since, left):
            return plan
        # Something changed. A copy in progress raises many notifications: while a write is open, look again a
        # moment later; once every write is closed, at once.
        if watch.writing():
            time.sleep(min(REPLAN_SECONDS, max(0.0, deadline - time.monotonic())))


@dg.sensor(
    name="landing_sensor",
    job=process_batch,
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Takes every new or changed file in the landing folders as one batch run (land, validate, load, "
    "test, promote, publish); relaunches the files of runs that died.",
)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZone) -> dg.SensorResult | dg.SkipReason:
    for run_id in reap_dead_runs(context.instance):
        context.log.warning(f"Run {run_id} died without finishing; its files are taken again")
    watch = landing_watch(landing.roots(include_shipped=False))
    plan = _next_plan(context.instance, landing, watch)
    if isinstance(plan, dg.SkipReason):
        return plan
    new_skips, cursor = first_seen(plan.discovery.skipped, context.cursor)
    for skipped in new_skips:
        context.log.warning(f"Skipped {skipped}")
    if cursor != context.cursor:
        context.update_cursor(cursor)
    if plan.nothing_to_do:
        skipped = len(plan.discovery.skipped)
        not_taken = f"; {skipped} file(s) not taken, named by the tick that first found them" if skipped else ""
        return dg.SkipReason(f"Nothing new ({plan.discovery.processed} file versions processed before){not_taken}")
    digest = batch_digest(plan.pending) if plan.pending else f"publish-{plan.full}"
    attempts = len(context.instance.get_run_ids(filters=dg.RunsFilter(tags={BATCH_TAG: digest})))
    if attempts >= MAX_ATTEMPTS:
        return dg.SkipReason(
            f"Batch {digest} ({len(plan.pending)} files) failed {attempts} times; open its runs (tag {BATCH_TAG}="
            f"{digest}) for the error. Changing or removing a file makes a new batch."
        )
    asset_graph = context.repository_def.asset_graph
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"batch:{digest}:{attempts}",
                run_config=batch_run_config(plan.pending),
                asset_selection=selected_keys(asset_graph, plan.kinds, plan.full),
                tags={BATCH_TAG: digest, "ht/files": str(len(plan.pending)), "ht/reasons": "; ".join(plan.reasons)},
            )
        ]
    )
