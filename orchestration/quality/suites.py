"""The expectation suites, one per source kind, built from the project's one vocabulary.

Each expectation has a stable name (its Dagster asset check name), the frame it reads (quality/frames.py),
a severity (error blocks the file, warning is shown only) and a description. great-expectations is imported
only when a suite is built, never when the code location loads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from orchestration.quality.frames import FORMULA_PATTERN, JUMP_THRESHOLD_PERCENT
from orchestration.quality.plausibility import (
    CASES_PER_CONTACT_MAX,
    JUMP_ERROR_RATIO,
    MIN_COUNT,
    SHARE_ROUNDING,
    warning_ratio,
)
from orchestration.vocabulary import vocabulary

Severity = Literal["error", "warning"]
# A figure's source: one http(s) address, no spaces ("see page 4" or a bare domain is not one).
WEB_ADDRESS = r"^https?://[^\s/]+\.[^\s]+$"
# The expectation that judges a re-delivered file's changes; its check evaluation carries the diff.
CORRECTION_CHECK = "correction_explained"


@dataclass(frozen=True)
class ExpectationDef:
    name: str
    frame: str
    description: str
    build: Callable[[Any], Any]  # great_expectations.expectations module -> Expectation
    severity: Severity = "error"
    # The expectation compares a file's rows with each other (uniqueness): validated over the rows of several files
    # at once, it compares the rows of each file only (quality/runner.py).
    compares_rows: bool = False


def _unique(name: str, frame: str, description: str, columns: list[str]) -> ExpectationDef:
    """No two rows of a file share these columns' values."""
    return ExpectationDef(
        name,
        frame,
        description,
        (
            (lambda gxe: gxe.ExpectColumnValuesToBeUnique(column=columns[0]))
            if len(columns) == 1
            else (lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(column_list=columns))
        ),
        compares_rows=True,
    )


def _in_set(name: str, frame: str, column: str, values: Callable[[], Any], what: str) -> ExpectationDef:
    return ExpectationDef(
        name,
        frame,
        f"{column} is a known {what}",
        lambda gxe: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values())),
    )


def _between(
    name: str, frame: str, column: str, low: float | None, high: float | None, text: str, severity: Severity = "error"
) -> ExpectationDef:
    return ExpectationDef(
        name,
        frame,
        text,
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
        severity,
    )


def _a_not_below_b(name: str, frame: str, a: str, b: str, text: str, severity: Severity = "error") -> ExpectationDef:
    return ExpectationDef(
        name,
        frame,
        text,
        lambda gxe: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        severity=severity,
    )


def _publisher_breakdown_warnings() -> list[ExpectationDef]:
    """A publisher's own data file is kept as published: its inconsistent breakdowns are flagged, not refused.

    In a hand-transcribed release a part above its total is most likely our typo (an error); in a data file
    the publisher produced, it is the publisher's (UNODC's sex and age splits come from other national sources
    than its totals): a warning that the check's examples point at.
    """
    return [
        _a_not_below_b(
            "publisher_parts_not_above_total",
            "publisher_breakdowns",
            "total",
            "max_part",
            "in the publisher's data file, no part of a breakdown exceeds its total",
            severity="warning",
        ),
        _between(
            "publisher_complete_parts_sum_to_total",
            "publisher_breakdowns",
            "sum_gap",
            0,
            0,
            "in the publisher's data file, complete parts add up to the total",
            severity="warning",
        ),
    ]


def _no_formulas() -> ExpectationDef:
    return ExpectationDef(
        "no_spreadsheet_formulas_in_text",
        "text_cells",
        "no text field starts like a spreadsheet formula (=, +, @, -word)",
        lambda gxe: gxe.ExpectColumnValuesToNotMatchRegex(column="text", regex=FORMULA_PATTERN),
    )


def _figure_rules(frame: str, group_columns: list[str]) -> list[ExpectationDef]:
    """Rules for one-figure-per-row tables (release figures, hotline published figures)."""
    voc = vocabulary()
    combos = lambda: {f"{m}:{u}" for m, units in voc.metric_units.items() for u in units}  # noqa: E731
    return [
        _in_set("metric_is_known", frame, "metric", lambda: voc.metric_units, "metric (seeds/metrics.csv)"),
        _in_set("unit_is_allowed_for_metric", frame, "metric_unit", combos, "metric:unit pair"),
        _in_set(
            "breakdown_is_known",
            "breakdown_parts",
            "part",
            lambda: {f"{d}:{c}" for d, c in voc.breakdowns},
            "breakdown dimension:category (each part of a combined breakdown; * = free text)",
        ),
        _in_set("base_population_is_known", frame, "base_population", lambda: voc.base_populations, "base population"),
        _in_set("qualifier_is_known", frame, "qualifier", lambda: voc.codes("qualifier"), "qualifier"),
        _in_set("reliability_is_known", frame, "reliability", lambda: voc.codes("reliability"), "reliability"),
        ExpectationDef(
            "source_url_is_a_web_address",
            frame,
            "source_url is a web address (http:// or https://): the document an auditor opens to find the figure",
            lambda gxe: gxe.ExpectColumnValuesToMatchRegex(column="source_url", regex=WEB_ADDRESS),
        ),
        _between("counts_are_non_negative", frame, "count_value", 0, None, "counts are 0 or more"),
        _between("counts_are_whole_numbers", frame, "count_fraction", 0, 0, "counts are whole numbers"),
        _between("percents_within_0_and_100", frame, "percent_value", 0, 100, "percents lie within 0..100"),
        ExpectationDef(
            "suppressed_values_are_marked",
            frame,
            'a value published as "<N" has no number and the qualifier less_than, and only such values have it',
            lambda gxe: gxe.ExpectColumnValuesToBeInSet(column="suppression_marked", value_set=[True]),
        ),
        _a_not_below_b(
            "period_end_not_before_start",
            frame,
            "period_end",
            "period_start",
            "a figure's period ends on or after its start",
        ),
        _unique(
            "no_duplicate_figures",
            frame,
            "no two figures share jurisdiction, metric, base, breakdown, unit and period (rows the publisher "
            "itself repeats are numbered by their note)",
            group_columns,
        ),
        _a_not_below_b(
            "parts_not_above_total", "breakdowns", "total", "max_part", "no part of a breakdown exceeds its total"
        ),
        _between(
            "complete_parts_sum_to_total",
            "breakdowns",
            "sum_gap",
            0,
            0,
            "where every required part of a breakdown is published, the parts add up to the total",
        ),
    ]


def _plausibility_rules(kind: str) -> list[ExpectationDef]:
    """Jumps against earlier periods and changes against the loaded version (quality/plausibility.py)."""
    ratio = warning_ratio(kind)
    correction = ExpectationDef(
        CORRECTION_CHECK,
        "correction",
        f"a re-delivered file changes no loaded value by more than x{ratio:g} (values of {MIN_COUNT} or more) "
        "unless its record carries a correction_note saying why",
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="unexplained_ratio", max_value=ratio),
    )
    if kind == "hotline_published_figures":  # figures of many sources and scopes: no series to follow
        return [correction]
    jump = ExpectationDef(
        "no_tenfold_jump",
        "jumps",
        f"no figure is {JUMP_ERROR_RATIO:g}x (or a {JUMP_ERROR_RATIO:g}th of) the same jurisdiction's previous "
        f"period, here or in another loaded file (values of {MIN_COUNT} or more), unless the record carries a "
        "correction_note saying why",
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(
            column="unexplained_ratio", max_value=JUMP_ERROR_RATIO, strict_max=True
        ),
    )
    if kind == "report_releases":  # its smaller jumps: headline_change_explained
        publisher_jump = ExpectationDef(
            "publisher_no_tenfold_jump",
            "publisher_jumps",
            f"in the publisher's data file, no figure is {JUMP_ERROR_RATIO:g}x (or a {JUMP_ERROR_RATIO:g}th of) the "
            "same jurisdiction's previous period",
            lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="ratio", max_value=JUMP_ERROR_RATIO, strict_max=True),
            severity="warning",
        )
        return [jump, publisher_jump, correction]
    warning = _between(
        "jump_below_warning_threshold",
        "jumps",
        "ratio",
        None,
        ratio,
        f"no figure moves more than x{ratio:g} from the same jurisdiction's previous period (values of "
        f"{MIN_COUNT} or more)",
        severity="warning",
    )
    return [jump, warning, correction]


def _state_table_rules() -> list[ExpectationDef]:
    """A state table against the national figures in the warehouse, its own contacts, and the list of states."""
    return [
        _a_not_below_b(
            "state_not_above_national",
            "national",
            "national",
            "value",
            "no state figure exceeds the national figure for the same measure and year (hotline_published_figures)",
        ),
        _a_not_below_b(
            "cases_not_far_above_contacts",
            "contacts",
            "contact_limit",
            "cases",
            f"a state's cases are at most {CASES_PER_CONTACT_MAX:g} per call or signal it received "
            f"(cases of {MIN_COUNT} or more)",
        ),
        ExpectationDef(
            "every_state_present",
            "coverage",
            "every state and DC has a row for each year the table holds, unless its provenance record declares "
            "a partial_scope",
            lambda gxe: gxe.ExpectColumnValuesToBeInSet(column="present", value_set=[True]),
        ),
    ]


def report_release_suite() -> list[ExpectationDef]:
    voc = vocabulary()
    return [
        _in_set(
            "document_type_is_known", "release", "document_type", lambda: voc.codes("document_type"), "document type"
        ),
        _in_set(
            "jurisdiction_is_known",
            "release",
            "jurisdiction_id",
            lambda: voc.jurisdictions,
            "jurisdiction (seeds/jurisdictions.csv)",
        ),
        _a_not_below_b(
            "release_period_end_not_before_start",
            "release",
            "period_end",
            "period_start",
            "the reporting period ends on or after its start",
        ),
        _a_not_below_b(
            "release_date_not_before_period_end",
            "release",
            "release_date",
            "period_end",
            "a report is released after the period it covers",
        ),
        _between(
            "release_date_not_in_future",
            "release",
            "release_days_after_today",
            None,
            0,
            f"the release date is not after today ({dt.date.today()})",
        ),
        *_figure_rules(
            "figures",
            [
                "jurisdiction_key",
                "metric",
                "base_key",
                "breakdown",
                "unit",
                "period_start",
                "period_end",
                "repeat_ordinal",
            ],
        ),
        *_publisher_breakdown_warnings(),
        _in_set(
            "figure_jurisdiction_is_known",
            "figures",
            "jurisdiction_id",
            lambda: voc.jurisdictions,
            "jurisdiction (seeds/jurisdictions.csv) where a figure names its own",
        ),
        _no_formulas(),
        _between(
            "headline_change_explained",
            "jump",
            "unexplained_jump_percent",
            None,
            JUMP_THRESHOLD_PERCENT,
            f"the headline victim count moves at most {JUMP_THRESHOLD_PERCENT:.0f}% from the previous "
            "release unless a note explains it",
            severity="warning",
        ),
        *_plausibility_rules("report_releases"),
    ]


def _state_postals() -> set[str]:
    return {j.removeprefix("US-") for j in vocabulary().jurisdictions if j.count("-") == 1}


def hotline_suite(kind: str) -> list[ExpectationDef]:
    voc = vocabulary()
    reliability = _in_set(
        "dataset_reliability_is_known", "rows", "dataset_reliability", lambda: voc.codes("reliability"), "reliability"
    )
    if kind == "hotline_state_calls_cases":
        return [
            _in_set(
                "state_code_is_real",
                "rows",
                "state_code",
                _state_postals,
                "U.S. state, DC or territory (postal code, or a name dbt_project/seeds/jurisdictions.csv knows)",
            ),
            _between("calls_are_non_negative", "rows", "calls", 0, None, "calls are 0 or more"),
            _between("signals_are_non_negative", "rows", "signals", 0, None, "signals are 0 or more"),
            _between("cases_are_non_negative", "rows", "cases", 0, None, "cases are 0 or more"),
            _unique("one_row_per_state_and_year", "rows", "no state appears twice for a year", ["state_code", "year"]),
            _between(
                "shares_match_counts",
                "shares",
                "deviation",
                None,
                SHARE_ROUNDING * 1.02,
                "each published share of the national total matches its count: one national total, implied by the "
                f"counts and shares, fits every row within the shares' rounding (±{SHARE_ROUNDING:g} points)",
            ),
            reliability,
            _no_formulas(),
            *_state_table_rules(),
            *_plausibility_rules(kind),
        ]
    if kind == "hotline_national_signals_fy":
        return [
            _unique("one_row_per_fiscal_year", "rows", "no fiscal year appears twice", ["fiscal_year"]),
            _between("signals_are_non_negative", "rows", "total_signals", 0, None, "signals are 0 or more"),
            _between(
                "situations_are_non_negative",
                "rows",
                "potential_situations_identified",
                0,
                None,
                "situations are 0 or more",
            ),
            _a_not_below_b(
                "substantive_signals_within_total",
                "rows",
                "total_signals",
                "substantive_signals",
                "substantive signals do not exceed all signals",
            ),
            _a_not_below_b(
                "victim_signals_within_total",
                "rows",
                "total_signals",
                "signals_from_potential_victims",
                "signals from potential victims do not exceed all signals",
            ),
            reliability,
            _no_formulas(),
            *_plausibility_rules(kind),
        ]
    return [
        _in_set(
            "jurisdiction_is_known",
            "rows",
            "jurisdiction",
            lambda: voc.jurisdictions,
            "jurisdiction (seeds/jurisdictions.csv)",
        ),
        _in_set("scope_is_known", "rows", "scope", lambda: voc.codes("scope"), "scope"),
        _unique("figure_ids_are_unique", "rows", "every figure_id is used once", ["figure_id"]),
        *_figure_rules(
            "rows",
            [
                "jurisdiction",
                "metric",
                "base_key",
                "breakdown",
                "unit",
                "scope",
                "period_start",
                "period_end",
                "repeat_ordinal",
            ],
        ),
        _no_formulas(),
        *_plausibility_rules(kind),
    ]


def suite_for(kind: str) -> list[ExpectationDef]:
    return report_release_suite() if kind == "report_releases" else hotline_suite(kind)
