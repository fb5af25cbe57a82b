"""Files the quality gates let through, and what they show: a correction whose record says why, Excel's UTF-8
with its byte-order mark, a second copy of a table that disagrees (the conflict register names both), and the
build summary's count of files (the refused cases are in tests/quality_corpus.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.defs.batch_run import BatchReport, FileOutcome
from orchestration.defs.landed_checks import EXPECTATIONS_CHECK, expectation_rows
from tests.conftest import PROJECT_ROOT, BuiltWarehouse

STATES = PROJECT_ROOT / "sources/hotline_state_calls_cases/state_calls_cases_2012_2016.csv"
RELEASE = PROJECT_ROOT / "sources/report_releases/ochttf/ochttf-2023.yaml"
TX_2016 = "2016,2135,670,texas,TX"
TX_2016_CORRECTED = "2016,2135,67,texas,TX"
OTHER_SCRAPE = PROJECT_ROOT / "tests/data/hotline/other_scrape_2024.csv"
NOTE = "correction_note: Texas 2016 re-read from the hotline page; the earlier copy had an extra digit.\n"


def _evaluation(report: BatchReport, partition: str):
    """A file's `passes_expectations` evaluation: its metadata carries the correction's diff."""
    for event in report.result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.asset_check_evaluation_data
            if data.partition == partition and data.check_name == EXPECTATIONS_CHECK:
                return data
    raise AssertionError(f"no evaluation of {EXPECTATIONS_CHECK} on {partition}")


def _expectation(report: BatchReport, partition: str, name: str) -> dict:
    return next(row for row in expectation_rows(_evaluation(report, partition)) if row["name"] == name)


@pytest.fixture(scope="module")
def corrected(private_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> BatchReport:
    """One batch: the state table with TX 2016 changed tenfold and a correction_note, a release saved with
    Excel's UTF-8 byte-order mark, and another copy of California's 2024 cases (1,733 where we have 1,734)."""
    from orchestration.definitions import defs
    from orchestration.defs.batch_run import run_batch
    from orchestration.engine.versions import FileVersion
    from orchestration.parsers.files import sha256_of

    folder = tmp_path_factory.mktemp("corrections")
    table = folder / STATES.name
    table.write_text(STATES.read_text().replace(TX_2016, TX_2016_CORRECTED))
    provenance = STATES.with_name(STATES.name.replace(".csv", ".provenance.yaml"))
    table.with_name(provenance.name).write_text(provenance.read_text() + NOTE)
    release = folder / RELEASE.name
    release.write_bytes(b"\xef\xbb\xbf" + RELEASE.read_bytes())
    other = folder / OTHER_SCRAPE.name
    other.write_bytes(OTHER_SCRAPE.read_bytes())
    other.with_name(f"{other.stem}.provenance.yaml").write_bytes(
        OTHER_SCRAPE.with_name(f"{OTHER_SCRAPE.stem}.provenance.yaml").read_bytes()
    )
    versions = [
        FileVersion("hotline_state_calls_cases", table.stem, str(table), sha256_of(table)),
        FileVersion("report_releases", release.stem, str(release), sha256_of(release)),
        FileVersion("hotline_published_figures", other.stem, str(other), sha256_of(other)),
    ]
    return run_batch(defs, private_warehouse.instance, versions)


def test_a_correction_with_a_note_goes_through_and_shows_what_changed(
    corrected: BatchReport, private_warehouse: BuiltWarehouse
) -> None:
    assert corrected.success and not corrected.refused
    cases = private_warehouse.query_snapshot(
        "select case_count from marts.fct_hotline_cases where jurisdiction_id = 'US-TX' "
        "and period_id = '2016-01-01/2016-12-31' and source_id = 'nhth-state-calls-cases-2012-2016'"
    )
    assert cases == [(67,)]
    assert _expectation(corrected, STATES.stem, "correction_explained")["passed"]
    diff = _evaluation(corrected, STATES.stem).metadata["correction"].value
    assert "1 value(s) changed" in diff and "| line 212 (TX 2016), Cases_Reported | 670 | 67 | x10.00 |" in diff
    [table] = [f for f in corrected.files if f.partition_key == STATES.stem]
    report = json.loads(Path(table.report).with_suffix(".json").read_text())
    assert report["correction"]["values_changed"] == 1
    assert report["correction"]["changed"][0]["old"] == 670 and report["correction"]["changed"][0]["new"] == 67
    # The note travels with the rows.
    assert private_warehouse.query(
        "select distinct dataset_correction_note from raw.hotline_state_calls_cases where Year_Date = 2016 "
        "and postal = 'TX' and Cases_Reported = 67"
    ) == [(NOTE.split(": ", 1)[1].strip(),)]


def test_excel_utf8_with_a_byte_order_mark_is_read(corrected: BatchReport) -> None:
    [release] = [f for f in corrected.files if f.partition_key == RELEASE.stem]
    assert release.accepted
    # Same figures as the loaded version: a new version with nothing changed.
    assert "0 value(s) changed" in _evaluation(corrected, RELEASE.stem).metadata["correction"].value


def test_two_copies_that_disagree_are_a_value_conflict_naming_both(
    corrected: BatchReport, private_warehouse: BuiltWarehouse
) -> None:
    conflicts = private_warehouse.query_snapshot(
        "select conflict_kind, source_a, value_a, source_b, value_b from audit.conflict_register "
        "where jurisdiction_id = 'US-CA' and period_a = '2024-01-01/2024-12-31' and metric = 'cases' "
        "and 'test-other-scrape-2024' in (source_a, source_b)"
    )
    named = {frozenset([(a, va), (b, vb)]) for _, a, va, b, vb in conflicts}
    assert {kind for kind, *_ in conflicts} == {"value"}
    assert frozenset([("nhth-state-signals-cases-2024", 1734.0), ("test-other-scrape-2024", 1733.0)]) in named


@pytest.mark.parametrize("refused", [0, 1, 3])
def test_the_build_summary_counts_files_and_lists_each_refused_file_once(
    refused: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli import _print_files

    files = [FileOutcome(f"/landing/ok-{n}.yaml", f"ok-{n}", "a" * 64, True) for n in range(13)]
    files += [
        FileOutcome(
            f"/landing/bad-{n}.csv",
            f"bad-{n}",
            "b" * 64,
            False,
            f"no_tenfold_jump: no figure is 10x ...: 1 unexpected, e.g. line {n + 2} (AL 2016), Cases_Reported",
            f"/validation/bad-{n}.html",
        )
        for n in range(refused)
    ]
    _print_files(BatchReport(None, files))
    out = capsys.readouterr().out
    assert f"Files:         13 loaded, {refused} refused" in out
    for n in range(refused):
        assert out.count(f"/landing/bad-{n}.csv") == 1
        assert "no_tenfold_jump: no figure is 10x" in out and f"line {n + 2} (AL 2016), Cases_Reported" in out
        assert f"report: /validation/bad-{n}.html" in out
    assert ("Refused files" in out) == bool(refused)
