"""A corpus of malformed source files, each derived from a real shipped file by one mutation.

Each case names the check (or the parse problem) that must refuse it. Used by test_quality_gates.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SOURCES = Path(__file__).resolve().parent.parent / "sources"
RELEASE = SOURCES / "report_releases/ochttf/ochttf-2021.yaml"
STATES = SOURCES / "hotline_state_calls_cases/state_calls_cases_2012_2016.csv"
STATES_2024 = SOURCES / "hotline_state_calls_cases/state_signals_cases_2024.csv"
FISCAL = SOURCES / "hotline_national_signals_fy/national_signals_fy2013_2024.csv"
PUBLISHED = SOURCES / "hotline_published_figures/published_figures.csv"


@dataclass(frozen=True)
class Case:
    id: str
    original: Path
    mutate: Callable[[bytes], bytes]
    check: str  # the failing asset check: file_parses or an expectation name
    message: str  # a piece of the message that must name the problem
    file_name: str | None = None  # landed under another name
    with_provenance: bool = True
    provenance_change: Callable[[str], str] | None = None  # applied to the provenance record landed beside it

    @property
    def kind(self) -> str:
        return self.original.parent.name if self.original.suffix == ".csv" else "report_releases"

    @property
    def name(self) -> str:
        return self.file_name or self.original.name


def text(change: Callable[[str], str]) -> Callable[[bytes], bytes]:
    return lambda data: change(data.decode("utf-8")).encode("utf-8")


def sub(pattern: str, replacement: str, count: int = 1) -> Callable[[bytes], bytes]:
    def change(content: str) -> str:
        changed, n = re.subn(pattern, replacement, content, count=count, flags=re.MULTILINE)
        assert n, f"pattern {pattern!r} not found"
        return changed

    return text(change)


def _duplicate_first_figure(content: str) -> str:
    head, figures = content.split("figures:\n", 1)
    first = figures.split("\n- ", 1)[0]
    return f"{head}figures:\n{first}\n{figures}"


def _swap_last_rows(data: bytes) -> bytes:
    lines = data.rstrip(b"\n").split(b"\n")
    return b"\n".join([*lines[:-2], lines[-1], lines[-2]]) + b"\n"


def _first_lines(count: int, cut: int = 0) -> Callable[[bytes], bytes]:
    """The header and `count` data rows with no final line end, `cut` bytes short: a copy that stopped early."""

    def truncate(data: bytes) -> bytes:
        kept = b"\n".join(data.split(b"\n")[: count + 1])
        return kept[: len(kept) - cut]

    return truncate


def _without_state(postal: str) -> Callable[[bytes], bytes]:
    return lambda data: b"".join(
        line for line in data.splitlines(keepends=True) if not line.endswith(b"," + postal.encode() + b"\n")
    )


def _shift_column(index: int) -> Callable[[bytes], bytes]:
    """The CSV with one column moved down by one row (a copy-paste slip): the first row gets the last value."""

    def shift(data: bytes) -> bytes:
        header, *rows = data.decode().splitlines()
        cells = [row.split(",") for row in rows]
        column = [c[index] for c in cells]
        for row, value in zip(cells, [column[-1], *column[:-1]], strict=True):
            row[index] = value
        return "\n".join([header, *(",".join(c) for c in cells)]).encode() + b"\n"

    return shift


def _large(data: bytes) -> bytes:
    padding = "# " + "x" * 1000 + "\n"
    return data + (padding * 6000).encode()


PARSE = "file_parses"

CASES = [
    # --- report releases: the parser refuses ---
    Case("truncated_release", RELEASE, lambda d: d[: len(d) // 3], PARSE, "invalid YAML"),
    Case("empty_release", RELEASE, lambda d: b"", PARSE, "the file is empty"),
    Case(
        "latin1_release",
        RELEASE,
        lambda d: d.decode().replace("Victim Report", "Informe de Víctimas").encode("latin-1"),
        PARSE,
        "not valid UTF-8",
    ),
    Case("binary_named_yaml", RELEASE, lambda d: b"%PDF-1.7\n\x00\x01\x02" + d[:64], PARSE, "binary, not text"),
    Case("control_character", RELEASE, sub(r"^  title: ", "  title: \x07"), PARSE, "the character U+0007 is not"),
    Case("yaml_syntax_error", RELEASE, sub(r"^figures:$", "figures: [unclosed"), PARSE, "invalid YAML"),
    Case("missing_required_field", RELEASE, sub(r"^  title: .*\n", ""), PARSE, "missing required field(s) title"),
    Case(
        "extra_unknown_field",
        RELEASE,
        sub(r"^  unit: count$", "  unit: count\n  colour: red"),
        PARSE,
        "unknown field(s) colour",
    ),
    Case("non_numeric_count", RELEASE, sub(r"^  value: 357$", "  value: three hundred"), PARSE, "not a number"),
    Case(
        "release_id_of_another_file",
        RELEASE,
        lambda d: d,
        PARSE,
        "does not match the file name",
        file_name="ochttf-2019.yaml",
    ),
    Case(
        "path_like_file_name",
        RELEASE,
        lambda d: d,
        PARSE,
        "contains a path separator or '..'",
        file_name="ochttf..2021.yaml",
    ),
    Case("very_large_file", RELEASE, _large, PARSE, "MB"),
    Case("wrong_format_version", RELEASE, sub(r"^format_version: 1$", "format_version: 7"), PARSE, "found 7"),
    Case(
        "key_written_twice",
        RELEASE,
        sub(r"^  value: 357$", "  value: 357\n  value: 375"),
        PARSE,
        "the key 'value' is given twice",
    ),
    Case("nan_value", RELEASE, sub(r"^  value: 357$", "  value: .nan"), PARSE, "nan is not a finite number"),
    # --- report releases: the expectation suite refuses ---
    Case(
        "source_url_not_a_web_address",
        RELEASE,
        sub(r"^  source_url: https://newsantaana\.com/\S+$", "  source_url: see page 4 of the report"),
        "source_url_is_a_web_address",
        "see page 4 of the report",
    ),
    Case("negative_count", RELEASE, sub(r"^  value: 33$", "  value: -33"), "counts_are_non_negative", "figures["),
    Case("fractional_count", RELEASE, sub(r"^  value: 27$", "  value: 27.5"), "counts_are_whole_numbers", "figures[5]"),
    Case("percent_over_100", RELEASE, sub(r"^  value: 94$", "  value: 194"), "percents_within_0_and_100", "194"),
    Case("part_over_total", RELEASE, sub(r"^  value: 330$", "  value: 400"), "parts_not_above_total", "gender"),
    Case(
        "parts_do_not_sum",
        RELEASE,
        sub(r"^  value: 317$", "  value: 300"),
        "complete_parts_sum_to_total",
        "trafficking_type",
    ),
    Case(
        "period_reversed",
        RELEASE,
        sub(r"^  period_start: '2019-01-01'$", "  period_start: '2021-01-01'"),
        "release_period_end_not_before_start",
        "release",
    ),
    Case(
        "future_release_date",
        RELEASE,
        sub(r"^  release_date: '2021-04-06'$", "  release_date: '2099-04-06'"),
        "release_date_not_in_future",
        "release",
    ),
    Case(
        "released_before_period_end",
        RELEASE,
        sub(r"^  release_date: '2021-04-06'$", "  release_date: '2020-06-01'"),
        "release_date_not_before_period_end",
        "release",
    ),
    Case("unknown_metric", RELEASE, sub(r"^- metric: victims$", "- metric: victimz"), "metric_is_known", "victimz"),
    Case(
        "unknown_category",
        RELEASE,
        sub(r"^  breakdown_category: female$", "  breakdown_category: women"),
        "breakdown_is_known",
        "gender:women",
    ),
    Case(
        "unit_not_allowed_for_metric",
        RELEASE,
        sub(r"^  unit: percent$", "  unit: count"),
        "unit_is_allowed_for_metric",
        "charge_filing_rate:count",
    ),
    Case(
        "unknown_jurisdiction",
        RELEASE,
        sub(r"^  jurisdiction: US-CA-ORANGE$", "  jurisdiction: US-XX-ORANGE"),
        "jurisdiction_is_known",
        "US-XX-ORANGE",
    ),
    Case("duplicate_figure", RELEASE, text(_duplicate_first_figure), "no_duplicate_figures", "figures["),
    Case(
        "formula_in_text",
        RELEASE,
        sub(r"^  quote: the task force", '  quote: =HYPERLINK("http://x") the task force'),
        "no_spreadsheet_formulas_in_text",
        "quote",
    ),
    Case(
        "number_marked_as_suppressed",
        RELEASE,
        sub(r"^  qualifier: exact$", "  qualifier: less_than"),
        "suppressed_values_are_marked",
        "figures[0]",
    ),
    # --- hotline tables ---
    Case("utf16_table", STATES, lambda d: d.decode("utf-8").encode("utf-16"), PARSE, "UTF-16"),
    Case("wrong_delimiter", STATES, lambda d: d.replace(b",", b";"), PARSE, "wrong delimiter"),
    Case(
        "missing_column",
        STATES,
        text(lambda c: "\n".join(",".join(r.split(",")[:1] + r.split(",")[2:]) for r in c.splitlines()) + "\n"),
        PARSE,
        "missing column(s) Calls",
    ),
    Case(
        "extra_column",
        STATES,
        text(lambda c: "\n".join(r + ",x" for r in c.splitlines()) + "\n"),
        PARSE,
        "unexpected column(s)",
    ),
    Case("missing_header", STATES, text(lambda c: c.split("\n", 1)[1]), PARSE, "header"),
    Case("non_numeric_calls", STATES, sub(r"^2016,4137,", "2016,n/a,"), PARSE, "column Calls"),
    Case("unknown_state", STATES, sub(r",CA$", ",ZZ"), "state_code_is_real", "ZZ"),
    Case("negative_cases", STATES, sub(r"^2016,4137,1323,", "2016,4137,-1323,"), "cases_are_non_negative", "line"),
    Case(
        "duplicate_state_year",
        STATES,
        text(lambda c: c + c.splitlines()[1] + "\n"),
        "one_row_per_state_and_year",
        "line",
    ),
    # New bytes (the last two rows swapped): the same bytes again would be a version already loaded, not new.
    Case("missing_provenance", STATES, _swap_last_rows, PARSE, "no provenance record", with_provenance=False),
    Case(
        "substantive_over_total",
        FISCAL,
        sub(r"^2024,155819,31529.0,", "2024,155819,315290,"),
        "substantive_signals_within_total",
        "line",
    ),
    # --- plausibility (quality/plausibility.py): each landed as a re-delivery of the loaded file ---
    Case(
        "cases_tenfold_typo",  # 48 -> 480: vs the loaded version, and 480 cases from 191 calls
        STATES,
        sub(r"^2016,191,48,alabama,AL$", "2016,191,480,alabama,AL"),
        "correction_explained",
        "line 2 (AL 2016), Cases_Reported: 48 -> 480",
    ),
    Case(
        "cases_thousandfold",
        STATES,
        sub(r"^2016,191,48,alabama,AL$", "2016,191,48000,alabama,AL"),
        "no_tenfold_jump",
        "line 2 (AL 2016), Cases_Reported = 48,000 vs 54 for 2015",
    ),
    Case(
        "state_above_national",  # the largest published national count for 2016 is 8,042
        STATES,
        sub(r"^2016,4137,1323,california,CA$", "2016,4137,8100,california,CA"),
        "state_not_above_national",
        "line 22 (CA 2016), Cases_Reported = 8,100 vs national 8,042",
    ),
    Case(
        "cases_far_above_calls",
        STATES,
        sub(r"^2016,191,48,alabama,AL$", "2016,19,48,alabama,AL"),
        "cases_not_far_above_contacts",
        "line 2 (AL 2016), cases = 48 vs calls = 19",
    ),
    Case("truncated_mid_row", STATES, _first_lines(130, cut=4), PARSE, "line 131: the file ends mid-row"),
    Case("truncated_at_row_end", STATES, _first_lines(130), "every_state_present", "2012: no row for NC"),
    Case("missing_states", STATES, _without_state("WY"), "every_state_present", "2012: no row for WY"),
    Case(
        "correction_without_note",
        STATES,
        sub(r"^2016,4137,1323,california,CA$", "2016,4137,132,california,CA"),
        "correction_explained",
        "line 22 (CA 2016), Cases_Reported: 1,323 -> 132",
    ),
    Case(
        "fiscal_signals_hundredfold",
        FISCAL,
        sub(r"^2024,155819,", "2024,15581900,"),
        "no_tenfold_jump",
        "line 13 (FY2024), total_signals = 15,581,900 vs 184,179 for FY2023",
    ),
    Case(
        "release_headline_hundredfold",
        RELEASE,
        sub(r"^  value: 357$", "  value: 35700"),
        "no_tenfold_jump",
        "value = 35,700 vs 415 for 2017-01-01..2018-12-31 in ochttf-2019",
    ),
    # --- the current state layout (hotline statistics page, 2024) ---
    Case(
        "shares_shifted_by_a_row",
        STATES_2024,
        _shift_column(4),
        "shares_match_counts",
        "line 2 (AL), cases_percent_of_total = 0.14%, but 105 of the implied national",
    ),
    Case(
        "current_layout_without_period",
        STATES_2024,
        _swap_last_rows,
        PARSE,
        "no period_start and no period_end: state_signals_cases_2024.csv is a state table in the current layout",
        provenance_change=lambda text: "\n".join(line for line in text.splitlines() if not line.startswith("period_")),
    ),
    Case(
        "unknown_state_name",
        STATES_2024,
        sub(r"^Wyoming,", "Wyomming,"),
        "state_code_is_real",
        "Wyomming",
    ),
    Case(
        # The 2024 state table delivered again under another name, with its own provenance record: the same bytes
        # as a file already loaded are named as a duplicate at landing, before any dbt test.
        "same_bytes_under_another_name",
        STATES_2024,
        lambda data: data,
        "not_a_duplicate_delivery",
        "the same bytes as state_signals_cases_2024.csv, loaded 20",
        file_name="state_signals_cases_2024_again.csv",
    ),
    Case("unknown_scope", PUBLISHED, sub(r",national_hotline,", ",everywhere,"), "scope_is_known", "everywhere"),
    Case(
        "duplicate_figure_id",
        PUBLISHED,
        sub(r"^nhth-pub-002,", "nhth-pub-001,"),
        "figure_ids_are_unique",
        "nhth-pub-001",
    ),
]
