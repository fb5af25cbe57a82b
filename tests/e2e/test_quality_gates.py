"""Bad input never reaches the marts, is kept in quarantine with a report, and a corrected file goes through.

Every case of the corpus (tests/quality_corpus.py) is landed into the built warehouse; the module fixture
records what happened, then each case is its own test.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.defs.landed_checks import EXPECTATIONS_CHECK, expectation_rows
from orchestration.engine.storage import configured_warehouse
from orchestration.settings import quarantine_dir
from tests.conftest import BuiltWarehouse
from tests.quality_corpus import CASES, Case

RAW_TABLES = [
    "report_releases",
    "report_figures",
    "hotline_state_calls_cases",
    "hotline_national_signals_fy",
    "hotline_published_figures",
]
MART_TABLES = [
    "fct_victims",
    "fct_case_outcomes",
    "fct_hotline_cases",
    "fct_hotline_signals",
    "fct_report_figures",
    "dim_source",
    "victims_by_year_and_type",
    "victims_report_changes",
]


def _contents(wh: BuiltWarehouse, schema: str, tables: list[str]) -> dict[str, tuple]:
    """Each table's row count and order-independent sum of row hashes: equal means the same rows."""
    return {t: wh.query(f"select count(*), sum(hash(t))::hugeint from {schema}.{t} as t")[0] for t in tables}


@dataclass
class Landed:
    refused_by: list[str]
    check_descriptions: dict[str, str]
    accepted: bool
    quarantine: Path | None
    corrected_refused_by: list[str]


def _write(folder: Path, case: Case, data: bytes, corrected: bool = False) -> Path:
    target = folder / case.kind / case.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    provenance = case.original.with_name(case.original.name.split(".")[0] + ".provenance.yaml")
    if case.kind != "report_releases" and (case.with_provenance or corrected):
        record = provenance.read_text()
        if case.provenance_change and not corrected:
            record = case.provenance_change(record)
        target.with_name(target.name.split(".")[0] + ".provenance.yaml").write_text(record)
    return target


def _failed_checks_per_file(result) -> dict[tuple[str, str], dict[str, str]]:
    """{(partition, sha256): {failed error-level check: description}}: a file's checks follow its landing event."""
    per_file: dict[tuple[str, str], dict[str, str]] = {}
    current: dict[str, str] = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key.path[0] == "landed":
            materialization = event.event_specific_data.materialization
            current = per_file.setdefault(
                (materialization.partition, materialization.metadata["file_sha256"].value), {}
            )
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.asset_check_evaluation_data
            if not data.partition or data.passed or data.severity.value != "ERROR":
                continue
            if data.check_name == EXPECTATIONS_CHECK:
                current.update(
                    {
                        r["name"]: r["description"]
                        for r in expectation_rows(data)
                        if not r["passed"] and r["severity"] == "error"
                    }
                )
            else:
                current[data.check_name] = data.description or ""
    return per_file


@pytest.fixture(scope="module")
def corpus(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory):
    """Every malformed case landed in one batch run; then each corrected (original) version landed on its own."""
    from orchestration.definitions import defs
    from orchestration.defs.batch_run import run_batch
    from orchestration.engine.land import land
    from orchestration.engine.versions import FileVersion
    from orchestration.parsers.files import sha256_of

    marts_before = _contents(built_warehouse, "marts", MART_TABLES)
    raw_before = _contents(built_warehouse, "raw", RAW_TABLES)
    versions = {}
    for case in CASES:
        target = _write(tmp_path_factory.mktemp(case.id), case, case.mutate(case.original.read_bytes()))
        versions[case.id] = FileVersion(case.kind, case.name.split(".")[0], str(target), sha256_of(target))
    report = run_batch(defs, built_warehouse.instance, list(versions.values()))
    assert report.success
    checks = _failed_checks_per_file(report.result)
    accepted = {(f.partition_key, f.sha256) for f in report.loaded}
    outcomes: dict[str, Landed] = {}
    corrections = {}  # the corrected file is the original under the case's name: landed once per distinct pair
    for case in CASES:
        version = versions[case.id]
        folder = quarantine_dir() / case.kind / version.partition_key / version.sha256
        if (case.original, case.name) not in corrections:
            fixed = _write(tmp_path_factory.mktemp(case.id), case, case.original.read_bytes(), corrected=True)
            corrections[case.original, case.name] = land(
                FileVersion(case.kind, version.partition_key, str(fixed), ""), configured_warehouse()
            )
        corrected = corrections[case.original, case.name]
        failed = checks.get((version.partition_key, version.sha256), {})
        outcomes[case.id] = Landed(
            refused_by=list(failed),
            check_descriptions=failed,
            accepted=(version.partition_key, version.sha256) in accepted,
            quarantine=folder if (folder / "report.json").exists() else None,
            corrected_refused_by=(["file_parses"] if corrected.parse_error else []) + corrected.failed_expectations,
        )
    raw_after = _contents(built_warehouse, "raw", RAW_TABLES)
    return outcomes, marts_before, _contents(built_warehouse, "marts", MART_TABLES), raw_before == raw_after, report


def test_corpus_has_at_least_25_distinct_malformed_inputs() -> None:
    assert len({case.id for case in CASES}) >= 25
    # Distinct inputs: no two cases land the same bytes under the same name.
    landed = {(case.kind, case.name, case.mutate(case.original.read_bytes()), case.with_provenance) for case in CASES}
    assert len(landed) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_file_is_refused_quarantined_and_changes_nothing(corpus, case: Case) -> None:
    outcome = corpus[0][case.id]
    assert case.check in outcome.refused_by, outcome.check_descriptions
    assert case.message in outcome.check_descriptions[case.check]
    assert not outcome.accepted
    assert outcome.quarantine is not None
    assert (outcome.quarantine / case.name).exists()
    report = json.loads((outcome.quarantine / "report.json").read_text())
    assert report["parse_error"] or case.check in report["failed_expectations"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corrected_file_goes_through(corpus, case: Case) -> None:
    outcome = corpus[0][case.id]
    if case.file_name and case.file_name != case.original.name:
        # A file whose name is wrong (or is a copy of a loaded file) stays refused whatever its content: its
        # correction is a rename, or not delivering the copy.
        assert case.check in outcome.corrected_refused_by
        return
    assert outcome.corrected_refused_by == []


def test_marts_and_raw_tables_are_exactly_as_before_after_every_refused_file(corpus) -> None:
    _, before, after, raw_unchanged, report = corpus
    assert after == before
    assert raw_unchanged
    # One run for the whole batch; nothing accepted, so nothing was built or published.
    assert len(report.refused) == len(CASES) and report.loaded == []
    steps = {e.step_key for e in report.result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert {"warehouse_dbt_models", "published__warehouse_snapshot"} <= steps


def _latest_expectation(wh: BuiltWarehouse, kind: str, partition: str, name: str) -> tuple[object, dict]:
    """A shipped file's `passes_expectations` evaluation in the build, and its row for one expectation (the
    history is newest first; other tests land malformed versions of the same files later)."""
    import dagster as dg

    history = wh.instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey(["landed", kind]), EXPECTATIONS_CHECK), limit=10_000
    )
    evaluation = [r for r in history if r.partition == partition][-1].event.asset_check_evaluation
    return evaluation, next(row for row in expectation_rows(evaluation) if row["name"] == name)


def test_warning_level_failure_is_shown_but_does_not_block(built_warehouse: BuiltWarehouse) -> None:
    """The 2016 report's headline (225 victims served) is 55% above 2015's 145 with no note: a warning."""
    import dagster as dg

    evaluation, headline = _latest_expectation(
        built_warehouse, "report_releases", "ochttf-2016", "headline_change_explained"
    )
    assert not headline["passed"] and headline["severity"] == "warning"
    assert "55.17" in headline["description"]
    # Only warnings failed: the file's expectations check is a warning, and the UI names the headline change.
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "55.17" in evaluation.metadata["details"].value
    # A warning does not block: the release is in the marts.
    assert built_warehouse.query("select count(*) from marts.dim_source where source_id = 'ochttf-2016'") == [(1,)]


PARSE_CHECK = "file_parses"


def _evaluations(report, partition: str, sha256: str) -> dict[str, object]:
    """The check evaluations logged for one file version: they follow its landing materialization."""
    found, current = {}, None
    for event in report.result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key.path[0] == "landed":
            materialization = event.event_specific_data.materialization
            current = (materialization.partition, materialization.metadata["file_sha256"].value)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION" and current == (partition, sha256):
            found[event.asset_check_evaluation_data.check_name] = event.asset_check_evaluation_data
    return found


def _version(report, case: Case):
    sha256 = hashlib.sha256(case.mutate(case.original.read_bytes())).hexdigest()
    return next(f for f in report.files if f.sha256 == sha256)


@pytest.mark.parametrize("case", [c for c in CASES if c.check == PARSE_CHECK][:3], ids=lambda c: c.id)
def test_a_file_that_does_not_parse_shows_one_failure_and_its_expectations_as_not_evaluated(corpus, case) -> None:
    report = corpus[4]
    version = _version(report, case)
    evaluations = _evaluations(report, version.partition_key, version.sha256)
    assert list(evaluations) == [PARSE_CHECK]
    metadata = evaluations[PARSE_CHECK].metadata
    assert metadata["not_evaluated"].value > 10
    assert "The expectations were not evaluated" in metadata["validation"].value


def test_a_failed_check_shows_its_rows_as_markdown_in_the_ui(corpus) -> None:
    report = corpus[4]
    case = next(c for c in CASES if c.id == "cases_thousandfold")
    version = _version(report, case)
    evaluations = _evaluations(report, version.partition_key, version.sha256)
    details = evaluations[EXPECTATIONS_CHECK].metadata["details"].value
    assert "#### no_tenfold_jump\n\n**failed** (error)" in details
    assert "| line 2 (AL 2016), Cases_Reported = 48,000 vs 54 for 2015 |" in details
    # The file's own summary lists every failing expectation with its first example.
    summary = evaluations[EXPECTATIONS_CHECK].metadata["validation"].value
    assert summary.startswith("**Refused**")
    assert "| state_not_above_national | error | 1 |" in summary and "| no_tenfold_jump | error | 1 |" in summary


def test_a_jump_below_tenfold_is_a_warning_that_does_not_block(built_warehouse: BuiltWarehouse) -> None:
    """South Dakota's calls went from 19 (2012) to 113 (2013): 5.9x, worth a look, not a typo."""
    import dagster as dg

    evaluation, jump = _latest_expectation(
        built_warehouse, "hotline_state_calls_cases", "state_calls_cases_2012_2016", "jump_below_warning_threshold"
    )
    assert not jump["passed"] and jump["severity"] == "warning"
    assert "line 205 (SD 2013), Calls = 113 vs 19 for 2012" in jump["description"]
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert built_warehouse.query(
        "select count(*) from raw.hotline_state_calls_cases where postal = 'SD' and Year_Date = 2013"
    ) == [(1,)]


def test_a_file_removed_after_its_batch_was_listed_is_skipped_and_the_run_succeeds(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    from orchestration.definitions import defs
    from orchestration.defs.batch_run import run_batch
    from orchestration.engine.versions import FileVersion

    removed = tmp_path / "removed-release.yaml"  # listed with its sha256, then deleted before the run landed it
    version = FileVersion("report_releases", "removed-release", str(removed), hashlib.sha256(b"gone").hexdigest())
    report = run_batch(defs, built_warehouse.instance, [version])
    assert report.success and report.files == []
    warnings = [
        record.user_message
        for record in built_warehouse.instance.all_logs(report.result.run_id)
        if record.level >= logging.WARNING and record.dagster_event is None
    ]
    assert f"{removed} was removed after this batch listed it; skipped (drop it again)" in warnings
    assert not built_warehouse.instance.has_dynamic_partition("report_releases_files", "removed-release")
