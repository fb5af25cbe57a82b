"""Parsed files between landing and the warehouse: Parquet per table plus a status, by partition and hash.

`staged/<kind>/<partition>/<sha256>/` holds one delivered file version: `status.json` (parse and validation
outcome) and one Parquet file per raw table. The raw-loading step reads only versions whose status passed.

A staged version never changes (its folder is named by its sha256), so what is computed from its tables (the
plausibility measures, a release's headline: engine/references.py) is computed once and kept beside them in
`derived/`, for every later process: a run worker is a new process per run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from orchestration.settings import PROJECT_ROOT, staged_dir
from orchestration.vocabulary import SEEDS_DIR

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# Where a version's derived values are kept: a subfolder, out of sight of the tables' `*.parquet` glob.
DERIVED_FOLDER = "derived"


@dataclass(frozen=True)
class StagedVersion:
    kind: str
    partition_key: str
    sha256: str

    @property
    def folder(self) -> Path:
        return staged_dir() / self.kind / self.partition_key / self.sha256

    def write_tables(self, tables: dict[str, pd.DataFrame]) -> None:
        """Write each table as Parquet through DuckDB's built-in writer (no pyarrow needed)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as conn:
            for name, frame in tables.items():
                conn.register("frame", _text_where_empty(frame))
                conn.execute(f"copy frame to '{self.folder / name}.parquet' (format parquet)")
                conn.unregister("frame")

    def read_tables(self) -> dict[str, pd.DataFrame]:
        return read_staged_tables(self.folder)

    def table_files(self) -> dict[str, Path]:
        return staged_table_files(self.folder)

    def write_status(self, status: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "status.json").write_text(json.dumps(status, indent=2, default=str), encoding="utf-8")

    def status(self) -> dict[str, Any]:
        path = self.folder / "status.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _text_where_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of Python objects with no value at all (an optional text no row of this file has) stay text.

    DuckDB cannot infer a type from nothing: 1.5 registers such a column as INTEGER, and pandas then refuses to
    fill it with a string (`Invalid value 'US-CA-ORANGE' for dtype 'Int32'`); 2.x gave it a NULL type instead.
    """
    empty = [c for c in frame.columns if frame[c].dtype == object and frame[c].isna().all()]
    return frame.astype(dict.fromkeys(empty, "string")) if empty else frame


def staged_table_files(folder: Path) -> dict[str, Path]:
    """The Parquet file of each table of one staged version folder, by raw table name."""
    return {path.stem: path for path in sorted(folder.glob("*.parquet"))}


def read_staged_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The tables of one staged version folder, by raw table name."""
    with duckdb.connect() as conn:
        return {
            table: conn.execute("select * from read_parquet(?)", [str(path)]).df()
            for table, path in staged_table_files(folder).items()
        }


def latest_passed_versions(
    kind: str, exclude_partition: str | None = None, assumed: Sequence[StagedVersion] = ()
) -> list[StagedVersion]:
    """The newest version that passed validation, for every partition of a kind (for cross-release rules).

    `assumed`: versions staged but not yet judged that count as passed, and as the newest of their partitions
    (the files before one in a batch being validated together: engine/land.py).
    """
    newest: dict[str, StagedVersion] = {}
    root = staged_dir() / kind
    for partition in (p for p in root.glob("*") if p.is_dir() and p.name != exclude_partition):
        passed = [v for v in partition.glob("*/status.json") if json.loads(v.read_text()).get("passed")]
        if passed:
            newest[partition.name] = StagedVersion(kind, partition.name, max(passed, key=_mtime).parent.name)
    for version in assumed:
        if version.kind == kind and version.partition_key != exclude_partition:
            newest[version.partition_key] = version
    return [newest[partition] for partition in sorted(newest)]


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


@functools.cache
def definition_fingerprint() -> str:
    """A hash of what derived values are computed with: this package's code, the vocabulary's seeds, and the
    pandas, numpy and DuckDB versions. Kept files carry it in their names, so a changed definition computes
    its values again (once) instead of reading values computed the old way."""
    import numpy as np
    import pandas as pd

    digest = hashlib.sha256(f"pandas {pd.__version__} numpy {np.__version__} duckdb {duckdb.__version__}".encode())
    package = Path(__file__).resolve().parents[1]
    for path in [*sorted(package.rglob("*.py")), *sorted(SEEDS_DIR.glob("*.csv"))]:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def derived_path(folder: Path, name: str, suffix: str) -> Path:
    """Where the value `name` computed from the staged version in `folder` is kept, for this definition."""
    return folder / DERIVED_FOLDER / f"{name}.{definition_fingerprint()}.{suffix}"


@functools.cache
def _reader() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process for derived files: opening one costs about 15 ms, a cursor nothing."""
    return duckdb.connect()


def read_derived_frame(folder: Path, name: str, columns: list[str]) -> pd.DataFrame | None:
    """The frame `name` kept beside a staged version (with a fresh index), or None when it is missing,
    unreadable or not of these columns: then the caller computes it again."""
    path = derived_path(folder, name, "parquet")
    if not path.exists():
        return None
    try:
        with _reader().cursor() as conn:
            frame = conn.execute("select * from read_parquet(?)", [str(path)]).df()
    except duckdb.Error as error:
        logger.warning("%s is unreadable (%s): computing it again", path, error)
        return None
    if list(frame.columns) != columns:
        logger.warning("%s has the columns %s, not %s: computing it again", path, list(frame.columns), columns)
        return None
    return frame


def keep_derived_frame(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Keep a frame computed from a staged version beside it, as Parquet (its index is not kept)."""

    def write(target: Path) -> None:
        with _reader().cursor() as conn:
            conn.register("frame", frame)
            conn.execute(f"copy frame to '{_sql_text(target)}' (format parquet)")

    _keep(derived_path(folder, name, "parquet"), write)


def read_derived_json(folder: Path, name: str) -> Any:
    """The JSON value `name` kept beside a staged version, or None when it is missing or unreadable."""
    path = derived_path(folder, name, "json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.warning("%s is unreadable (%s): computing it again", path, error)
        return None


def keep_derived_json(folder: Path, name: str, value: Any) -> None:
    _keep(derived_path(folder, name, "json"), lambda target: target.write_text(json.dumps(value), encoding="utf-8"))


def _keep(path: Path, write: Callable[[Path], None]) -> None:
    """Write a derived file atomically and drop the same value of earlier definitions. A value that cannot be
    written (a read-only or full disk) is only computed again next time."""
    try:
        write_atomically(path, write)
    except (OSError, duckdb.Error) as error:
        logger.warning("Could not keep %s (%s): it will be computed again", path, error)
        return
    for stale in path.parent.glob(path.name.replace(definition_fingerprint(), "*")):
        if stale != path:
            stale.unlink(missing_ok=True)


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Have `write` fill a temporary file beside `path`, then rename it: a reader finds the whole file or none,
    and a process killed halfway leaves only a temporary file that nothing reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        write(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _sql_text(path: Path) -> str:
    """A path inside a SQL string literal (COPY ... TO takes no parameters)."""
    return str(path).replace("'", "''")
