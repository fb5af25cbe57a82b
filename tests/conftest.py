"""Shared fixtures: one real build of the shipped sources per test session, copied for each worker.

The build is `ht-warehouse build` run as a user runs it (a subprocess, into its own data directory). With
pytest-xdist the workers share it: the first builds under a file lock, the others wait and copy it. Each worker
then works in its own copy (its own DuckDB file, Dagster instance and landing zone), so tests never race.

The settings are read when `orchestration` is first imported, so the environment is set here, before that.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent

# This module is imported twice (as pytest's conftest and as `tests.conftest`), and xdist workers inherit the
# environment of the process that started them: one data dir per worker, remembered in the environment.
_WORKER_DIR_ENV = f"HT_TESTS_DATA_DIR_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
if _WORKER_DIR_ENV not in os.environ:
    os.environ[_WORKER_DIR_ENV] = str(Path(tempfile.mkdtemp(prefix="ht-warehouse-tests-")) / "data")
_SESSION_DATA_DIR = Path(os.environ[_WORKER_DIR_ENV])
os.environ["HT_DATA_DIR"] = str(_SESSION_DATA_DIR)
os.environ["HT_DUCKDB_PATH"] = str(_SESSION_DATA_DIR / "warehouse.duckdb")
os.environ["DAGSTER_HOME"] = str(_SESSION_DATA_DIR / "dagster_home")
os.environ["HT_LANDING_DIR"] = str(_SESSION_DATA_DIR / "landing")
for _name in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "HT_PUBLISH_DIR"):
    os.environ.pop(_name, None)


def clean_env(data_dir: Path) -> dict[str, str]:
    """The environment of a user who only set HT_DATA_DIR (for subprocesses: CLI builds, dg dev)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HT_", "DBT_", "DAGSTER_HOME", "PYTEST_"))}
    env["HT_DATA_DIR"] = str(data_dir)
    return env


def cli(data_dir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN_DIR / "ht-warehouse"), *args],
        env=clean_env(data_dir),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def copy_data_dir(source: Path, target: Path) -> Path:
    """A private copy of a built data directory (warehouse, snapshots, Dagster instance, archive, ledger)."""
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    return target


@dataclass(frozen=True)
class BuiltWarehouse:
    data_dir: Path
    build_output: str
    instance: object  # dagster.DagsterInstance on the worker's DAGSTER_HOME

    @property
    def database(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def snapshot(self) -> Path:
        """The published snapshot BI tools open."""
        return self.data_dir / "published" / "current" / "warehouse.duckdb"

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def query_snapshot(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.snapshot), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def golden_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, str]:
    """`ht-warehouse build` of the shipped sources, once per test session (shared by xdist workers)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    golden, output_file = root / "golden" / "data", root / "golden" / "build_output.txt"
    with (root / "golden.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not output_file.exists():
            built = cli(golden, "build")
            assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
            output_file.write_text(built.stdout)
    return golden, output_file.read_text()


@contextlib.contextmanager
def using_data_dir(data_dir: Path) -> Iterator[object]:
    """Point the settings (and so every resource resolved from them) at another data dir; yield its instance."""
    import dagster as dg

    names = {
        "HT_DATA_DIR": data_dir,
        "HT_DUCKDB_PATH": data_dir / "warehouse.duckdb",
        "DAGSTER_HOME": data_dir / "dagster_home",
        "HT_LANDING_DIR": data_dir / "landing",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in names.items():
            patch.setenv(name, str(value))
        with dg.DagsterInstance.from_config(str(data_dir / "dagster_home")) as instance:
            yield instance


@pytest.fixture(scope="module")
def private_warehouse(golden_build: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory):
    """A copy of the golden build of its own, for a test module that changes the warehouse."""
    data_dir = copy_data_dir(golden_build[0], tmp_path_factory.mktemp("private") / "data")
    with using_data_dir(data_dir) as instance:
        yield BuiltWarehouse(data_dir, golden_build[1], instance)


@pytest.fixture(scope="session")
def built_warehouse(golden_build: tuple[Path, str]) -> Iterator[BuiltWarehouse]:
    """This worker's copy of the golden build, which in-process tests (and their Dagster instance) use."""
    import dagster as dg

    from orchestration.settings import apply_environment

    copy_data_dir(golden_build[0], _SESSION_DATA_DIR)
    apply_environment()
    with dg.DagsterInstance.get() as instance:
        yield BuiltWarehouse(_SESSION_DATA_DIR, golden_build[1], instance)
