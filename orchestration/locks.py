"""Turning DuckDB's lock error into one that names the file, the holder and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


@contextmanager
def explained_lock_errors(database: str) -> Iterator[None]:
    """Re-raise DuckDB's "Could not set lock" as a Failure that says who holds the file and what to do."""
    try:
        yield
    except duckdb.IOException as error:
        text = str(error)
        if "Could not set lock" not in text:
            raise
        match = _HOLDER.search(text)
        holder = f"{match['program']} (PID {match['pid']})" if match else "another process"
        raise dg.Failure(
            description=(
                f"The DuckDB file {database} is locked by {holder}. DuckDB allows one writing process per file. "
                "Fix: close that process (a DuckDB client or BI tool holding the file open, another "
                "`ht-warehouse build` or `dg dev`), or open readers with read_only=True. The pipeline itself never "
                "writes this file in place: it writes a candidate copy and swaps it in (orchestration/engine/)."
            ),
            metadata={"database": database, "holder": holder, "duckdb_error": text},
        ) from error
