"""Reading a CSV source file against a declared column spec, with errors that name row and column."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.files import read_text

Converter = Callable[[str], object]


def as_int(text: str) -> int:
    """An integer count, tolerating the `47709.0` that spreadsheet exports write."""
    number = float(text.replace(",", ""))
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def optional(convert: Converter) -> Converter:
    def wrapped(text: str) -> object:
        return None if text == "" else convert(text)

    return wrapped


def header_problem(header: list[str], expected: list[str]) -> str | None:
    """What is wrong with a CSV header compared with the expected columns, or None if it matches."""
    if header == expected:
        return None
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        return "the header has one column: wrong delimiter?"
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    parts = [
        f"missing column(s) {', '.join(missing)}" if missing else "",
        f"unexpected column(s) {', '.join(extra)}" if extra else "",
    ]
    return "; ".join(p for p in parts if p) or "columns out of order"


def read_csv_table(path: Path, columns: Mapping[str, tuple[Converter, str]]) -> pd.DataFrame:
    """Read `path`, check its header is exactly `columns` and convert each cell.

    `columns` maps a column name to (converter, description of what is expected). Row numbers in errors
    are the file's line numbers (the header is line 1).
    """
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]  # as the cells are: " Calls" is Calls
    except csv.Error as exc:
        raise SourceFileError(path, "line 1", f"not valid CSV: {exc}", "a comma-separated header") from exc
    expected = list(columns)
    if problem := header_problem(header, expected):
        raise SourceFileError(path, "line 1 (header)", problem, "the columns " + ", ".join(expected))
    rows: list[dict[str, object]] = []
    last_line = text.rstrip("\r\n").count("\n") + 1
    cut_off = not text.endswith(("\n", "\r"))
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):  # an empty or blank line
                continue
            try:
                rows.append(_convert(path, line, record, columns))
            except SourceFileError as error:
                if cut_off and line == last_line:
                    raise _truncated(path, line, error) from error
                raise
    except csv.Error as exc:
        raise SourceFileError(path, f"line {reader.line_num}", f"not valid CSV: {exc}", "valid CSV") from exc
    if not rows:
        raise SourceFileError(path, None, "the file has a header but no data rows", "at least one data row")
    return pd.DataFrame(rows)


def _convert(path: Path, line: int, record: list[str], columns: Mapping[str, tuple[Converter, str]]) -> dict:
    expected = list(columns)
    if len(record) != len(expected):
        raise SourceFileError(path, f"line {line}", f"{len(record)} fields", f"{len(expected)} fields")
    row: dict[str, object] = {"source_line": line}
    for name, cell in zip(expected, record, strict=True):
        convert, what = columns[name]
        try:
            row[name] = convert(cell.strip())
        except (ValueError, KeyError) as exc:
            raise SourceFileError(path, f"line {line}, column {name}", f"found {cell!r} ({exc})", what) from exc
    return row


def _truncated(path: Path, line: int, error: SourceFileError) -> SourceFileError:
    """A bad last line with no line end: the file was cut off mid-row (an interrupted copy or download)."""
    return SourceFileError(
        path,
        error.location or f"line {line}",
        f"the file ends mid-row: its last line has no line end and {error.problem}; the file looks truncated",
        "the complete file, every row whole and ending with a line break",
    )
