"""great-expectations runs each suite from one context per process: each file must still get its own results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.quality.runner import run_suite_alone, run_suites
from orchestration.quality.suites import ExpectationDef, suite_for
from orchestration.quality.validate import ParsedFile, References, frames_of, validate_many
from tests.quality_corpus import CASES, Case

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
    first = run_suite_alone(SUITE, {"figures": _frame([1, 2, 3])})
    second = run_suite_alone(SUITE, {"figures": _frame([4, 50, 60])})
    third = run_suite_alone(SUITE, {"figures": _frame([1, 2, 3])})
    assert [o.success for o in (first[0], second[0], third[0])] == [True, False, True]
    assert second[0].unexpected_count == 2
    assert [e["row"] for e in second[0].examples] == ["line 3", "line 4"]
    assert [e["found"] for e in second[0].examples] == [{"value": 50}, {"value": 60}]


def _parsed_cases(folder: Path) -> dict[str, list[tuple[str, ParsedFile]]]:
    """Every shipped file of the corpus' kinds and every corpus case that parses, by kind, with no references."""
    files: dict[str, list[tuple[str, ParsedFile]]] = {}
    originals = {case.original: Case(case.original.stem, case.original, lambda data: data, "", "") for case in CASES}
    for case in [*originals.values(), *CASES]:
        target = folder / case.id / case.name
        target.parent.mkdir(parents=True)
        target.write_bytes(case.mutate(case.original.read_bytes()))
        provenance = case.original.with_name(case.original.name.split(".")[0] + ".provenance.yaml")
        if case.kind != "report_releases" and case.with_provenance:
            record = provenance.read_text()
            record = case.provenance_change(record) if case.provenance_change else record
            target.with_name(target.name.split(".")[0] + ".provenance.yaml").write_text(record)
        try:
            tables = SOURCE_KINDS[case.kind].parse(target)
        except SourceFileError:
            continue
        files.setdefault(case.kind, []).append((case.check, ParsedFile(tables, References())))
    return files


def test_files_validated_together_get_what_each_gets_alone(tmp_path: Path) -> None:
    """The shipped files and the malformed corpus, a kind's files validated at once: each file's outcomes (success,
    count of failing rows, the rows named, errors) are those it gets validated alone. The corpus' cases fail
    their checks together as alone (those that need references, such as jumps, pass here: there are none)."""
    refused = {}
    for kind, files in _parsed_cases(tmp_path).items():
        together = validate_many(kind, [file for _, file in files])
        alone = [run_suite_alone(suite_for(kind), frames_of(kind, file)[0]) for _, file in files]
        assert [v.outcomes for v in together] == alone, kind
        assert [v.outcomes for v in validate_many(kind, [file for _, file in files[:2]])] == alone[:2], kind
        failed = [{o.name for o in v.outcomes if not o.success} for v in together]
        refused[kind] = sum(check in names for (check, _), names in zip(files, failed, strict=True))
    assert refused == {
        "report_releases": 16,
        "hotline_state_calls_cases": 9,
        "hotline_national_signals_fy": 2,
        "hotline_published_figures": 2,
    }


def test_files_that_cannot_be_judged_together_are_validated_alone() -> None:
    """Numbers in one file and text in the other: the range check raises over both at once, so each file is
    validated alone, and gets what it gets alone (the text file an error, the other a pass)."""
    numbers = {"figures": _frame([1, 2, 3])}
    text = {"figures": pd.DataFrame({"row_ref": ["line 2"], "value": ["many"]})}
    together = run_suites(SUITE, [numbers, text])
    assert together == [run_suite_alone(SUITE, numbers), run_suite_alone(SUITE, text)]
    assert together[0][0].success and together[0][0].error is None
    assert not together[1][0].success
    assert together[1][0].problem() == (
        "values lie within 0..10: could not be evaluated: "
        "Column values, min_value, and max_value must either be None or of the same type."
    )
