"""Validating parsed files: their kind's expectation suite over each file's frames and the plausibility frames
that compare it with its references (other files, national figures, the version it replaces). No I/O here: the
engine gathers the references (engine/references.py) and passes them in. Several files of a kind are validated
at once (`validate_many`), each getting what it would get alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestration.parsers.report_release import TRANSCRIBED_SUFFIXES
from orchestration.quality import plausibility
from orchestration.quality.frames import hotline_frames, report_release_frames
from orchestration.quality.runner import Outcome, run_suites
from orchestration.quality.suites import suite_for

if TYPE_CHECKING:
    import pandas as pd

# The first check of every file: it parses (encoding, syntax, header, required fields, types).
PARSE_CHECK = "file_parses"


@dataclass(frozen=True)
class ReplacedVersion:
    """The version of the same file name that is live in the warehouse, as the long form of its numbers."""

    sha256: str
    measures: pd.DataFrame


def _no_other_files() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=plausibility.MEASURE_COLUMNS)


@dataclass
class References:
    """What a file is compared with (engine/references.py says where each comes from)."""

    # The followed numbers of every other file of the kind, each with its file name as `source`.
    other_files: pd.DataFrame = field(default_factory=_no_other_files)
    # National hotline figures, for state tables.
    national: pd.DataFrame | None = None
    replaced: ReplacedVersion | None = None
    # The headline victim count of the publisher's previous release for the same jurisdiction (releases).
    previous_headline: float | None = None


@dataclass
class Validation:
    """The expectations' outcomes for one file, and how it differs from the version it replaces (if any)."""

    outcomes: list[Outcome]
    correction: plausibility.Correction | None = None


@dataclass(frozen=True)
class ParsedFile:
    """A parsed file (`tables`, by raw table) and what it is compared with."""

    tables: dict[str, pd.DataFrame]
    references: References
    sha256: str = ""
    # Its plausibility measures (`plausibility.measures` of its tables), where the caller has them already: the
    # engine computes them once per staged version, for this file and for the files compared with it later.
    measures: pd.DataFrame | None = None


def _transcribed(tables: dict[str, pd.DataFrame]) -> bool:
    return str(tables["report_releases"]["source_file"].iloc[0]).endswith(TRANSCRIBED_SUFFIXES)


def _plausibility_frames(kind: str, file: ParsedFile) -> tuple[dict[str, pd.DataFrame], plausibility.Correction | None]:
    """The frames of the plausibility rules: jumps, the correction, and for state tables national totals,
    contacts and coverage (quality/plausibility.py)."""
    tables, references, sha256 = file.tables, file.references, file.sha256
    provenance = tables["report_releases"] if kind == "report_releases" else next(iter(tables.values()))
    note_column = "correction_note" if kind == "report_releases" else "dataset_correction_note"
    noted = bool(provenance[note_column].notna().any()) if note_column in provenance else False
    long = file.measures if file.measures is not None else plausibility.measures(kind, tables)
    jumps = plausibility.jumps(plausibility.trend_measures(kind, long), references.other_files, noted)
    # A publisher's own data file is kept as published: its jumps are shown (a warning), not refused.
    own_data = kind == "report_releases" and not _transcribed(tables)
    frames = {
        "jumps": jumps.iloc[0:0] if own_data else jumps,
        "publisher_jumps": jumps if own_data else jumps.iloc[0:0],
    }
    replaced = references.replaced
    correction = (
        plausibility.correction(long, replaced.measures, replaced.sha256)
        if replaced and replaced.sha256 != sha256
        else None
    )
    frames["correction"] = plausibility.correction_frame(correction, noted)
    if kind == "hotline_state_calls_cases":
        scope = provenance["dataset_partial_scope"].dropna() if "dataset_partial_scope" in provenance else []
        national = references.national if references.national is not None else plausibility.national_figures([])
        frames["national"] = plausibility.national_comparison(long, national)
        frames["contacts"] = plausibility.contacts_comparison(long)
        frames["coverage"] = plausibility.coverage(long, scope.iloc[0] if len(scope) else None)
        frames["shares"] = plausibility.share_consistency(provenance)
    return frames, correction


def frames_of(kind: str, file: ParsedFile) -> tuple[dict[str, pd.DataFrame], plausibility.Correction | None]:
    """The frames the kind's suite validates for one parsed file, and how it differs from the version it
    replaces (if any)."""
    if kind == "report_releases":
        frames = report_release_frames(file.tables, file.references.previous_headline)
    else:
        frames = hotline_frames(kind, next(iter(file.tables.values())))
    extra, correction = _plausibility_frames(kind, file)
    return {**frames, **extra}, correction


def validate_many(kind: str, files: Sequence[ParsedFile]) -> list[Validation]:
    """Run the kind's suite over several parsed files at once (quality/runner.py says why): for each file, what
    validating it alone would give."""
    framed = [frames_of(kind, file) for file in files]
    outcomes = run_suites(suite_for(kind), [frames for frames, _ in framed])
    return [Validation(o, correction) for o, (_, correction) in zip(outcomes, framed, strict=True)]


def validate(kind: str, tables: dict[str, pd.DataFrame], references: References, sha256: str = "") -> Validation:
    """Run the kind's suite over a parsed file (`tables`, by raw table) compared with its references."""
    return validate_many(kind, [ParsedFile(tables, references, sha256)])[0]
