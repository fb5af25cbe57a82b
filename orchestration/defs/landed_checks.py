"""Our small great-expectations integration for Dagster: a suite's expectations as asset checks.

The Dagster-GX integration is not maintained for GX 1.x. Each `landed/<kind>` asset has three checks, evaluated
per file (partition):
- `file_parses`: the parser;
- `passes_expectations`: the kind's whole great-expectations suite and the duplicate-delivery check, as one
  evaluation carrying a row per expectation (`EXPECTATION_RESULTS`: name, severity, passed, what failed) and the
  failing rows as Markdown. One evaluation, not one per expectation (13 to 29 per file, each an event);
- `passes_warehouse_tests`: the audit (dbt tests in the candidate warehouse).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.engine.audit import WAREHOUSE_TESTS_CHECK
from orchestration.engine.land import DUPLICATE_CHECK, DUPLICATE_DESCRIPTION
from orchestration.quality.reports import outcome_markdown, validation_markdown
from orchestration.quality.runner import Outcome
from orchestration.quality.suites import suite_for
from orchestration.quality.validate import PARSE_CHECK, Validation

# The check of a file's expectations, and its metadata entry listing each expectation's result.
EXPECTATIONS_CHECK = "passes_expectations"
EXPECTATION_RESULTS = "expectations"


def check_specs(kind: str, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    parse = dg.AssetCheckSpec(
        PARSE_CHECK,
        asset=asset_key,
        blocking=True,
        description="The file is readable as its format: encoding, syntax, header, required fields, types.",
    )
    expectations_listed = [(DUPLICATE_CHECK, "error", DUPLICATE_DESCRIPTION)]
    expectations_listed += [(d.name, d.severity, d.description) for d in suite_for(kind)]
    listed = "; ".join(f"{name} [{severity}]: {description}" for name, severity, description in expectations_listed)
    expectations = dg.AssetCheckSpec(
        EXPECTATIONS_CHECK,
        asset=asset_key,
        blocking=True,
        description="Every expectation of the file passes (a failed error-level one refuses the file, a warning is "
        f"shown only); its evaluation lists each with its result and failing rows. The expectations: {listed}.",
    )
    tested = dg.AssetCheckSpec(
        WAREHOUSE_TESTS_CHECK,
        asset=asset_key,
        blocking=True,
        description="With this file loaded into a candidate copy of the warehouse, every error-level dbt test passes "
        "(otherwise the file is quarantined with the failing tests and rows, and the rest of its batch goes on).",
    )
    return [parse, expectations, tested]


def _failed(outcome: Outcome) -> bool:
    return not outcome.success or bool(outcome.error)


def _expectations_evaluation(
    asset_key: dg.AssetKey, validation: Validation, link: dict[str, Any], partition: str
) -> dg.AssetCheckEvaluation:
    """Every expectation of one file as one evaluation: failed with severity ERROR when an error-level expectation
    failed, WARN when only warnings did; its description is the first problem."""
    outcomes = validation.outcomes
    failed = [o for o in outcomes if _failed(o)]
    errors = [o for o in failed if o.severity == "error"]
    first = (errors or failed)[0] if failed else None
    description = f"{len(outcomes)} of {len(outcomes)} expectations passed"
    if first is not None:
        others = [f"{o.name} ({o.severity})" for o in failed if o is not first]
        also = f" (also failed: {', '.join(others)})" if others else ""
        description = f"{first.name}: {first.problem()}{also}"
    metadata: dict[str, Any] = {
        **link,
        "validation": dg.MetadataValue.md(validation_markdown(outcomes, None)),
        EXPECTATION_RESULTS: dg.MetadataValue.json(
            [
                {
                    "name": o.name,
                    "severity": o.severity,
                    "passed": not _failed(o),
                    "description": o.problem() if _failed(o) else o.description,
                    "unexpected_count": o.unexpected_count,
                    "observed_value": str(o.observed),
                }
                for o in outcomes
            ]
        ),
        "failed": dg.MetadataValue.int(len(failed)),
    }
    if failed:
        metadata["details"] = dg.MetadataValue.md(
            "\n\n".join(f"#### {o.name}\n\n{outcome_markdown(o)}" for o in failed)
        )
    if validation.correction:
        metadata["correction"] = dg.MetadataValue.md(validation.correction.markdown())
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=EXPECTATIONS_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
        partition=partition,
    )


def check_results(
    kind: str,
    asset_key: dg.AssetKey,
    validation: Validation,
    parse_error: dict[str, Any] | None,
    report: Path | None,
    partition: str,
) -> list[dg.AssetCheckEvaluation]:
    """The evaluations of one file (partition): the parse check, then its expectations. A file that did not parse
    gets the parse check only (its metadata says the expectations were not evaluated), so an unparsable file
    shows one failure. `passes_warehouse_tests` comes later, from dbt."""
    link = {"report": dg.MetadataValue.path(str(report))} if report else {}
    parse_metadata: dict[str, Any] = dict(link)
    if parse_error:
        parse_metadata["validation"] = dg.MetadataValue.md(validation_markdown([], parse_error))
        parse_metadata.update({k: str(v) for k, v in parse_error.items() if v})
        parse_metadata["not_evaluated"] = dg.MetadataValue.int(len(suite_for(kind)) + 1)
    parsed = dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=PARSE_CHECK,
        passed=parse_error is None,
        severity=dg.AssetCheckSeverity.ERROR,
        description=parse_error["message"] if parse_error else "parsed",
        metadata=parse_metadata,
        partition=partition,
    )
    if parse_error:
        return [parsed]
    return [parsed, _expectations_evaluation(asset_key, validation, link, partition)]


def legacy_check_keys(kind: str, asset_key: dg.AssetKey) -> list[dg.AssetCheckKey]:
    """The checks a landed file had before its expectations became one evaluation: one per expectation. Their
    records stay in the instance's history for the files landed then."""
    return [dg.AssetCheckKey(asset_key, name) for name in [DUPLICATE_CHECK, *(d.name for d in suite_for(kind))]]


def expectation_rows(evaluation: dg.AssetCheckEvaluation) -> list[dict[str, Any]]:
    """A file's `passes_expectations` evaluation as one row per expectation (name, severity, passed,
    description, unexpected_count, observed_value)."""
    return list(evaluation.metadata[EXPECTATION_RESULTS].value)
