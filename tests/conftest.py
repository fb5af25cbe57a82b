"""Shared fixtures: one real build of the shipped sources per test session, copied for each worker.

The build is `ht-warehouse build` run as a user runs it (a subprocess, into its own data directory). With
pytest-xdist the workers share it: the first builds under a file lock, the others wait and copy it. Each worker
then works in its own copy (its own DuckDB file, Dagster instance and landing zone), so tests never race.

The settings are read when `orchestration` is first imported, so the environment is set here, before that.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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


def query(database: Path, sql: str) -> list[tuple]:
    """Rows of one query on a DuckDB file, opened read-only (as BI tools open the snapshot)."""
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def wait_for(condition: Callable[[], bool], what: str, timeout: float) -> float:
    """Poll `condition` twice a second until it holds; the seconds it took, or AssertionError naming `what`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


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


def _shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this test session sees."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if worker_id != "master" else root


@contextlib.contextmanager
def _once(root: Path, name: str) -> Iterator[bool]:
    """Under a lock shared by the workers: True for the first worker to get here, False for the others."""
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / f"{name}.done"
        yield not done.exists()
        done.touch()


@pytest.fixture(scope="session")
def golden_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, str]:
    """`ht-warehouse build` of the shipped sources, once per test session (shared by xdist workers)."""
    root = _shared_root(tmp_path_factory, worker_id)
    golden, output_file = root / "golden" / "data", root / "golden" / "build_output.txt"
    with _once(root, "golden") as first:
        if first:
            shutil.rmtree(golden, ignore_errors=True)  # left by a worker that failed here before
            built = cli(golden, "build")
            assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
            output_file.write_text(built.stdout)
    return golden, output_file.read_text()


# The batch of tests/test_write_audit_publish.py and tests/test_crash_safety.py: a new release, a release that
# passes every landing check but fails a dbt test (it repeats another release's publisher, jurisdiction and
# period under a new id: the file that used to jam publishing) and a file that does not parse.
NEW_RELEASE = PROJECT_ROOT / "tests/data/releases/ochttf-2025.yaml"
SHIPPED_RELEASES = PROJECT_ROOT / "sources/report_releases/ochttf"


def shipped_file_count() -> int:
    """How many source files the project ships in sources/ (a first build loads each once)."""
    from orchestration.engine.versions import list_files
    from orchestration.parsers.kinds import SOURCE_KINDS

    return sum(len(list(list_files([PROJECT_ROOT / "sources"], kind))) for kind in SOURCE_KINDS)


# Generous: a build of that batch takes under a minute on 2 cores, two builds at a time somewhat more.
BUILD_TIMEOUT = 300


def land_mixed_batch(data_dir: Path) -> None:
    landing = data_dir / "landing" / "report_releases"
    landing.mkdir(parents=True, exist_ok=True)
    (landing / NEW_RELEASE.name).write_bytes(NEW_RELEASE.read_bytes())
    original = (SHIPPED_RELEASES / "ochttf-2021.yaml").read_text()
    (landing / "ochttf-2021b.yaml").write_text(original.replace("release_id: ochttf-2021", "release_id: ochttf-2021b"))
    (landing / "broken.yaml").write_text("release: [unclosed\n")
    settle(*landing.iterdir())


def settle(*paths: Path) -> None:
    """Date files a while back: the pipeline leaves files younger than a second (still being copied) for later."""
    past = time.time() - 10
    for path in paths:
        os.utime(path, (past, past))


def marts_contents(database: Path) -> dict[str, list]:
    """Each mart's row count and an order-independent hash of its rows, without what differs between two builds
    of the same data (timestamps, paths of the landed copies, run and load ids)."""
    contents = {}
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute("select table_name from duckdb_tables() where schema_name = 'marts' order by 1")
        for (table,) in tables.fetchall():
            columns = [
                name
                for name, data_type in conn.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = 'marts' "
                    "and table_name = ? order by column_index",
                    [table],
                ).fetchall()
                if name not in ("run_id", "load_id", "file_path", "source_file")
                and not data_type.startswith("TIMESTAMP")
            ]
            row = ", ".join(f'"{c}"' for c in columns)
            count, digest = conn.execute(
                f"select count(*), sum(hash(struct_pack({row})))::hugeint from marts.{table}"
            ).fetchone()
            contents[table] = [count, str(digest)]
    return contents


@dataclass(frozen=True)
class ReferenceBuild:
    data_dir: Path
    output: str
    marts: dict  # {"live": ..., "published": ...} right after the build


@pytest.fixture(scope="session")
def reference_build(
    golden_build: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> ReferenceBuild:
    """The mixed batch built undisturbed by `ht-warehouse build` on a copy of the golden build (shared)."""
    root = _shared_root(tmp_path_factory, worker_id)
    data_dir, record = root / "reference" / "data", root / "reference" / "build.json"
    with _once(root, "reference") as first:
        if first:
            shutil.rmtree(data_dir, ignore_errors=True)  # left by a worker that failed here before
            copy_data_dir(golden_build[0], data_dir)
            land_mixed_batch(data_dir)
            built = cli(data_dir, "build", timeout=BUILD_TIMEOUT)
            # Exit 1: the build went through but refused files (listed in its summary).
            assert built.returncode == 1, built.stdout[-3000:] + built.stderr[-3000:]
            marts = {
                "live": marts_contents(data_dir / "warehouse.duckdb"),
                "published": marts_contents(data_dir / "published/current/warehouse.duckdb"),
            }
            record.write_text(json.dumps({"output": built.stdout, "marts": marts}))
    saved = json.loads(record.read_text())
    return ReferenceBuild(data_dir, saved["output"], saved["marts"])


@contextlib.contextmanager
def using_data_dir(data_dir: Path) -> Iterator[object]:
    """Point the settings (and so every resource resolved from them) at another data dir; yield its instance."""
    import dagster as dg

    names = {
        "HT_DATA_DIR": data_dir,
        "HT_DUCKDB_PATH": data_dir / "warehouse.duckdb",
        "DAGSTER_HOME": data_dir / "dagster_home",
        "HT_LANDING_DIR": data_dir / "landing",
        "HT_PUBLISH_DIR": data_dir / "published",
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


def process_group_members(pgid: int) -> list[int]:
    """The live processes of a process group: a service and whatever it started (a code server's run workers)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                # After the command name (in parentheses) come the state, the parent's PID and the group.
                state, _parent, group = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
                if int(group) == pgid and state != "Z":
                    members.append(int(entry.name))
    return members
