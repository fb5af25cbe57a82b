"""The `dbt_tests` check of each model, evaluated from the run results of the build that went live.

One evaluation per model stands for all of the model's dbt tests (translator.py declares it). It keeps every test
visible: a table of the model's tests with their status, failing row count and dbt's message, the first failing
rows of any test that warns, and the same as JSON (`test_results`), from which the published snapshot's
`audit.check_results` lists each test. Error-level failures never get here: they stop the promotion (audit.py),
and the refused file's `passes_warehouse_tests` check carries them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.defs.dbt.translator import TESTS_METADATA
from orchestration.engine.audit import describe, failing_rows, results_with_status

# dbt test statuses a check reports (`skipped` is not), and those that make it not pass.
NOT_PASSING = ("warn", "fail", "error")
REPORTED_STATUSES = ("pass", *NOT_PASSING)
TEST_RESULTS = "test_results"


def listed_tests(spec: dg.AssetCheckSpec) -> list[str]:
    """The unique ids of the dbt tests a model's `dbt_tests` check stands for."""
    return list(spec.metadata[TESTS_METADATA].value)


def _cell(text: Any) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")[:200]


def _table(tests: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| test | status | failing rows | message |", "|---|---|---:|---|"]
    for test in tests:
        lines.append(
            f"| {_cell(test['test'])} | {test['status']} | {test['failures'] or 0} | "
            f"{_cell(test['message'] if test['status'] != 'pass' else '')} |"
        )
    return "\n".join(lines)


def _evaluation(key: dg.AssetCheckKey, tests: list[dict[str, Any]]) -> dg.AssetCheckResult:
    not_passing = [t for t in tests if t["status"] != "pass"]
    warns_only = not_passing and all(t["status"] == "warn" for t in not_passing)
    severity = dg.AssetCheckSeverity.WARN if warns_only else dg.AssetCheckSeverity.ERROR
    verdict = f"{len(not_passing)} of {len(tests)} dbt tests " + ("warn" if warns_only else "fail")
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=not not_passing,
        severity=severity,
        description=f"{verdict}: {describe(not_passing)}" if not_passing else f"All {len(tests)} dbt tests pass",
        metadata={
            "tests": dg.MetadataValue.md(_table(tests)),
            "tests_passed": dg.MetadataValue.int(len(tests) - len(not_passing)),
            "tests_not_passing": dg.MetadataValue.int(len(not_passing)),
            TEST_RESULTS: dg.MetadataValue.json(tests),
        },
    )


def dbt_test_checks(context: dg.AssetExecutionContext, run_results: Mapping[str, Any], database: Path) -> Iterator[Any]:
    """One `dbt_tests` evaluation per selected model whose tests ran, with the first failing rows of every test
    that did not pass, read from `database` (the warehouse the build was promoted to)."""
    check_of = {test: spec.key for spec in context.assets_def.check_specs for test in listed_tests(spec)}
    not_passing = results_with_status(run_results, NOT_PASSING)
    rows = {entry["test"]: entry["failing_rows"] for entry in failing_rows(database, not_passing)}
    by_check: dict[dg.AssetCheckKey, list[dict[str, Any]]] = {}
    for result in results_with_status(run_results, REPORTED_STATUSES):
        key = check_of.get(result["unique_id"])
        if key is None or key not in context.selected_asset_check_keys:
            continue
        test = {name: result[name] for name in ("test", "unique_id", "status", "failures", "message")}
        by_check.setdefault(key, []).append({**test, "failing_rows": rows.get(result["test"], [])})
    for key, tests in by_check.items():
        yield _evaluation(key, tests)
