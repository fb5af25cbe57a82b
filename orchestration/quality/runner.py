"""Run an expectation suite over pandas frames with great-expectations 1.x (an ephemeral context per suite, built
once per process; each file's frames are validated as batches of it)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
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
        """What failed, in one line: the description with the first failing rows, or what was found in the file
        when the expectation is about the whole file (`WHOLE_FILE`)."""
        if [e["row"] for e in self.examples] == [WHOLE_FILE]:
            return str(self.examples[0]["found"])
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
    parses its files rather than after; `run_suite` then finds them ready (or waits for them)."""

    def load() -> None:
        for suite in suites:
            _prepare(suite)

    thread = threading.Thread(target=load, name="great-expectations warm-up", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class _PreparedFrame:
    """One frame's part of a suite, made once per process: great-expectations' batch definition (each validated
    frame is passed as its batch parameter) and the frame's expectations, as two suites: those that judge each row
    alone (validated over the rows of every file at once) and those that compare a file's rows with each other."""

    batch_definition: Any
    rows: Any | None
    within_file: Any | None


# A suite prepared once per process, by its expectations' names, frames, severities and descriptions (what each
# checks comes from the project's vocabulary, fixed for the process): building the context, assets and suites took
# 0.13 s of the 0.55 s a release's validation took, for every file.
_prepared: dict[tuple[tuple[str, str, str, str, bool], ...], dict[str, _PreparedFrame]] = {}
_prepare_lock = threading.Lock()


def _prepare(suite: Sequence[ExpectationDef]) -> dict[str, _PreparedFrame]:
    key = tuple((d.name, d.frame, d.severity, d.description, d.compares_rows) for d in suite)
    with _prepare_lock:
        if key not in _prepared:
            _prepared[key] = _build(suite)
        return _prepared[key]


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

    def expectation_suite(name: str, definitions: list[ExpectationDef]) -> Any:
        if not definitions:
            return None
        expectations = context.suites.add(gx.ExpectationSuite(name=name))
        for definition in definitions:
            expectation = definition.build(gxe)
            expectation.meta = {"name": definition.name}
            expectations.add_expectation(expectation)
        return expectations

    prepared = {}
    for frame_name in dict.fromkeys(d.frame for d in suite):
        definitions = [d for d in suite if d.frame == frame_name]
        prepared[frame_name] = _PreparedFrame(
            source.add_dataframe_asset(name=frame_name).add_batch_definition_whole_dataframe(frame_name),
            expectation_suite(frame_name, [d for d in definitions if not d.compares_rows]),
            expectation_suite(f"{frame_name} within each file", [d for d in definitions if d.compares_rows]),
        )
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
    error = (item.exception_info or {}).get("exception_message") if item.exception_info else None
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
        error=error if error and error != "None" else None,
    )


def _raised(item: Any) -> bool:
    return bool(item.exception_info) and any(
        (info or {}).get("raised_exception") for info in _exception_infos(item.exception_info)
    )


def _exception_infos(info: Any) -> list[dict[str, Any]]:
    """great-expectations gives one exception's info, or a mapping of several by metric."""
    return [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]


def _rows_outcomes(
    prepared: _PreparedFrame, frames: Sequence[pd.DataFrame], definitions: Mapping[str, ExpectationDef]
) -> list[dict[str, Outcome]]:
    """The row-by-row expectations of one frame over every file's rows at once, each row marked with its file;
    each file gets the rows of its own that failed. Where the expectations cannot be judged together (one of them
    raised, or failed without naming its rows), each file is validated alone, as it would be by itself."""
    import pandas as pd

    numbered = [frame.assign(**{FILE_COLUMN: str(i)}) for i, frame in enumerate(frames)]
    nonempty = [frame for frame in numbered if len(frame)] or numbered[:1]
    if len(numbered) > 1:
        combined = pd.concat(nonempty, ignore_index=True) if len(nonempty) > 1 else nonempty[0]
        results = _validate(prepared, prepared.rows, combined, "COMPLETE")
        failing: list[dict[str, list[dict[str, Any]]]] = []
        for item in results:
            details = item.result or {}
            index = details.get("unexpected_index_list") or []
            if (
                _raised(item)
                or len(index) != int(details.get("unexpected_count") or 0)
                or (not item.success and not index)
            ):
                break
            by_file: dict[str, list[dict[str, Any]]] = {}
            for row in index:
                by_file.setdefault(str(row.pop(FILE_COLUMN)), []).append(row)
            failing.append(by_file)
        else:
            return [
                {
                    item.expectation_config.meta["name"]: _outcome(
                        definitions[item.expectation_config.meta["name"]], item, by_file.get(str(i), [])
                    )
                    for item, by_file in zip(results, failing, strict=True)
                }
                for i in range(len(numbered))
            ]
    return [
        {
            item.expectation_config.meta["name"]: _outcome(definitions[item.expectation_config.meta["name"]], item)
            for item in _validate(prepared, prepared.rows, frame.drop(columns=FILE_COLUMN), "SUMMARY")
        }
        for frame in numbered
    ]


def run_suites(suite: Sequence[ExpectationDef], files: Sequence[Mapping[str, pd.DataFrame]]) -> list[list[Outcome]]:
    """Validate several files' frames against one suite: for each file, one Outcome per expectation, in suite
    order, the same as validating the file alone.

    great-expectations' cost is mostly per expectation and per validation (building its metric graph), hardly per
    row: the expectations that judge each row alone are validated once per frame for all the files together, with
    each row marked with its file (`FILE_COLUMN`); those that compare a file's rows with each other, file by file.
    """
    definitions = {d.name: d for d in suite}
    found: list[dict[str, Outcome]] = [{} for _ in files]
    for frame_name, prepared in _prepare(suite).items():
        frames = [f[frame_name] for f in files]
        if prepared.rows is not None:
            for outcomes, more in zip(found, _rows_outcomes(prepared, frames, definitions), strict=True):
                outcomes.update(more)
        if prepared.within_file is not None:
            for outcomes, frame in zip(found, frames, strict=True):
                for item in _validate(prepared, prepared.within_file, frame, "SUMMARY"):
                    name = item.expectation_config.meta["name"]
                    outcomes[name] = _outcome(definitions[name], item)
    return [[outcomes[d.name] for d in suite] for outcomes in found]


def run_suite(suite: Sequence[ExpectationDef], frames: Mapping[str, pd.DataFrame]) -> list[Outcome]:
    """Validate one file's frames against the expectations that read them; one Outcome per expectation, in suite
    order."""
    return run_suites(suite, [frames])[0]
