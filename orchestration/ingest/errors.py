"""The error every parser raises for bad input: it names the file, the place and what was expected."""

from __future__ import annotations

from pathlib import Path


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
