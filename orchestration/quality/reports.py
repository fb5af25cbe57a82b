"""Validation results per validated file: a JSON result, a human-readable HTML page, and Markdown for the UI."""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from orchestration.quality.runner import Outcome
from orchestration.settings import validation_dir


def write_reports(
    kind: str,
    partition_key: str,
    sha256: str,
    file_path: str,
    outcomes: Sequence[Outcome],
    parse_error: dict[str, Any] | None,
    correction: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    folder = validation_dir() / kind / partition_key
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{sha256[:16]}"
    result = {
        "file": file_path,
        "sha256": sha256,
        "validated_at": dt.datetime.now(dt.UTC).isoformat(),
        "parse_error": parse_error,
        "passed": parse_error is None and all(o.success or o.severity != "error" for o in outcomes),
        # A file that did not parse has no expectation results: they need its rows.
        "not_evaluated": "every expectation: the file did not parse" if parse_error else None,
        "expectations": [asdict(o) for o in outcomes],
        # A re-delivered file: what changed against the version loaded in the warehouse.
        "correction": correction,
    }
    json_path = folder / f"{stem}.json"
    json_path.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    html_path = folder / f"{stem}.html"
    html_path.write_text(_html(result), encoding="utf-8")
    return json_path, html_path


def _html(result: dict[str, Any]) -> str:
    esc = lambda v: html.escape(str(v))  # noqa: E731
    verdict = "PASSED" if result["passed"] else "REFUSED"
    rows = []
    if result["parse_error"]:
        err = result["parse_error"]
        rows.append(f"<tr class=fail><td>file_parses</td><td>error</td><td>✗</td><td>{esc(err['message'])}</td></tr>")
        rows.append("<tr><td colspan=4>The expectations were not evaluated: they need the parsed rows.</td></tr>")
    for o in result["expectations"]:
        mark = "✓" if o["success"] else "✗"
        klass = "pass" if o["success"] else ("fail" if o["severity"] == "error" else "warn")
        detail = (
            ""
            if o["success"]
            else "<br>".join(f"{esc(e['row'])}: {esc(e['found'])}" for e in o["examples"])
            or esc(o.get("error") or o.get("observed"))
        )
        rows.append(
            f"<tr class={klass}><td>{esc(o['name'])}</td><td>{esc(o['severity'])}</td><td>{mark}</td>"
            f"<td>{esc(o['description'])}<br><small>{detail}</small></td></tr>"
        )
    correction = _correction_html(result["correction"]) if result["correction"] else ""
    return f"""<!doctype html><meta charset=utf-8><title>Validation of {esc(result["file"])}</title>
<style>body{{font-family:sans-serif;margin:2em}} td{{padding:4px 8px;border-bottom:1px solid #ddd}}
.fail{{background:#fde2e2}} .warn{{background:#fff4d6}} .pass{{color:#333}}</style>
<h1>{verdict}: {esc(result["file"])}</h1>
<p>sha256 <code>{esc(result["sha256"])}</code>, validated {esc(result["validated_at"])}</p>
<table><tr><th>expectation</th><th>severity</th><th></th><th>detail (row: value found)</th></tr>
{"".join(rows)}</table>{correction}"""


def _correction_html(correction: dict[str, Any]) -> str:
    esc = lambda v: html.escape(str(v))  # noqa: E731
    changed = "".join(
        f"<tr><td>{esc(c['row'])}</td><td>{esc(c['old'])}</td><td>{esc(c['new'])}</td><td>{esc(c['ratio_text'])}</td></tr>"
        for c in correction["changed"]
    )
    lists = "".join(
        f"<p>{title}: {esc('; '.join(correction[key]))}</p>"
        for title, key in (("Rows added", "added"), ("Rows removed", "removed"))
        if correction[key]
    )
    return (
        f"<h2>Changes against the loaded version {esc(correction['previous_sha256'][:12])}</h2>"
        f"<p>{correction['rows_added']} row(s) added, {correction['rows_removed']} removed, "
        f"{correction['values_changed']} value(s) changed.</p>"
        f"<table><tr><th>where</th><th>old</th><th>new</th><th>change</th></tr>{changed}</table>{lists}"
    )


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def outcome_markdown(outcome: Outcome) -> str:
    """One expectation's result as the Dagster UI shows it: verdict, counts and the first failing rows."""
    verdict = "passed" if outcome.success else ("failed" if outcome.severity == "error" else "warning")
    lines = [f"**{verdict}** ({outcome.severity}): {outcome.description}"]
    if outcome.error:
        lines.append(f"\nError while evaluating: `{outcome.error}`")
    if not outcome.success:
        lines.append(f"\n{outcome.unexpected_count} unexpected row(s); the first {len(outcome.examples)}:")
        lines += ["", "| where | found |", "|---|---|"]
        lines += [f"| {_cell(e['row'])} | {_cell(e['found'])} |" for e in outcome.examples]
    return "\n".join(lines)


def validation_markdown(outcomes: Sequence[Outcome], parse_error: dict[str, Any] | None) -> str:
    """The whole validation of one file in one Markdown table: what failed, what warns, what was not evaluated."""
    if parse_error:
        return (
            f"**Refused: the file did not parse.**\n\n{_cell(parse_error['message'])}\n\n"
            "The expectations were not evaluated (they need the parsed rows)."
        )
    failed = [o for o in outcomes if not o.success]
    verdict = "Refused" if any(o.severity == "error" for o in failed) else "Accepted"
    lines = [f"**{verdict}**: {len(outcomes) - len(failed)} of {len(outcomes)} expectations passed."]
    if failed:
        lines += ["", "| expectation | severity | unexpected | first example |", "|---|---|---|---|"]
        for o in failed:
            example = f"{o.examples[0]['row']}: {o.examples[0]['found']}" if o.examples else (o.error or "")
            lines.append(f"| {o.name} | {o.severity} | {o.unexpected_count} | {_cell(example)} |")
    return "\n".join(lines)
