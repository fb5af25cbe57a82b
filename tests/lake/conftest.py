"""Fixtures of the scale-out tests: a private PostgreSQL server that the tests start and stop themselves.

Debian's `postgresql` package provides the server (`make test-lake` installs it with apt-get when it is missing).
Each pytest process starts its own server in a temporary folder on a free loopback port (about a second) and
each xdist worker gets a database of its own; the server and its folder are removed at the end, even when a
test failed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

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

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL (no password: the server trusts loopback connections)."""
        conn = self.connect()
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}"')
                cursor.execute(f'create database "{name}"')
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
