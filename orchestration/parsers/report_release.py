"""The report-release format: one file per published release (see sources/README.md).

A release is either one YAML file (metadata and figures, transcribed by hand) or a publisher's own data file
(e.g. the UNODC GLOTIP workbook) with a `<release_id>.provenance.yaml` beside it holding the same release
metadata and the figures' provenance. Either way this module turns it into a release row and figure rows for
`raw.report_releases` and `raw.report_figures`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.figure_fields import OPTIONAL_FIGURE_FIELDS, REQUIRED_FIGURE_FIELDS
from orchestration.parsers.files import check_size, load_yaml_mapping, one_value, provenance_path, sha256_of
from orchestration.parsers.values import parse_date, parse_value

if TYPE_CHECKING:
    import pandas as pd

FORMAT_VERSION = 1
# A release transcribes one report: even a large one is a few hundred figures, far below this.
MAX_RELEASE_BYTES = 5 * 1024 * 1024
REQUIRED_RELEASE_FIELDS = (
    "release_id",
    "publisher",
    "publisher_code",
    "title",
    "document_type",
    "jurisdiction",
    "period_start",
    "period_end",
)
OPTIONAL_RELEASE_FIELDS = (
    "release_date",
    "release_date_note",
    "release_year",
    "document_url",
    "document_url_note",
    "notes",
    "scope",
    # Says why a re-delivered release changes figures beyond the quality thresholds (quality/plausibility.py).
    "correction_note",
)


@dataclass(frozen=True)
class ParsedRelease:
    release: dict[str, Any]
    figures: pd.DataFrame


def _text(path: Path, where: str, value: object) -> str | None:
    """A text as written (a number or a date is taken as its text); a list or mapping is refused, not stringified."""
    return None if one_value(path, where, value) is None else str(value).strip() or None


def _check_keys(path: Path, where: str, data: dict[str, Any], required: tuple, optional: tuple) -> None:
    missing = [k for k in required if data.get(k) in (None, "")]
    if missing:
        raise SourceFileError(path, where, f"missing required field(s) {', '.join(missing)}")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise SourceFileError(
            path, where, f"unknown field(s) {', '.join(unknown)}", f"only {', '.join(required + optional)}"
        )


def _date(path: Path, where: str, raw: object) -> dt.date:
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise SourceFileError(path, where, f"not a date: {exc}", "an ISO date YYYY-MM-DD") from exc


def _code(path: Path, where: str, value: object) -> str:
    """A code as written; whether it is a known one is the expectation suite's call (quality/suites.py)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise SourceFileError(path, where, f"found {value!r}", "a short text code")
    return str(value).strip()


def _parse_release(path: Path, data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SourceFileError(path, "release", "the release section is missing or not a mapping")
    _check_keys(path, "release", data, REQUIRED_RELEASE_FIELDS, OPTIONAL_RELEASE_FIELDS)
    release_date = data.get("release_date")
    release = {
        "release_id": _text(path, "release.release_id", data["release_id"]),
        "publisher": _text(path, "release.publisher", data["publisher"]),
        "publisher_code": _text(path, "release.publisher_code", data["publisher_code"]),
        "title": _text(path, "release.title", data["title"]),
        "document_type": _code(path, "release.document_type", data["document_type"]),
        "jurisdiction_id": _code(path, "release.jurisdiction", data["jurisdiction"]),
        "release_date": _date(path, "release.release_date", release_date) if release_date else None,
        "release_date_note": _text(path, "release.release_date_note", data.get("release_date_note")),
        "release_year": None,
        "period_start": _date(path, "release.period_start", data["period_start"]),
        "period_end": _date(path, "release.period_end", data["period_end"]),
        "document_url": _text(path, "release.document_url", data.get("document_url")),
        "document_url_note": _text(path, "release.document_url_note", data.get("document_url_note")),
        "notes": _text(path, "release.notes", data.get("notes")),
        "scope": _code(path, "release.scope", data["scope"]) if data.get("scope") else "task_force",
        "correction_note": _text(path, "release.correction_note", data.get("correction_note")),
    }
    if release["release_date"] is None and not release["release_date_note"]:
        raise SourceFileError(
            path,
            "release.release_date",
            "no release date and no note saying why",
            "a date, or release_date_note explaining the gap",
        )
    if release["document_url"] is None and not release["document_url_note"]:
        raise SourceFileError(
            path,
            "release.document_url",
            "no document URL and no note saying why",
            "a URL, or document_url_note explaining the gap",
        )
    year = data.get("release_year")
    release["release_year"] = (
        _year(path, "release.release_year", year)
        if year is not None
        else (release["release_date"].year if release["release_date"] else None)
    )
    return release


def _year(path: Path, where: str, raw: object) -> int:
    """A year written as four digits, `2015` or `'2015'`: not `2015.5`, `true` or `.nan`, which int() would take."""
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if len(text) != 4 or not text.isdigit():
        raise SourceFileError(path, where, f"not a year: found {raw!r}", "a year of four digits such as 2015")
    return int(text)


def _parse_figure(path: Path, index: int, data: object, release: dict[str, Any]) -> dict[str, Any]:
    where = f"figures[{index}]"
    if not isinstance(data, dict):
        raise SourceFileError(path, where, f"found {data!r}", "a figure: a mapping of its fields (metric, value, ...)")
    _check_keys(path, where, data, REQUIRED_FIGURE_FIELDS, OPTIONAL_FIGURE_FIELDS)
    metric = _code(path, f"{where}.metric", data["metric"])
    unit = _code(path, f"{where}.unit", data["unit"])
    dimension = _text(path, f"{where}.breakdown_dimension", data.get("breakdown_dimension")) or "total"
    category = _text(path, f"{where}.breakdown_category", data.get("breakdown_category")) or "all"
    base = data.get("base_population")
    if base is not None:
        base = _code(path, f"{where}.base_population", base)
    try:
        parsed = parse_value(data["value"])
    except ValueError as exc:
        raise SourceFileError(
            path,
            f"{where}.value",
            f"not a number: {exc}",
            'a number such as 357 or 91.9, or a suppressed value such as "<3"',
        ) from exc
    qualifier = (
        "less_than"
        if parsed.suppressed_below is not None
        else (_text(path, f"{where}.qualifier", data.get("qualifier")) or "exact")
    )
    qualifier = _code(path, f"{where}.qualifier", qualifier)
    has_own_period = data.get("period_start") is not None or data.get("period_end") is not None
    return {
        "release_id": release["release_id"],
        "figure_index": index,
        "jurisdiction_id": None,
        "metric": metric,
        "base_population": base,
        "breakdown_dimension": dimension,
        "breakdown_category": category,
        "value": parsed.value,
        "value_text": parsed.value_text,
        "suppressed_below": parsed.suppressed_below,
        "unit": unit,
        "qualifier": qualifier,
        "period_start": _date(path, f"{where}.period_start", data.get("period_start"))
        if has_own_period
        else release["period_start"],
        "period_end": _date(path, f"{where}.period_end", data.get("period_end"))
        if has_own_period
        else release["period_end"],
        "source_url": _text(path, f"{where}.source_url", data["source_url"]),
        "quote": _text(path, f"{where}.quote", data.get("quote")),
        "reliability": _code(path, f"{where}.reliability", data["reliability"]),
        "note": _text(path, f"{where}.note", data.get("note")),
    }


# A release transcribed by hand is YAML; anything else is a publisher's data file with a provenance record.
TRANSCRIBED_SUFFIXES = (".yaml", ".yml")
# Data-file layouts a release may come in, by file suffix, and the parser of each.
TABULAR_LAYOUTS = {"unodc_glotip": ".xlsx", "figures_csv": ".csv"}
MAX_TABULAR_BYTES = 500 * 1024 * 1024


def _parse_tabular_release(path: Path) -> ParsedRelease:
    """A publisher's data file plus its provenance record: release metadata, layout and figure provenance."""
    from orchestration.parsers.figures_csv import parse_figures_csv
    from orchestration.parsers.unodc_glotip import parse_glotip_figures

    check_size(path, MAX_TABULAR_BYTES)
    sidecar = provenance_path(path)
    if not sidecar.is_file():
        raise SourceFileError(
            path, None, f"no provenance record {sidecar.name} beside it", "a data file with <name>.provenance.yaml"
        )
    document = load_yaml_mapping(sidecar)
    if document.get("format_version") != FORMAT_VERSION:
        raise SourceFileError(
            sidecar, "format_version", f"found {document.get('format_version')!r}", f"format_version: {FORMAT_VERSION}"
        )
    layout = document.get("layout")
    if TABULAR_LAYOUTS.get(layout) != path.suffix.lower():
        expected = ", ".join(f"{name} ({suffix})" for name, suffix in TABULAR_LAYOUTS.items())
        raise SourceFileError(sidecar, "layout", f"found {layout!r} for a {path.suffix} file", expected)
    release = _parse_release(sidecar, document.get("release"))
    if release["release_id"] != path.name.split(".")[0]:
        raise SourceFileError(
            sidecar,
            "release.release_id",
            f"found {release['release_id']!r}",
            f"the data file's name, {path.name.split('.')[0]}",
        )
    defaults = document.get("figures")
    if not isinstance(defaults, dict) or not defaults.get("source_url") or not defaults.get("reliability"):
        raise SourceFileError(
            sidecar, "figures", "no figure provenance", "figures: {source_url: ..., reliability: ...}"
        )
    for field, value in defaults.items():  # each goes into one column of every figure
        one_value(sidecar, f"figures.{field}", value)
    parse = parse_glotip_figures if layout == "unodc_glotip" else parse_figures_csv
    figures = parse(path, release, defaults)
    sha = sha256_of(path)
    release |= {"source_file": path.name, "file_sha256": sha}
    figures["source_file"] = path.name
    figures["file_sha256"] = sha
    return ParsedRelease(release=release, figures=figures)


def parse_release_file(path: Path) -> ParsedRelease:
    """Parse and structurally check one release file; raise SourceFileError naming the field at fault.

    Structure (valid YAML, required fields, dates, numbers) is checked here; whether codes are known and
    figures are plausible is checked by the expectation suite (orchestration/quality/suites.py).
    """
    import pandas as pd

    if path.suffix.lower() not in TRANSCRIBED_SUFFIXES:
        return _parse_tabular_release(path)
    check_size(path, MAX_RELEASE_BYTES)
    document = load_yaml_mapping(path)
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise SourceFileError(path, "format_version", f"found {version!r}", f"format_version: {FORMAT_VERSION}")
    unknown = sorted(set(document) - {"format_version", "release", "figures"})
    if unknown:
        raise SourceFileError(
            path, None, f"unknown top-level key(s) {', '.join(unknown)}", "format_version, release, figures"
        )
    release = _parse_release(path, document.get("release"))
    stem = path.name.split(".")[0]
    if release["release_id"] != stem:
        raise SourceFileError(
            path,
            "release.release_id",
            f"release_id {release['release_id']!r} does not match the file name",
            f"a file named {release['release_id']}.yaml (one file per release)",
        )
    figures = document.get("figures")
    if not isinstance(figures, list) or not figures:
        found = f"found a YAML {type(figures).__name__}" if figures and not isinstance(figures, list) else "no figures"
        raise SourceFileError(path, "figures", found, "a non-empty list of figures")
    rows = [_parse_figure(path, i, figure, release) for i, figure in enumerate(figures)]
    sha = sha256_of(path)
    release |= {"source_file": path.name, "file_sha256": sha}
    frame = pd.DataFrame(rows)
    frame["source_file"] = path.name
    frame["file_sha256"] = sha
    return ParsedRelease(release=release, figures=frame)
