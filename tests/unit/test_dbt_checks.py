"""The `dbt_tests` check per model: which tests it stands for, and what its evaluation shows."""

from __future__ import annotations

import json

import dagster as dg

from orchestration.defs.dbt.checks import _evaluation, listed_tests

KEY = dg.AssetCheckKey(dg.AssetKey(["marts", "fct_victims"]), "dbt_tests")


def _test(name: str, status: str, failures: int = 0, message: str = "") -> dict:
    return {"test": name, "unique_id": f"test.p.{name}.1", "status": status, "failures": failures,
            "message": message, "failing_rows": [{"row": "1"}] if failures else []}  # fmt: skip


def test_each_dbt_test_belongs_to_exactly_one_model_check() -> None:
    from orchestration.defs.dbt.assets import warehouse_dbt_models
    from orchestration.defs.dbt.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    declared = [test for spec in warehouse_dbt_models.check_specs for test in listed_tests(spec)]
    assert sorted(declared) == sorted(uid for uid in manifest["nodes"] if uid.startswith("test."))
    assert {key.name for key in warehouse_dbt_models.check_keys} == {"dbt_tests"}


def test_a_check_passes_when_every_test_passes() -> None:
    result = _evaluation(KEY, [_test("a", "pass"), _test("b", "pass")])
    assert result.passed and result.description == "All 2 dbt tests pass"
    assert result.metadata["tests_passed"].value == 2


def test_warnings_make_a_warning_and_name_the_tests() -> None:
    result = _evaluation(KEY, [_test("a", "pass"), _test("b", "warn", 3, "Got 3 results | configured to warn")])
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.description.startswith("1 of 2 dbt tests warn: b (warn: Got 3 results")
    table = result.metadata["tests"].value
    assert "| b | warn | 3 | Got 3 results \\| configured to warn |" in table and "| a | pass | 0 |  |" in table
    assert result.metadata["test_results"].value[1]["failing_rows"] == [{"row": "1"}]


def test_a_failing_test_makes_an_error_even_beside_warnings() -> None:
    result = _evaluation(KEY, [_test("a", "warn", 1), _test("b", "fail", 2)])
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.description.startswith("2 of 2 dbt tests fail")
