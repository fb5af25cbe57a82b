"""The audit in write-audit-publish: which error-level dbt results failed in a candidate, with failing rows."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

logger = logging.getLogger(__name__)

# Failing rows shown per failed test: enough to find the bad figure, short enough to read in a report.
FAILING_ROWS = 5
# dbt statuses that block promotion: a failed error-level test, or a model or test that errored.
BLOCKING_STATUSES = ("fail", "error")


def blocking_results(run_results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The results of a `dbt build` that stop the candidate from going live (warn-level tests never do)."""
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
        if result["status"] in BLOCKING_STATUSES
    ]


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
