"""A landed file's expectations as one Dagster check evaluation, and back as one row per expectation."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import dagster as dg

from orchestration.defs.landed_checks import EXPECTATIONS_CHECK, check_results, expectation_rows
from orchestration.defs.publish import _landing_rows
from orchestration.quality.runner import Outcome
from orchestration.quality.validate import PARSE_CHECK, Validation

KEY = dg.AssetKey(["landed", "hotline_state_calls_cases"])
PASSED = Outcome("counts_are_non_negative", "error", "counts are 0 or more", True)


def _failed_once(name: str, severity: str, description: str, row: str, ratio: float) -> Outcome:
    """An expectation that failed on one row."""
    found = {"row": row, "found": {"ratio": ratio}}
    return Outcome(name, severity, description, False, unexpected_count=1, examples=[found])


JUMP = _failed_once("no_tenfold_jump", "error", "no figure is 10x its previous period", "line 2 (AL 2016)", 888.9)
WARNING = _failed_once(
    "jump_below_warning_threshold", "warning", "no figure moves more than x3", "line 205 (SD 2013)", 5.95
)


def _evaluations(*outcomes: Outcome) -> list[dg.AssetCheckEvaluation]:
    return check_results("hotline_state_calls_cases", KEY, Validation(list(outcomes)), None, None, "states")


def test_an_error_level_failure_makes_the_check_an_error_named_in_its_description() -> None:
    parsed, expectations = _evaluations(WARNING, PASSED, JUMP)
    assert (parsed.check_name, parsed.passed) == (PARSE_CHECK, True)
    assert expectations.check_name == EXPECTATIONS_CHECK and not expectations.passed
    assert expectations.severity == dg.AssetCheckSeverity.ERROR
    # The error comes first even though the warning was evaluated first; the warning is named too.
    assert expectations.description.startswith("no_tenfold_jump: no figure is 10x its previous period: 1 unexpected")
    assert expectations.description.endswith("(also failed: jump_below_warning_threshold (warning))")
    assert "#### no_tenfold_jump" in expectations.metadata["details"].value
    assert expectations.metadata["failed"].value == 2


def test_only_warnings_make_it_a_warning_and_all_passed_makes_it_pass() -> None:
    [_, warned] = _evaluations(PASSED, WARNING)
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert warned.description.startswith("jump_below_warning_threshold: ")
    [_, passed] = _evaluations(PASSED)
    assert passed.passed and passed.description == "1 of 1 expectations passed"
    assert "details" not in passed.metadata


def test_a_file_that_does_not_parse_has_no_expectations_evaluation() -> None:
    error = {"message": "line 1 (header): missing column(s) Calls", "line": 1}
    [parsed] = check_results("hotline_state_calls_cases", KEY, Validation([]), error, None, "states")
    assert not parsed.passed and parsed.description == error["message"]
    assert "The expectations were not evaluated" in parsed.metadata["validation"].value


def test_the_published_rows_are_one_per_expectation_with_its_own_verdict() -> None:
    [_, evaluation] = _evaluations(PASSED, JUMP, WARNING)
    record = SimpleNamespace(
        key=dg.AssetCheckKey(KEY, EXPECTATIONS_CHECK),
        event=SimpleNamespace(asset_check_evaluation=evaluation),
        partition="states",
        run_id="run-1",
        status=SimpleNamespace(value="FAILED"),
        create_timestamp=dt.datetime(2026, 11, 30, tzinfo=dt.UTC).timestamp(),
    )
    rows = {row["check_name"]: row for row in _landing_rows(record)}
    assert [r["name"] for r in expectation_rows(evaluation)] == list(rows)
    assert {name: (r["status"], r["passed"], r["severity"]) for name, r in rows.items()} == {
        "counts_are_non_negative": ("SUCCEEDED", True, "ERROR"),
        "no_tenfold_jump": ("FAILED", False, "ERROR"),
        "jump_below_warning_threshold": ("FAILED", False, "WARN"),
    }
    assert rows["no_tenfold_jump"]["description"].startswith("no figure is 10x its previous period: 1 unexpected")
    assert {(r["asset_key"], r["partition_key"], r["run_id"]) for r in rows.values()} == {
        ("landed/hotline_state_calls_cases", "states", "run-1")
    }


def test_a_whole_read_takes_the_per_expectation_checks_of_files_landed_before_and_newer_rows_win() -> None:
    """Files landed before expectations became one evaluation keep their rows in `audit.check_results`."""
    from orchestration.defs.publish import landing_check_rows

    def legacy(partition: str, passed: bool) -> dg.AssetCheckEvaluation:
        return dg.AssetCheckEvaluation(
            asset_key=KEY, check_name="no_tenfold_jump", passed=passed, partition=partition, description="legacy"
        )

    [_, current] = check_results("hotline_state_calls_cases", KEY, Validation([PASSED, JUMP]), None, None, "new")
    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(legacy("old", passed=False))
        instance.report_runless_asset_event(legacy("new", passed=True))
        instance.report_runless_asset_event(current)
        rows, read_to = landing_check_rows(instance, [], None)
    found = {(r["partition_key"], r["check_name"]): (r["passed"], r["description"]) for r in rows}
    assert found[("old", "no_tenfold_jump")] == (False, "legacy")
    assert found[("new", "no_tenfold_jump")][0] is False and found[("new", "no_tenfold_jump")][1] != "legacy"
    assert found[("new", "counts_are_non_negative")] == (True, "counts are 0 or more")
    assert read_to is not None
