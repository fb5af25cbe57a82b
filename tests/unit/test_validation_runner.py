"""great-expectations runs each suite from one context per process: each file must still get its own results."""

from __future__ import annotations

import pandas as pd

from orchestration.quality.runner import run_suite
from orchestration.quality.suites import ExpectationDef

SUITE = [
    ExpectationDef(
        "value_in_range",
        "figures",
        "values lie within 0..10",
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=10),
    )
]


def _frame(values: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"row_ref": [f"line {n + 2}" for n in range(len(values))], "value": values})


def test_files_validated_one_after_another_with_one_prepared_suite_get_their_own_results() -> None:
    """Same suite, same frame name, same shape: the second file's failures are its own, and the first file
    validated again passes again (nothing of one file's metrics is reused for the next)."""
    first = run_suite(SUITE, {"figures": _frame([1, 2, 3])})
    second = run_suite(SUITE, {"figures": _frame([4, 50, 60])})
    third = run_suite(SUITE, {"figures": _frame([1, 2, 3])})
    assert [o.success for o in (first[0], second[0], third[0])] == [True, False, True]
    assert second[0].unexpected_count == 2
    assert [e["row"] for e in second[0].examples] == ["line 3", "line 4"]
    assert [e["found"] for e in second[0].examples] == [{"value": 50}, {"value": 60}]
