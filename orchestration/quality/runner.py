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
    """One frame's part of a suite, made once per process: great-expectations' batch definition (the frame is
    passed as each file's batch parameter) and its expectation suite."""

    batch_definition: Any
    expectations: Any


# A suite prepared once per process, by its expectations' names, frames, severities and descriptions (what each
# checks comes from the project's vocabulary, fixed for the process): building the context, assets and suites took
# 0.13 s of the 0.55 s a release's validation took, for every file.
_prepared: dict[tuple[tuple[str, str, str, str], ...], dict[str, _PreparedFrame]] = {}
_prepare_lock = threading.Lock()


def _prepare(suite: Sequence[ExpectationDef]) -> dict[str, _PreparedFrame]:
    key = tuple((d.name, d.frame, d.severity, d.description) for d in suite)
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
    prepared = {}
    for frame_name in dict.fromkeys(d.frame for d in suite):
        expectations = context.suites.add(gx.ExpectationSuite(name=frame_name))
        for definition in (d for d in suite if d.frame == frame_name):
            expectation = definition.build(gxe)
            expectation.meta = {"name": definition.name}
            expectations.add_expectation(expectation)
        batch_definition = source.add_dataframe_asset(name=frame_name).add_batch_definition_whole_dataframe(frame_name)
        prepared[frame_name] = _PreparedFrame(batch_definition, expectations)
    return prepared


def run_suite(suite: Sequence[ExpectationDef], frames: Mapping[str, pd.DataFrame]) -> list[Outcome]:
    """Validate each frame against the expectations that read it; one Outcome per expectation, in suite order."""
    definitions = {d.name: d for d in suite}
    by_name: dict[str, Outcome] = {}
    for frame_name, prepared in _prepare(suite).items():
        batch = prepared.batch_definition.get_batch(batch_parameters={"dataframe": frames[frame_name]})
        result = batch.validate(
            prepared.expectations,
            result_format={
                # SUMMARY: counts and the first examples; COMPLETE would copy every failing row (slow at scale).
                "result_format": "SUMMARY",
                "unexpected_index_column_names": ["row_ref"],
                "partial_unexpected_count": EXAMPLES,
            },
        )
        for item in result.results:
            name = item.expectation_config.meta["name"]
            definition = definitions[name]
            details = item.result or {}
            error = (item.exception_info or {}).get("exception_message") if item.exception_info else None
            by_name[name] = Outcome(
                name=name,
                severity=definition.severity,
                description=definition.description,
                success=bool(item.success),
                observed=_plain(details.get("observed_value")),
                unexpected_count=int(details.get("unexpected_count") or 0),
                examples=_examples(details),
                error=error if error and error != "None" else None,
            )
    return [by_name[d.name] for d in suite]
