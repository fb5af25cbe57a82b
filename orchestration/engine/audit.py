"""The audit in write-audit-publish: build and test the candidate, and find the files that fail its tests.

dbt is passed in (`DbtBuild`), so this runs the same under Dagster and in a unit test with a fake dbt. While
error-level tests fail, each new file of the batch is tried alone to find the responsible ones; they are
quarantined with the failing tests and their first rows, and the rest of the batch is built again, so no file
can jam the pipeline. A test that fails without any new file is the models' fault: nothing is promoted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import duckdb

from orchestration.engine.batch import Batch
from orchestration.engine.dbt_selection import built_by_current_project
from orchestration.engine.land import refuse_after_tests
from orchestration.engine.versions import FileVersion

logger = logging.getLogger(__name__)

# Failing rows shown per failed test: enough to find the bad figure, short enough to read in a report.
FAILING_ROWS = 5
# dbt statuses that block promotion: a failed error-level test, or a model or test that errored.
BLOCKING_STATUSES = ("fail", "error")
# Evaluated after landing: the file's rows in a candidate copy of the warehouse pass every error-level dbt test.
WAREHOUSE_TESTS_CHECK = "passes_warehouse_tests"

Failure = dict[str, Any]


class DbtBuild(Protocol):
    """What the audit needs of dbt: the run's build in the candidate, and a rebuild of failing tests only."""

    def build(self) -> list[Failure]:
        """`dbt build` of the run's selection in the batch's candidate; the blocking results (none: it passes)."""
        ...

    def rebuild_failing(self, failures: list[Failure]) -> list[Failure]:
        """Only the failing tests and the models they read, in the current candidate; those that still fail."""
        ...


class ModelsFail(RuntimeError):
    """Error-level tests fail without any new file: the fault is in the dbt models, nothing is promoted."""

    def __init__(self, message: str, report: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.report = report


def results_with_status(run_results: Mapping[str, Any], statuses: tuple[str, ...]) -> list[Failure]:
    """The results of a `dbt build` with one of these statuses, in the form failing_rows() and reports take."""
    return [
        {
            "unique_id": result["unique_id"],
            "test": result["unique_id"].split(".")[2] if result["unique_id"].startswith("test.") else None,
            # What dbt's --select takes for the node: a test's or a model's name.
            "name": result["unique_id"].split(".")[2],
            "node": result["unique_id"],
            "status": result["status"],
            "message": (result.get("message") or "").strip()[:500],
            "failures": result.get("failures"),
            "compiled_code": result.get("compiled_code"),
        }
        for result in run_results.get("results", [])
        if result["status"] in statuses
    ]


def blocking_results(run_results: Mapping[str, Any]) -> list[Failure]:
    """The results of a `dbt build` that stop the candidate from going live (warn-level tests never do)."""
    return results_with_status(run_results, BLOCKING_STATUSES)


def failing_rows(candidate: Path, failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each failure as a report entry: the test or model, dbt's message and the first failing rows."""
    entries = []
    with duckdb.connect(str(candidate), read_only=True) as conn:
        for failure in failures:
            rows: list[dict[str, Any]] = []
            if failure["test"] and failure["compiled_code"]:
                try:
                    cursor = conn.execute(f"select * from ({failure['compiled_code']}) limit {FAILING_ROWS}")
                    names = [d[0] for d in cursor.description]
                    rows = [dict(zip(names, map(str, row), strict=True)) for row in cursor.fetchall()]
                except duckdb.Error as error:  # a test whose SQL needs dbt's context: its message stays
                    logger.info("Could not fetch failing rows of %s: %s", failure["unique_id"], error)
            entries.append(
                {
                    "test": failure["test"] or failure["node"],
                    "status": failure["status"],
                    "message": failure["message"],
                    "failures": failure["failures"],
                    "failing_rows": rows,
                }
            )
    return entries


def describe(failures: list[dict[str, Any]]) -> str:
    return "; ".join(f"{f['test'] or f['node']} ({f['status']}: {f['message'][:120]})" for f in failures)


Refused = Callable[[FileVersion, list[dict[str, Any]], Path], None]


def _failing_alone(dbt: DbtBuild, batch: Batch, versions: list[FileVersion], failures: list[Failure]) -> list:
    """The given failures that recur in a candidate holding only these new versions."""
    batch.prepare(versions)
    return dbt.rebuild_failing(failures)


def find_culprits(
    dbt: DbtBuild, batch: Batch, failures: list[Failure], log: Callable[[str], None] = logger.info
) -> dict[FileVersion, list[dict[str, Any]]]:
    """The new versions that make error-level tests fail, each with its failing tests and rows."""
    if len(batch.accepted) == 1:
        return {batch.accepted[0]: failing_rows(batch.candidate_or_copy(), failures)}
    found: dict[FileVersion, list[dict[str, Any]]] = {}
    for number, version in enumerate(batch.accepted, start=1):
        log(f"Trying {version.path} alone ({number}/{len(batch.accepted)}) to find what fails the tests")
        alone = _failing_alone(dbt, batch, [version], failures)
        if alone:
            found[version] = failing_rows(batch.candidate_or_copy(), alone)
    # Every file passes alone, so they fail together: none of them goes live.
    return found or {v: failing_rows(batch.prepare(), failures) for v in batch.accepted}


def audit(dbt: DbtBuild, batch: Batch, on_refused: Refused, log: Callable[[str], None] = logger.info) -> bool:
    """Build and test the candidate; while tests fail, quarantine the files that fail them and build again.

    Each round quarantines at least one file, so this ends: True with a candidate that passes (to promote),
    False with nothing left to promote. Raises ModelsFail when the tests fail without any new file.
    """
    models_tested = built_by_current_project(batch.warehouse)
    batch.candidate_or_copy()
    while True:
        failures = dbt.build()
        if not failures:
            return True
        if not batch.accepted or (not models_tested and _failing_alone(dbt, batch, [], failures)):
            raise ModelsFail(
                f"Not promoting: {describe(failures)}. The live warehouse fails these tests without this run's "
                "files, so the fault is in the dbt models (or a retraction), not in a new file; the live warehouse "
                "and the published snapshot are unchanged.",
                failing_rows(batch.prepare(), failures),
            )
        models_tested = True
        for version, report in find_culprits(dbt, batch, failures, log).items():
            folder = refuse_after_tests(batch.warehouse, version, report)
            batch.accepted.remove(version)
            batch.quarantined.append(version)
            on_refused(version, report, folder)
        if not batch.accepted and not batch.retracted:
            return False
        batch.prepare()
