"""Our small great-expectations integration for Dagster: a suite's expectations as asset checks.

The Dagster-GX integration is not maintained for GX 1.x. Here each expectation of a source kind's suite
becomes one AssetCheckSpec on the kind's `landed/<kind>` asset (blocking when its severity is error), plus
`file_parses` for the parser. Results carry the observed value, the unexpected count and a few examples
naming the row and field.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.report_release import TRANSCRIBED_SUFFIXES
from orchestration.ingest.staging import latest_passed_versions
from orchestration.quality import plausibility, reference
from orchestration.quality.frames import hotline_frames, report_release_frames
from orchestration.quality.runner import Outcome, run_suite
from orchestration.quality.suites import CORRECTION_CHECK, suite_for

PARSE_CHECK = "file_parses"
# Evaluated after landing: the file's rows in a candidate copy of the warehouse pass every error-level dbt test.
WAREHOUSE_TESTS_CHECK = "passes_warehouse_tests"


def check_specs(kind: str, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    parse = dg.AssetCheckSpec(
        PARSE_CHECK,
        asset=asset_key,
        blocking=True,
        description="The file is readable as its format: encoding, syntax, header, required fields, types.",
    )
    tested = dg.AssetCheckSpec(
        WAREHOUSE_TESTS_CHECK,
        asset=asset_key,
        blocking=True,
        description="With this file loaded into a candidate copy of the warehouse, every error-level dbt test passes "
        "(otherwise the file is quarantined with the failing tests and rows, and the rest of its batch goes on).",
    )
    return [
        parse,
        *(
            dg.AssetCheckSpec(
                d.name, asset=asset_key, blocking=d.severity == "error", description=f"[{d.severity}] {d.description}"
            )
            for d in suite_for(kind)
        ),
        tested,
    ]


def parse_error_details(error: SourceFileError) -> dict[str, Any]:
    return {
        "file": str(error.path),
        "location": error.location,
        "problem": error.problem,
        "expected": error.expected,
        "message": str(error),
    }


@functools.cache
def _release_summary(folder: Path) -> tuple[str, str, str, str, float | None]:
    """(publisher, jurisdiction, period start, period end, headline victims) of one staged release version.

    A staged version never changes (its folder is named by its sha256): read once per process, so that landing a
    batch of N releases does not read every other release N times.
    """
    with duckdb.connect() as conn:
        release = conn.execute(
            "select publisher_code, jurisdiction_id, period_start::varchar, period_end::varchar from read_parquet(?)",
            [str(folder / "report_releases.parquet")],
        ).fetchone()
        headline = conn.execute(
            "select max(value) from read_parquet(?) where metric = 'victims' and breakdown_dimension = 'total' "
            "and unit = 'count' and period_start::varchar = ? and period_end::varchar = ?",
            [str(folder / "report_figures.parquet"), release[2], release[3]],
        ).fetchone()[0]
    return (*release, float(headline) if headline is not None else None)


def _previous_headline(tables: dict[str, pd.DataFrame], partition_key: str) -> float | None:
    """The headline victim count of the publisher's previous release for the same jurisdiction, if staged."""
    release = tables["report_releases"].iloc[0]
    candidates = []
    for version in latest_passed_versions("report_releases", exclude_partition=partition_key):
        publisher, jurisdiction, _, period_end, headline = _release_summary(version.folder)
        if (publisher, jurisdiction) != (release["publisher_code"], release["jurisdiction_id"]):
            continue
        if period_end >= str(release["period_start"]):
            continue
        if headline is not None:
            candidates.append((period_end, headline))
    return max(candidates)[1] if candidates else None


@dataclass
class Validation:
    """The expectations' outcomes for one file, and how it differs from the version it replaces (if any)."""

    outcomes: list[Outcome]
    correction: plausibility.Correction | None = None


def _plausibility_frames(
    kind: str, partition_key: str, sha256: str, tables: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], plausibility.Correction | None]:
    """The frames of the plausibility rules: jumps, the correction, and for state tables national totals,
    contacts and coverage (quality/plausibility.py)."""
    provenance = tables["report_releases"] if kind == "report_releases" else next(iter(tables.values()))
    note_column = "correction_note" if kind == "report_releases" else "dataset_correction_note"
    noted = bool(provenance[note_column].notna().any()) if note_column in provenance else False
    long = plausibility.measures(kind, tables)
    earlier = reference.other_files_measures(kind, partition_key)
    jumps = plausibility.jumps(plausibility.trend_measures(kind, long), earlier, noted)
    # A publisher's own data file is kept as published: its jumps are shown (a warning), not refused.
    own_data = kind == "report_releases" and not _transcribed(tables)
    frames = {
        "jumps": jumps.iloc[0:0] if own_data else jumps,
        "publisher_jumps": jumps if own_data else jumps.iloc[0:0],
    }
    loaded = reference.loaded_version(kind, partition_key)
    correction = (
        plausibility.correction(long, loaded.measures, loaded.sha256) if loaded and loaded.sha256 != sha256 else None
    )
    frames["correction"] = plausibility.correction_frame(correction, noted)
    if kind == "hotline_state_calls_cases":
        scope = provenance["dataset_partial_scope"].dropna() if "dataset_partial_scope" in provenance else []
        frames["national"] = plausibility.national_comparison(long, reference.national_figures())
        frames["contacts"] = plausibility.contacts_comparison(long)
        frames["coverage"] = plausibility.coverage(long, scope.iloc[0] if len(scope) else None)
        frames["shares"] = plausibility.share_consistency(provenance)
    return frames, correction


def _transcribed(tables: dict[str, pd.DataFrame]) -> bool:
    return str(tables["report_releases"]["source_file"].iloc[0]).endswith(TRANSCRIBED_SUFFIXES)


def validate(kind: str, partition_key: str, tables: dict[str, pd.DataFrame], sha256: str = "") -> Validation:
    if kind == "report_releases":
        frames = report_release_frames(tables, _previous_headline(tables, partition_key))
    else:
        frames = hotline_frames(kind, next(iter(tables.values())))
    extra, correction = _plausibility_frames(kind, partition_key, sha256, tables)
    return Validation(run_suite(suite_for(kind), {**frames, **extra}), correction)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def outcome_markdown(outcome: Outcome) -> str:
    """One expectation's result as the Dagster UI shows it: verdict, counts and the first failing rows."""
    verdict = "passed" if outcome.success else ("failed" if outcome.severity == "error" else "warning")
    lines = [f"**{verdict}** ({outcome.severity}): {outcome.description}"]
    if outcome.error:
        lines.append(f"\nError while evaluating: `{outcome.error}`")
    if not outcome.success:
        lines.append(f"\n{outcome.unexpected_count} unexpected row(s); the first {len(outcome.examples)}:")
        lines += ["", "| where | found |", "|---|---|"]
        lines += [f"| {_cell(e['row'])} | {_cell(e['found'])} |" for e in outcome.examples]
    return "\n".join(lines)


def validation_markdown(outcomes: Sequence[Outcome], parse_error: dict[str, Any] | None) -> str:
    """The whole validation of one file in one Markdown table: what failed, what warns, what was not evaluated."""
    if parse_error:
        return (
            f"**Refused: the file did not parse.**\n\n{_cell(parse_error['message'])}\n\n"
            "The expectations were not evaluated (they need the parsed rows)."
        )
    failed = [o for o in outcomes if not o.success]
    verdict = "Refused" if any(o.severity == "error" for o in failed) else "Accepted"
    lines = [f"**{verdict}**: {len(outcomes) - len(failed)} of {len(outcomes)} expectations passed."]
    if failed:
        lines += ["", "| expectation | severity | unexpected | first example |", "|---|---|---|---|"]
        for o in failed:
            example = f"{o.examples[0]['row']}: {o.examples[0]['found']}" if o.examples else (o.error or "")
            lines.append(f"| {o.name} | {o.severity} | {o.unexpected_count} | {_cell(example)} |")
    return "\n".join(lines)


def check_results(
    kind: str,
    asset_key: dg.AssetKey,
    validation: Validation,
    parse_error: dict[str, Any] | None,
    report: Path | None,
    partition: str,
) -> list[dg.AssetCheckEvaluation]:
    """The evaluations of one file (partition): the parse check, then every expectation. A file that did not
    parse gets the parse check only (its metadata says the expectations were not evaluated), so an unparsable
    file shows one failure, not one per expectation. `passes_warehouse_tests` comes later, from dbt."""
    link = {"report": dg.MetadataValue.path(str(report))} if report else {}
    outcomes = validation.outcomes
    parse_metadata: dict[str, Any] = {
        **link,
        "validation": dg.MetadataValue.md(validation_markdown(outcomes, parse_error)),
    }
    if parse_error:
        parse_metadata.update({k: str(v) for k, v in parse_error.items() if v})
        parse_metadata["not_evaluated"] = dg.MetadataValue.int(len(suite_for(kind)))
    results = [
        dg.AssetCheckEvaluation(
            asset_key=asset_key,
            check_name=PARSE_CHECK,
            passed=parse_error is None,
            severity=dg.AssetCheckSeverity.ERROR,
            description=parse_error["message"] if parse_error else "parsed",
            metadata=parse_metadata,
            partition=partition,
        )
    ]
    if parse_error:
        return results
    for outcome in outcomes:
        severity = dg.AssetCheckSeverity.ERROR if outcome.severity == "error" else dg.AssetCheckSeverity.WARN
        metadata: dict[str, Any] = {
            **link,
            "details": dg.MetadataValue.md(outcome_markdown(outcome)),
            "unexpected_count": dg.MetadataValue.int(outcome.unexpected_count),
            "observed_value": dg.MetadataValue.text(str(outcome.observed)),
        }
        if outcome.name == CORRECTION_CHECK and validation.correction:
            metadata["correction"] = dg.MetadataValue.md(validation.correction.markdown())
        if outcome.error:
            metadata["error"] = dg.MetadataValue.text(outcome.error)
        results.append(
            dg.AssetCheckEvaluation(
                asset_key=asset_key,
                check_name=outcome.name,
                passed=outcome.success and not outcome.error,
                severity=severity,
                metadata=metadata,
                description=outcome.description
                if outcome.success
                else f"{outcome.description}: {outcome.unexpected_count} unexpected, e.g. "
                + "; ".join(f"{e['row']} = {e['found']}" for e in outcome.examples[:3]),
                partition=partition,
            )
        )
    return results
