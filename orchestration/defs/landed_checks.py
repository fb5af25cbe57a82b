"""Our small great-expectations integration for Dagster: a suite's expectations as asset checks.

The Dagster-GX integration is not maintained for GX 1.x. Here each expectation of a source kind's suite
becomes one AssetCheckSpec on the kind's `landed/<kind>` asset (blocking when its severity is error), plus
`file_parses` for the parser and `passes_warehouse_tests` for the audit. Results carry the observed value, the
unexpected count and a few examples naming the row and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.engine.audit import WAREHOUSE_TESTS_CHECK
from orchestration.engine.land import DUPLICATE_CHECK, DUPLICATE_DESCRIPTION
from orchestration.quality.reports import outcome_markdown, validation_markdown
from orchestration.quality.suites import CORRECTION_CHECK, suite_for
from orchestration.quality.validate import PARSE_CHECK, Validation


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
    duplicate = dg.AssetCheckSpec(
        DUPLICATE_CHECK, asset=asset_key, blocking=True, description=f"[error] {DUPLICATE_DESCRIPTION}"
    )
    return [
        parse,
        duplicate,
        *(
            dg.AssetCheckSpec(
                d.name, asset=asset_key, blocking=d.severity == "error", description=f"[{d.severity}] {d.description}"
            )
            for d in suite_for(kind)
        ),
        tested,
    ]


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
        parse_metadata["not_evaluated"] = dg.MetadataValue.int(len(suite_for(kind)) + 1)
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
                description=outcome.description if outcome.success else outcome.problem(),
                partition=partition,
            )
        )
    return results
