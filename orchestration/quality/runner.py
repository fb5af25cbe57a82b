"""Run an expectation suite over pandas frames with great-expectations 1.x (an ephemeral context per suite, built
once per process; each file's frames are validated as batches of it)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestration.quality.suites import ExpectationDef

if TYPE_CHECKING:
    import pandas as pd

EXAMPLES = 5
# The "row" of an expectation about the file as a whole (e.g. a duplicate delivery).
WHOLE_FILE = "the whole file"
# Which file of a batch a row comes from, in a frame of several files' rows validated at once.
FILE_COLUMN = "_file"


@dataclass(frozen=True)
class Outcome:
    """The result of one expectation on one file, in the terms a person fixing the file needs."""

    name: str
    severity: str
    description: str
    success: bool
    observed: Any = None
    unexpected_count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def problem(self, examples: int = 3) -> str:
        """What failed, in one line: the description with the first failing rows, what was found in the file when
        the expectation is about the whole file (`WHOLE_FILE`), or why it could not be evaluated."""
        if [e["row"] for e in self.examples] == [WHOLE_FILE]:
            return str(self.examples[0]["found"])
        if self.error and not self.examples:
            return f"{self.description}: could not be evaluated: {self.error}"
        shown = "; ".join(f"{e['row']} = {e['found']}" for e in self.examples[:examples])
        return f"{self.description}: {self.unexpected_count} unexpected, e.g. {shown}"


def _plain(value: Any) -> Any:
    """numpy scalars and dates as plain, readable values (rounded floats)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, 2)
    return value if isinstance(value, str | int | bool | type(None)) else str(value)


def _examples(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = result.get("partial_unexpected_index_list") or result.get("unexpected_index_list") or []
    values = result.get("partial_unexpected_list") or []
    examples = []
    for i, row in enumerate(rows[:EXAMPLES]):
        where = row.get("row_ref") if isinstance(row, dict) else row
        found = {k: _plain(v) for k, v in row.items() if k != "row_ref"} if isinstance(row, dict) else {}
        if not found and i < len(values):
            found = {"value": _plain(values[i])}
        examples.append({"row": where, "found": found})
    return examples


def warm_up(suites: Sequence[Sequence[ExpectationDef]]) -> threading.Thread:
    """Import great-expectations and prepare these suites in the background (the import is about 3 s where no
    fork server has it already, a release's suite 0.13 s), so that a run pays for them while it lists, hashes and
    parses its files rather than after; `run_suites` then finds them ready (or waits for them)."""

    def load() -> None:
        for suite in suites:
            _prepare(suite)

    thread = threading.Thread(target=load, name="great-expectations warm-up", daemon=True)
    thread.start()
    return thread


@dataclass
class _PreparedFrame:
    """One frame's part of a suite, made once per process: great-expectations' batch definition (each validated
    frame is passed as its batch parameter) and the frame's expectations as suites.

    `alone` holds them as written, for one file by itself. `together()` validates the rows of several files at
    once: the expectations that judge each row alone as written, and each uniqueness expectation over the file and
    its columns; it is built on first use (a run that lands one file never needs it). Its `keys`: the columns of
    each uniqueness expectation that skips rows where all of them are missing, which its rewrite does not (frames
    with such rows are validated file by file).
    """

    batch_definition: Any
    alone: Any
    definitions: list[ExpectationDef]
    new_suite: Callable[[str], Any]
    gxe: Any
    built: tuple[Any, tuple[tuple[str, ...], ...]] | None = None

    def together(self) -> tuple[Any, tuple[tuple[str, ...], ...]]:
        with _prepare_lock:
            if self.built is None:
                suite = self.new_suite(f"{self.definitions[0].frame} of several files")
                keys = []
                for definition in self.definitions:
                    expectation = definition.build(self.gxe)
                    if definition.compares_rows:
                        expectation, skipped = _within_each_file(self.gxe, definition, expectation)
                        keys += [skipped] if skipped else []
                    _add(suite, definition, expectation)
                self.built = (suite, tuple(keys))
            return self.built


# A suite prepared once per process, by its expectations' names, frames, severities and descriptions (what each
# checks comes from the project's vocabulary, fixed for the process): building the context, assets and suites took
# 0.13 s of the 0.55 s a release's validation took, for every file.
_prepared: dict[tuple[tuple[str, str, str, str, bool], ...], dict[str, _PreparedFrame]] = {}
_prepare_lock = threading.RLock()


def _prepare(suite: Sequence[ExpectationDef]) -> dict[str, _PreparedFrame]:
    key = tuple((d.name, d.frame, d.severity, d.description, d.compares_rows) for d in suite)
    with _prepare_lock:
        if key not in _prepared:
            _prepared[key] = _build(suite)
        return _prepared[key]


def _add(suite: Any, definition: ExpectationDef, expectation: Any) -> None:
    """Add an expectation to a suite under its definition's name, by which its results are read back."""
    expectation.meta = {"name": definition.name}
    suite.add_expectation(expectation)


def _within_each_file(gxe: Any, definition: ExpectationDef, expectation: Any) -> tuple[Any, tuple[str, ...] | None]:
    """A uniqueness expectation for the rows of several files: over the file's column and its own, skipping the
    rows it skips. Also the columns whose all-missing rows the original skips and the rewrite would not (a frame
    with such rows is then validated file by file), or None."""
    if isinstance(expectation, gxe.ExpectColumnValuesToBeUnique):  # skips missing values: exactly the same
        return gxe.ExpectCompoundColumnsToBeUnique(
            column_list=[FILE_COLUMN, expectation.column], ignore_row_if="any_value_is_missing"
        ), None
    if isinstance(expectation, gxe.ExpectCompoundColumnsToBeUnique):
        columns = tuple(expectation.column_list)
        skipped = columns if expectation.ignore_row_if == "all_values_are_missing" else None
        return gxe.ExpectCompoundColumnsToBeUnique(
            column_list=[FILE_COLUMN, *columns], ignore_row_if=expectation.ignore_row_if
        ), skipped
    raise TypeError(f"{definition.name}: an expectation that compares rows must be a uniqueness expectation")


def _build(suite: Sequence[ExpectationDef]) -> dict[str, _PreparedFrame]:
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx  # imported here: 3 s and 200 MB that code-location loading must not pay
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    # GX draws tqdm progress bars even with TQDM_DISABLE set; its own setting turns them off.
    context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(
        globally=False, metric_calculations=False
    )
    source = context.data_sources.add_pandas("landed")

    def new_suite(name: str) -> Any:
        return context.suites.add(gx.ExpectationSuite(name=name))

    prepared = {}
    for frame_name in dict.fromkeys(d.frame for d in suite):
        definitions = [d for d in suite if d.frame == frame_name]
        alone = new_suite(frame_name)
        for definition in definitions:
            _add(alone, definition, definition.build(gxe))
        batch_definition = source.add_dataframe_asset(name=frame_name).add_batch_definition_whole_dataframe(frame_name)
        prepared[frame_name] = _PreparedFrame(batch_definition, alone, definitions, new_suite, gxe)
    return prepared


def _validate(prepared: _PreparedFrame, expectations: Any, frame: pd.DataFrame, result_format: str) -> list[Any]:
    batch = prepared.batch_definition.get_batch(batch_parameters={"dataframe": frame})
    index = [FILE_COLUMN, "row_ref"] if FILE_COLUMN in frame.columns else ["row_ref"]
    result = batch.validate(
        expectations,
        result_format={
            "result_format": result_format,
            "unexpected_index_column_names": index,
            "partial_unexpected_count": EXAMPLES,
        },
    )
    return list(result.results)


def _outcome(definition: ExpectationDef, item: Any, rows: list[dict[str, Any]] | None = None) -> Outcome:
    """An expectation's Outcome for one file: from its own validation, or (`rows`) its failing rows of a
    validation of several files."""
    details = item.result or {}
    error = "; ".join(_errors(item)) or None
    if rows is None:
        success, count, examples = bool(item.success), int(details.get("unexpected_count") or 0), _examples(details)
    else:
        success, count = not rows, len(rows)
        examples = _examples({"partial_unexpected_index_list": rows[:EXAMPLES]})
    return Outcome(
        name=definition.name,
        severity=definition.severity,
        description=definition.description,
        success=success,
        observed=_plain(details.get("observed_value")),
        unexpected_count=count,
        examples=examples,
        error=error,
    )


def _errors(item: Any) -> list[str]:
    """The messages of the exceptions an expectation's metrics raised (great-expectations gives one exception's
    info, or one per metric)."""
    infos = item.exception_info or {}
    infos = [infos] if "raised_exception" in infos else [v for v in infos.values() if isinstance(v, dict)]
    return [str(info.get("exception_message") or "raised") for info in infos if info.get("raised_exception")]


def _together(
    prepared: _PreparedFrame, frames: Sequence[pd.DataFrame], definitions: Mapping[str, ExpectationDef]
) -> list[dict[str, Outcome]] | None:
    """One frame of every file validated at once, each row marked with its file; each file gets its own failing
    rows. None where that would not be what each file gets alone: an expectation raised or failed without naming
    its rows, or a uniqueness expectation would compare rows it skips within a file (or lacks its columns)."""
    import pandas as pd

    numbered = [frame.assign(**{FILE_COLUMN: str(i)}) for i, frame in enumerate(frames)]
    nonempty = [frame for frame in numbered if len(frame)] or numbered[:1]
    combined = pd.concat(nonempty, ignore_index=True) if len(nonempty) > 1 else nonempty[0]
    together, keys = prepared.together()
    for columns in keys:
        if not set(columns) <= set(combined.columns) or combined[list(columns)].isna().all(axis=1).any():
            return None
    results = _validate(prepared, together, combined, "COMPLETE")
    failing: list[dict[str, list[dict[str, Any]]]] = []
    for item in results:
        details = item.result or {}
        index = details.get("unexpected_index_list") or []
        count = int(details.get("unexpected_count") or 0)
        if _errors(item) or len(index) != count or (not item.success and not index):
            return None
        by_file: dict[str, list[dict[str, Any]]] = {}
        for row in index:
            by_file.setdefault(str(row.pop(FILE_COLUMN)), []).append(row)
        failing.append(by_file)
    return [
        {
            item.expectation_config.meta["name"]: _outcome(
                definitions[item.expectation_config.meta["name"]], item, by_file.get(str(i), [])
            )
            for item, by_file in zip(results, failing, strict=True)
        }
        for i in range(len(numbered))
    ]


def _alone(prepared: _PreparedFrame, frame: pd.DataFrame, definitions: Mapping[str, ExpectationDef]) -> dict:
    """One file's frame validated by itself, every expectation as written."""
    return {
        item.expectation_config.meta["name"]: _outcome(definitions[item.expectation_config.meta["name"]], item)
        for item in _validate(prepared, prepared.alone, frame, "SUMMARY")
    }


def run_suites(suite: Sequence[ExpectationDef], files: Sequence[Mapping[str, pd.DataFrame]]) -> list[list[Outcome]]:
    """Validate several files' frames against one suite: for each file, one Outcome per expectation, in suite
    order, the same as validating the file alone (`run_suite_alone`).

    great-expectations' cost is mostly per expectation and per validation (building its metric graph), hardly per
    row: each frame is validated once for all the files, each row marked with its file (`FILE_COLUMN`), and the
    expectations that compare rows with each other (uniqueness) compare the rows of one file at a time.
    """
    if len(files) == 1:  # one validation per frame either way: without marking and copying its rows
        return [run_suite_alone(suite, files[0])]
    definitions = {d.name: d for d in suite}
    found: list[dict[str, Outcome]] = [{} for _ in files]
    for frame_name, prepared in _prepare(suite).items():
        frames = [f[frame_name] for f in files]
        together = _together(prepared, frames, definitions)
        for i, outcomes in enumerate(found):
            outcomes.update(together[i] if together is not None else _alone(prepared, frames[i], definitions))
    return [[outcomes[d.name] for d in suite] for outcomes in found]


def run_suite_alone(suite: Sequence[ExpectationDef], frames: Mapping[str, pd.DataFrame]) -> list[Outcome]:
    """One file's frames validated by themselves, each expectation as written: what `run_suites` gives that file."""
    definitions = {d.name: d for d in suite}
    found: dict[str, Outcome] = {}
    for frame_name, prepared in _prepare(suite).items():
        found.update(_alone(prepared, frames[frame_name], definitions))
    return [found[d.name] for d in suite]
