"""Bad input never reaches the marts, is kept in quarantine with a report, and a corrected file goes through.

Every case of the corpus (tests/quality_corpus.py) is landed into the built warehouse; the module fixture
records what happened, then each case is its own test.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.build import failed_checks
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
    load_ran: bool
    raw_unchanged: bool
    quarantine: Path | None
    corrected_refused_by: list[str]
    corrected_load_ran: bool


def _check_descriptions(result) -> dict[str, str]:
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.description or ""
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
    }


def _load_ran(result) -> bool:
    return any(
        e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key.path[0] == "raw" for e in result.all_events
    )


def _land(wh: BuiltWarehouse, folder: Path, case: Case, data: bytes, corrected: bool = False):
    from orchestration.build import ingest_file
    from orchestration.definitions import defs

    target = folder / case.kind / case.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    provenance = case.original.with_name(case.original.name.split(".")[0] + ".provenance.yaml")
    if case.kind != "report_releases" and (case.with_provenance or corrected):
        shutil.copyfile(provenance, target.with_name(target.name.split(".")[0] + ".provenance.yaml"))
    return ingest_file(defs, wh.instance, case.kind, case.name.split(".")[0], str(target))


@pytest.fixture(scope="module")
def corpus(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory):
    """Land every malformed case, then its corrected (original) version; record raw and marts around it."""
    from orchestration.definitions import defs
    from orchestration.jobs import TRANSFORM_JOB_NAME

    marts_before = _contents(built_warehouse, "marts", MART_TABLES)
    outcomes: dict[str, Landed] = {}
    for case in CASES:
        folder = tmp_path_factory.mktemp(case.id)
        raw_before = _contents(built_warehouse, "raw", RAW_TABLES)
        bad = _land(built_warehouse, folder, case, case.mutate(case.original.read_bytes()))
        raw_after = _contents(built_warehouse, "raw", RAW_TABLES)
        quarantined = sorted(
            (quarantine_dir() / case.kind).glob(f"{case.name.split('.')[0]}/*/report.json"),
            key=lambda p: p.stat().st_mtime,
        )
        good = _land(built_warehouse, folder, case, case.original.read_bytes(), corrected=True)
        outcomes[case.id] = Landed(
            refused_by=[c.split(": ")[-1] for c in failed_checks(bad)],
            check_descriptions=_check_descriptions(bad),
            load_ran=_load_ran(bad),
            raw_unchanged=raw_before == raw_after,
            quarantine=quarantined[-1].parent if quarantined else None,
            corrected_refused_by=[c.split(": ")[-1] for c in failed_checks(good)],
            corrected_load_ran=_load_ran(good),
        )
    transform = defs.resolve_job_def(TRANSFORM_JOB_NAME).execute_in_process(
        instance=built_warehouse.instance, raise_on_error=False
    )
    assert transform.success
    return outcomes, marts_before, _contents(built_warehouse, "marts", MART_TABLES)


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
    assert not outcome.load_ran
    assert outcome.raw_unchanged
    assert outcome.quarantine is not None
    assert (outcome.quarantine / case.name).exists()
    report = json.loads((outcome.quarantine / "report.json").read_text())
    assert report["parse_error"] or case.check in report["failed_expectations"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corrected_file_goes_through(corpus, case: Case) -> None:
    outcome = corpus[0][case.id]
    if case.file_name and case.file_name != case.original.name:
        # A file whose name is wrong stays wrong whatever its content: its correction is a rename.
        assert PARSE_CHECK in outcome.corrected_refused_by
        return
    assert outcome.corrected_refused_by == []
    assert outcome.corrected_load_ran


def test_marts_are_exactly_as_before_after_every_refused_file(corpus) -> None:
    _, before, after = corpus
    assert after == before


def test_warning_level_failure_is_shown_but_does_not_block(built_warehouse: BuiltWarehouse) -> None:
    """The 2016 report's headline (225 victims served) is 55% above 2015's 145 with no note: a warning."""
    release = next(
        result for path, result in built_warehouse.report.ingest_results if path.endswith("ochttf-2016.yaml")
    )
    warnings = failed_checks(release, severity="WARN")
    assert warnings == ["landed/report_releases: headline_change_explained"]
    assert failed_checks(release) == []
    assert _load_ran(release)


PARSE_CHECK = "file_parses"
