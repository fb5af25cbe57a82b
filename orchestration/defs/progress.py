"""A compact console logger: one line per step, materialization and failed check.

The Dagster UI keeps the full structured event log; this only shapes what a terminal shows.
"""

from __future__ import annotations

import logging
import re
import sys
import time

import dagster as dg

_EVENT_ATTR = "dagster_event"
_NOT_YIELDED = "did not yield or return expected outputs"
_SUBSET_NOTE = "A dbt subsetted execution is being performed"
_SELECTION = re.compile(r"--select ([\w.+:*][\w.+:*-]*(?: [\w.+:*][\w.+:*-]*)*)")
# Longer messages are cut on the terminal; the summary at the end names each refused file with its report.
MAX_LINE = 300


def _terminal_line(message: str) -> str:
    """A log message as one readable terminal line; the UI keeps every message whole."""
    if _NOT_YIELDED in message:
        # Dagster lists every dbt check a step did not evaluate (all of them when no file went live).
        return f"{message.count(', ') + 1} checks not evaluated: nothing of this step went live"
    if message.startswith(_SUBSET_NOTE):
        return "dbt builds the models downstream of this batch's changes, with their tests"
    # dagster-dbt names every selected node in the dbt command line: the count says as much on a terminal.
    message = _SELECTION.sub(lambda m: f"--select <{len(m.group(1).split())} nodes>", message)
    return message if len(message) <= MAX_LINE else message[: MAX_LINE - 1] + "…"


class ProgressFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._started = time.monotonic()

    def format(self, record: logging.LogRecord) -> str | None:  # type: ignore[override]
        event = getattr(record, _EVENT_ATTR, None)
        elapsed = f"[{time.monotonic() - self._started:6.1f}s]"
        if event is None:
            if record.levelno < logging.INFO:
                return None
            meta = getattr(record, "dagster_meta", None) or {}
            message = meta.get("orig_message") or record.getMessage()
            return f"{elapsed}   {_terminal_line(message)}" if message.strip() else None
        kind = event.event_type_value
        if kind == "STEP_START":
            return f"{elapsed} ▶ {event.step_key}"
        if kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            rows = materialization.metadata.get("dagster/row_count")
            suffix = f" ({rows.value:,} rows)" if rows is not None else ""
            return f"{elapsed}   ✓ {materialization.asset_key.to_user_string()}{suffix}"
        if kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                return None
            mark, verdict = ("⚠", "warns") if evaluation.severity.value == "WARN" else ("✗", "failed")
            description = f": {evaluation.description}" if evaluation.description else ""
            asset = evaluation.asset_key.to_user_string()
            return f"{elapsed}   {mark} check {evaluation.check_name} on {asset} {verdict}{description}"
        if kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            # The user's exception, not Dagster's wrappers around it (nor what the user's exception wraps).
            while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
                error = error.cause
            return f"{elapsed} ✗ {event.step_key} failed: {error.message.strip() if error else ''}"
        if kind in ("RUN_SUCCESS", "RUN_FAILURE"):
            return f"{elapsed} {kind.replace('_', ' ').lower()}"
        return None


class _DroppingHandler(logging.StreamHandler):
    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        if text:
            self.stream.write(text + "\n")
            self.flush()


@dg.logger(
    config_schema={"log_level": dg.Field(str, default_value="INFO")},
    description="One line per step, materialization and failed check.",
)
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("ht_warehouse.progress")
    logger.propagate = False
    logger.handlers.clear()
    # The real terminal, even while the CLI sends dbt's raw output (written to sys.stdout) to a log file.
    handler = _DroppingHandler(sys.__stdout__)
    handler.setFormatter(ProgressFormatter())
    logger.addHandler(handler)
    logger.setLevel(init_context.logger_config["log_level"])
    return logger
