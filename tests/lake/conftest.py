"""Fixtures of the scale-out tests: a private PostgreSQL server that the tests start and stop themselves, and a
lake (HT_LAKE_CATALOG) built on it.

Debian's `postgresql` package provides the server (`make test-lake` installs it with apt-get when it is missing).
Each pytest process starts its own server in a temporary folder on a free loopback port (about a second) and
each xdist worker gets databases of its own; the server and its folder are removed at the end, even when a
test failed. `lake_golden` is `ht-warehouse build` of the shipped sources on the lake profile, once per worker;
`lake_host` gives a test its own copy of it (`CREATE DATABASE ... TEMPLATE`, and a copy of the data dir; the
copies share the golden lake's data path: DuckLake writes new files under new names and never rewrites one).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import BIN_DIR, BUILD_TIMEOUT, PROJECT_ROOT, clean_env, copy_data_dir

# Debian installs each major version's server binaries here (postgresql-15 on bookworm).
SERVER_BINARIES = Path("/usr/lib/postgresql")
# initdb refuses to run as root: as root, the server runs as Debian's `postgres` user.
SERVER_USER = "postgres"
SUPERUSER = "postgres"


def server_bin_dir() -> Path:
    """The newest installed server's bin/ folder."""
    found = sorted(SERVER_BINARIES.glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    if not found:
        pytest.fail(
            f"No PostgreSQL server in {SERVER_BINARIES}/<version>/bin (expected initdb there): "
            "`make test-lake` installs Debian's postgresql with apt-get"
        )
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    folder: Path

    def pg_ctl(self, *args: str) -> list[str]:
        """The command line of `pg_ctl <args>` for this server, as the user it runs as."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "server.log")  # the server's output, never a pipe of the caller's
        command = [str(server_bin_dir() / "pg_ctl"), "-D", str(self.folder / "data"), "-o", options, "-l", log, "-w"]
        command += args
        return _as_server_user(command)

    def connect(self, database: str = "postgres") -> psycopg2.extensions.connection:
        return psycopg2.connect(host=self.host, port=self.port, user=SUPERUSER, dbname=database)

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of `template`; returns its URL (no password: the server trusts
        loopback connections)."""
        conn = self.connect()
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}"')
                cursor.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
        finally:
            conn.close()
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{name}"


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this pytest process: initdb, start on a free port, stop and delete at the end."""
    bin_dir = server_bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="ht-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER)
    data, log = folder / "data", folder / "server.log"
    port = _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER]
        created = subprocess.run(_as_server_user(initdb), capture_output=True, text=True)
        assert created.returncode == 0, f"initdb failed: {created.stderr}"
        started = subprocess.run(
            _as_server_user([*pg_ctl, "-o", options, "-l", str(log), "-w", "start"]), capture_output=True, text=True
        )
        assert started.returncode == 0, f"PostgreSQL did not start: {started.stderr}\n{log.read_text()[-2000:]}"
        yield PostgresServer("127.0.0.1", port, folder)
    finally:
        subprocess.run(_as_server_user([*pg_ctl, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def dagster_postgres_url(postgres_server: PostgresServer, worker_id: str) -> str:
    """This xdist worker's own database for Dagster's instance storage."""
    return postgres_server.create_database(f"dagster_{worker_id}")


# A separate process (another host's BI tool): the pointer at the lake's head, then the lake pinned to it.
READER = textwrap.dedent(
    """
    import json, sys
    import duckdb
    catalog, extensions, query = sys.argv[1:4]
    conn = duckdb.connect(config={"extension_directory": extensions})
    conn.execute(f"attach 'ducklake:postgres:{catalog}' as head (read_only)")
    snapshot = conn.execute("select max(lake_snapshot) from head.ht_ledger.published").fetchone()[0]
    conn.execute(f"attach 'ducklake:postgres:{catalog}' as lake (read_only, snapshot_version {snapshot})")
    conn.execute("use lake")
    print(json.dumps({"snapshot": snapshot, "rows": conn.execute(query).fetchall()}, default=str))
    """
)


@dataclass
class LakeHost:
    """One host of the lake profile: its own data dir (working copy, landing, reports), the shared catalog."""

    data_dir: Path
    catalog: str

    @property
    def database(self) -> str:
        """The catalog's database name."""
        return dict(word.split("=", 1) for word in self.catalog.split())["dbname"]

    @property
    def env(self) -> dict[str, str]:
        return {**clean_env(self.data_dir), "HT_LAKE_CATALOG": self.catalog}

    @property
    def working_copy(self) -> Path:
        return self.data_dir / "lake_working_copy.duckdb"

    @property
    def snapshot(self) -> Path:
        return self.data_dir / "published" / "current" / "warehouse.duckdb"

    def build(self, timeout: float = BUILD_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN_DIR / "ht-warehouse"), "build"],
            env=self.env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_build(self) -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN_DIR / "ht-warehouse"), "build"],
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def read(self, query: str) -> dict:
        """`query` in a separate Python process attached to the published lake snapshot."""
        extensions = self.data_dir / "duckdb_extensions"
        done = subprocess.run(
            [sys.executable, "-c", READER, self.catalog, str(extensions), query],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)

    def published_batches(self) -> int:
        return self.read("select count(*) from ht_ledger.published")["rows"][0][0]


def lake_catalog(server: PostgresServer, database: str) -> str:
    return f"dbname={database} host={server.host} port={server.port} user=postgres"


def clone_lake(golden: LakeHost, server: PostgresServer, database: str, data_dir: Path) -> LakeHost:
    """A private copy of a lake host: its catalog database (from the golden one as a template) and data dir."""
    server.create_database(database, template=golden.database)
    return LakeHost(copy_data_dir(golden.data_dir, data_dir), lake_catalog(server, database))


@pytest.fixture(scope="session")
def lake_golden(postgres_server: PostgresServer, worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> LakeHost:
    """`ht-warehouse build` of the shipped sources on the lake profile, into a new catalog database."""
    database = f"lake_golden_{worker_id}"
    postgres_server.create_database(database)
    host = LakeHost(tmp_path_factory.mktemp("lake-golden") / "data", lake_catalog(postgres_server, database))
    built = host.build()
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "Lake:          DuckLake snapshot" in built.stdout
    return host


@pytest.fixture
def lake_host(lake_golden: LakeHost, postgres_server: PostgresServer, tmp_path: Path, request) -> Iterator[LakeHost]:
    """A private copy of the golden lake (catalog database and data dir) for one test."""
    yield clone_lake(lake_golden, postgres_server, f"lake_{abs(hash(request.node.nodeid)) % 10**8}", tmp_path / "data")
