"""The error every parser raises for bad input: it names the file, the place and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


class SourceFileError(ValueError):
    """A source file that cannot be loaded as it is.

    `location` is a row number, a field path (`figures[3].value`) or a column name.
    """

    def __init__(self, path: Path | str, location: str | None, problem: str, expected: str | None = None):
        self.path = Path(path)
        self.location = location
        self.problem = problem
        self.expected = expected
        where = f"{self.path}" + (f", {location}" if location else "")
        message = f"{where}: {problem}"
        if expected:
            message += f" (expected {expected})"
        super().__init__(message)

    def details(self) -> dict[str, Any]:
        """The error as a report's fields: file, location, problem, expected and the whole message."""
        return {
            "file": str(self.path),
            "location": self.location,
            "problem": self.problem,
            "expected": self.expected,
            "message": str(self),
        }


def raise_first_invalid(
    path: Path, invalid: Any, found: Any, place: Callable[[int], str], field: str, expected: str
) -> None:
    """For column-wise parsers: raise for the first invalid row (a boolean Series), naming its place
    (`place(position)`, e.g. "row 17" or "line 2"), the value found and how many rows are invalid."""
    if invalid.any():
        position = int(invalid.to_numpy().argmax())
        raise SourceFileError(
            path,
            f"{place(position)}.{field}",
            f"found {found.iloc[position]!r} ({int(invalid.sum())} such rows)",
            expected,
        )
