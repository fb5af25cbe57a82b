"""Landing file versions: parse, validate, write the reports, then archive (accepted) or quarantine (refused).
A batch's files are judged each as if landed alone after the ones before it, and validated together (`land_all`).

No Dagster here: the batch ingest asset turns a `Landing` into per-file materializations and check results.
Besides its kind's expectations, every file is checked against the ledger: bytes already live under another
file name of the same kind are a duplicate delivery, refused here, before any dbt run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.engine.ledger import same_bytes_elsewhere
from orchestration.engine.references import keep_measures, kinds_compared_with, references_for, staged_measures
from orchestration.engine.staged import StagedVersion
from orchestration.engine.store import archive, quarantine
from orchestration.engine.versions import FileVersion, LandedFile, unsafe_name_problem
from orchestration.engine.warehouse import Warehouse
from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.files import sha256_of
from orchestration.parsers.kinds import SOURCE_KINDS
from orchestration.quality.reports import write_reports
from orchestration.quality.runner import WHOLE_FILE, Outcome
from orchestration.quality.validate import ParsedFile, Validation, validate_many

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# A landing check of every kind: these bytes are not live already under another file name.
DUPLICATE_CHECK = "not_a_duplicate_delivery"
DUPLICATE_DESCRIPTION = "The file's bytes are not already loaded under another file name of the same kind."
# How many files are parsed, then validated together, at most: their parsed tables are held in memory meanwhile.
TOGETHER = 50


@dataclass
class Landing:
    """What landing one file version found and where the file went."""

    version: FileVersion
    size: int
    mtime: float = 0.0
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    validation: Validation = field(default_factory=lambda: Validation([]))
    parse_error: dict[str, Any] | None = None
    json_report: Path | None = None
    html_report: Path | None = None
    stored_in: Path | None = None

    @property
    def outcomes(self) -> list[Outcome]:
        return self.validation.outcomes

    @property
    def failed_expectations(self) -> list[str]:
        return [o.name for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def passed(self) -> bool:
        return self.parse_error is None and not self.failed_expectations

    @property
    def first_problem(self) -> str:
        if self.parse_error:
            return self.parse_error["message"]
        failed = next(o for o in self.outcomes if not o.success and o.severity == "error")
        return f"{failed.name}: {failed.problem(examples=2)}"


def _duplicate_outcome(warehouse: Warehouse, version: FileVersion) -> Outcome:
    """The duplicate-delivery check: the same bytes live under another file name are refused, naming it."""
    earlier = same_bytes_elsewhere(warehouse, version)
    if earlier is None:
        return Outcome(DUPLICATE_CHECK, "error", DUPLICATE_DESCRIPTION, True)
    found = f"the same bytes as {Path(earlier.version.path).name}, loaded {earlier.loaded_at:%Y-%m-%d}"
    return Outcome(
        DUPLICATE_CHECK,
        "error",
        DUPLICATE_DESCRIPTION,
        False,
        observed=earlier.version.label,
        unexpected_count=1,
        examples=[{"row": WHOLE_FILE, "found": found}],
    )


def land(version: FileVersion, warehouse: Warehouse) -> Landing:
    """Parse and validate one file version against the live `warehouse`; archive it if it passed, quarantine it
    with a report if not."""
    return next(land_all([version], warehouse))


def land_all(versions: Sequence[FileVersion], warehouse: Warehouse) -> Iterator[Landing]:
    """Land file versions in order, each as if landed alone after the ones before it: a file is compared with the
    files before it that passed (engine/references.py). Yields each file's Landing once it is archived or
    quarantined.

    great-expectations validates the files of a kind together (quality/runner.py says why), so each group of
    `TOGETHER` files is parsed first, and the files are validated together, each as if the files before it pass.
    When one is refused, the files after it that were compared with it are validated again: the next one alone,
    then twice as many at a time after each group that had no refusal (a run of refused files costs what landing
    them one by one did).
    """
    for start in range(0, len(versions), TOGETHER):
        landings = [_parsed(version) for version in versions[start : start + TOGETHER]]
        stale, window, refused = set(range(len(landings))), len(landings), False
        for position, landing in enumerate(landings):
            if position in stale:
                window = 1 if refused else window * 2
                now = set(sorted(stale)[:window])
                _validate_assuming_earlier_pass(landings[position:], warehouse, {i - position for i in now})
                stale, refused = stale - now, False
            _file_away(landing, warehouse)
            yield landing
            if landing.parse_error is None and not landing.passed:
                refused = True
                stale |= {
                    later
                    for later in range(position + 1, len(landings))
                    if landing.version.kind in kinds_compared_with(landings[later].version.kind)
                }


def _parsed(version: FileVersion) -> Landing:
    """Hash and parse a file version; its tables are staged at once (its status says later whether it passed)."""
    path = Path(version.path)
    kind = SOURCE_KINDS[version.kind]
    # The bytes read now are the version: a file replaced since it was listed is taken as it is now.
    sha = sha256_of(path)
    stat = path.stat()
    version = FileVersion(version.kind, version.partition_key, version.path, sha, version.mtime)
    landing = Landing(version, stat.st_size, stat.st_mtime)
    try:
        if problem := unsafe_name_problem(path.name):
            raise SourceFileError(path, None, problem, "a plain file name <key>.<extension>")
        landing.tables = kind.parse(path)
    except SourceFileError as error:
        landing.parse_error = error.details()
    except (OSError, MemoryError):
        raise  # the machine's fault, not the file's: the run fails, and the file is taken again by the next one
    except Exception as error:  # a parser bug this file runs into: refuse the file, not the whole batch
        logger.exception("The %s parser failed on %s", version.kind, path)
        landing.parse_error = _parser_failed(path, error).details()
    else:
        staged = _staged(landing)
        staged.write_tables(landing.tables)
        keep_measures(version.kind, staged.folder, landing.tables)
    return landing


def _parser_failed(path: Path, error: Exception) -> SourceFileError:
    """A parser that raised something other than SourceFileError, as the file's parse error."""
    return SourceFileError(
        path,
        None,
        f"the parser failed on this file with {type(error).__name__}: {error}",
        "a file the parser can read: a parser bug, report it with this file (kept in quarantine)",
    )


def _staged(landing: Landing) -> StagedVersion:
    return StagedVersion(landing.version.kind, landing.version.partition_key, landing.version.sha256)


def _validate_assuming_earlier_pass(landings: list[Landing], warehouse: Warehouse, which: set[int]) -> None:
    """Validate the parsed files among `landings` at the positions `which`, each compared with the files before it
    in `landings` as if those passed."""
    files: dict[str, list[tuple[Landing, ParsedFile]]] = {}
    earlier: list[StagedVersion] = []
    for position, landing in enumerate(landings):
        if landing.parse_error is not None:
            continue
        version = landing.version
        if position in which:
            references = references_for(warehouse, version.kind, version.partition_key, landing.tables, earlier)
            # Its measures, kept as it was staged, as every later file compared with it reads them: computed once.
            measures = staged_measures(version.kind, _staged(landing).folder)
            parsed = ParsedFile(landing.tables, references, version.sha256, measures)
            files.setdefault(version.kind, []).append((landing, parsed))
        elif not landing.passed:
            continue  # validated before, and refused: the files after it are not compared with it
        earlier.append(_staged(landing))
    for kind, items in files.items():
        for (landing, _), validation in zip(items, validate_many(kind, [file for _, file in items]), strict=True):
            duplicate = _duplicate_outcome(warehouse, landing.version)
            landing.validation = Validation([duplicate, *validation.outcomes], validation.correction)


def _file_away(landing: Landing, warehouse: Warehouse) -> None:
    """Write a validated file's reports, then archive it (passed) or quarantine it (refused)."""
    version = landing.version
    path = Path(version.path)
    file = LandedFile(version.kind, path, landing.size, landing.mtime)
    correction = landing.validation.correction
    landing.json_report, landing.html_report = write_reports(
        version.kind,
        version.partition_key,
        version.sha256,
        str(path),
        landing.outcomes,
        landing.parse_error,
        correction.as_dict() if correction else None,
    )
    staged = _staged(landing)
    if landing.passed:
        landing.stored_in = archive(file, version.sha256)
    else:
        report = {
            "refused_by": "landing checks",
            "parse_error": landing.parse_error,
            "failed_expectations": landing.failed_expectations,
            "first_problem": landing.first_problem,
            "report": str(landing.json_report),
        }
        landing.stored_in = quarantine(file, version.sha256, report)
        warehouse.record_refusal(version.key, str(path), report)
    staged.write_status(
        {
            "passed": landing.passed,
            "path": str(path),
            "parse_error": landing.parse_error,
            "failed_expectations": landing.failed_expectations,
        }
    )


def refuse_after_tests(warehouse: Warehouse, version: FileVersion, failures: list[dict[str, Any]]) -> Path:
    """Quarantine a version that passed its landing checks but made error-level dbt tests fail."""
    path = Path(version.path)
    file = LandedFile(version.kind, path, path.stat().st_size if path.exists() else 0, 0.0)
    staged = StagedVersion(version.kind, version.partition_key, version.sha256)
    staged.write_status({**staged.status(), "passed": False, "failed_warehouse_tests": [f["test"] for f in failures]})
    report = {
        "refused_by": "warehouse tests (dbt) in a candidate copy of the warehouse",
        "failed_tests": failures,
        "first_problem": f"dbt test {failures[0]['test']} failed" if failures else "dbt tests failed",
    }
    folder = quarantine(file, version.sha256, report)
    warehouse.record_refusal(version.key, version.path, report)
    return folder
