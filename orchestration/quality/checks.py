"""Our small great-expectations integration for Dagster: a suite's expectations as asset checks.

The Dagster-GX integration is not maintained for GX 1.x. Here each expectation of a source kind's suite
becomes one AssetCheckSpec on the kind's `landed/<kind>` asset (blocking when its severity is error), plus
`file_parses` for the parser. Results carry the observed value, the unexpected count and a few examples
naming the row and field.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.staging import latest_passed_versions
from orchestration.quality.frames import hotline_frames, report_release_frames
from orchestration.quality.runner import Outcome, run_suite
from orchestration.quality.suites import suite_for

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


def validate(kind: str, partition_key: str, tables: dict[str, pd.DataFrame]) -> list[Outcome]:
    if kind == "report_releases":
        frames = report_release_frames(tables, _previous_headline(tables, partition_key))
    else:
        frames = hotline_frames(kind, tables[kind])
    return run_suite(suite_for(kind), frames)


def check_results(
    kind: str,
    asset_key: dg.AssetKey,
    outcomes: Sequence[Outcome],
    parse_error: dict[str, Any] | None,
    report: Path | None,
    partition: str,
) -> list[dg.AssetCheckEvaluation]:
    """One evaluation per spec for one file (partition): the parse check, then every expectation (not evaluated
    if the file did not parse). The batch ingest logs them; `passes_warehouse_tests` comes later, from dbt."""
    link = {"report": dg.MetadataValue.path(str(report))} if report else {}
    results = [
        dg.AssetCheckEvaluation(
            asset_key=asset_key,
            check_name=PARSE_CHECK,
            passed=parse_error is None,
            severity=dg.AssetCheckSeverity.ERROR,
            description=parse_error["message"] if parse_error else "parsed",
            metadata={**link, **({k: str(v) for k, v in parse_error.items() if v} if parse_error else {})},
            partition=partition,
        )
    ]
    by_name = {o.name: o for o in outcomes}
    for definition in suite_for(kind):
        severity = dg.AssetCheckSeverity.ERROR if definition.severity == "error" else dg.AssetCheckSeverity.WARN
        outcome = by_name.get(definition.name)
        if outcome is None:
            results.append(
                dg.AssetCheckEvaluation(
                    asset_key=asset_key,
                    check_name=definition.name,
                    passed=False,
                    severity=severity,
                    description="not evaluated: the file did not parse",
                    metadata=link,
                    partition=partition,
                )
            )
            continue
        examples = "\n".join(f"- {e['row']}: {e['found']}" for e in outcome.examples)
        metadata: dict[str, Any] = {
            **link,
            "unexpected_count": dg.MetadataValue.int(outcome.unexpected_count),
            "observed_value": dg.MetadataValue.text(str(outcome.observed)),
        }
        if examples:
            metadata["unexpected_examples"] = dg.MetadataValue.md(examples)
        if outcome.error:
            metadata["error"] = dg.MetadataValue.text(outcome.error)
        results.append(
            dg.AssetCheckEvaluation(
                asset_key=asset_key,
                check_name=definition.name,
                passed=outcome.success and not outcome.error,
                severity=severity,
                metadata=metadata,
                description=definition.description
                if outcome.success
                else f"{definition.description}: {outcome.unexpected_count} unexpected, e.g. "
                + "; ".join(f"{e['row']} = {e['found']}" for e in outcome.examples[:3]),
                partition=partition,
            )
        )
    return results
