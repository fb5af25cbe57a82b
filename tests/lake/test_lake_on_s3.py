"""The lake profile with its data path on S3: `rclone serve s3` on loopback stands in for the object store (its
objects are plain files under a folder), the catalog in the tests' PostgreSQL. One build of the shipped sources
writes its Parquet files there, and a separate DuckDB process with its own S3 secret reads the published snapshot.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BIN_DIR, PROJECT_ROOT, clean_env
from tests.lake.conftest import PostgresServer

KEY, SECRET, BUCKET = "ht-test-key", "ht-test-secret", "ht-lake"
READER = textwrap.dedent(
    """
    import json, sys
    import duckdb
    catalog, extensions, endpoint, key, secret = sys.argv[1:6]
    conn = duckdb.connect(config={"extension_directory": extensions})
    conn.execute(
        f"create secret (type s3, key_id '{key}', secret '{secret}', endpoint '{endpoint}', "
        "url_style 'path', use_ssl false, region 'us-east-1')"
    )
    conn.execute(f"attach 'ducklake:postgres:{catalog}' as head (read_only)")
    snapshot = conn.execute("select max(lake_snapshot) from head.ht_ledger.published").fetchone()[0]
    conn.execute(f"attach 'ducklake:postgres:{catalog}' as lake (read_only, snapshot_version {snapshot})")
    victims = conn.execute(
        "select total_victims from lake.bi.victims_by_period_and_type "
        "where jurisdiction_id = 'US-CA-ORANGE' and period_label = '2019-2020' limit 1"
    ).fetchone()[0]
    rows = conn.execute("select count(*) from lake.marts.fct_victims").fetchone()[0]
    print(json.dumps({"snapshot": snapshot, "victims": victims, "fct_victims": rows}))
    """
)


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    folder: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    folder = tmp_path_factory.mktemp("s3")
    (folder / BUCKET).mkdir()
    port = _free_port()
    command = [str(BIN_DIR / "rclone"), "serve", "s3", "--auth-key", f"{KEY},{SECRET}", "--addr", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert server.poll() is None, f"rclone serve s3 exited: {server.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "rclone serve s3 did not listen within 30s"
            time.sleep(0.2)
        yield S3Server(f"127.0.0.1:{port}", folder)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_build_with_the_data_path_on_s3_publishes_a_lake_other_processes_read(
    s3_server: S3Server, postgres_server: PostgresServer, worker_id: str, tmp_path: Path
) -> None:
    database = f"lake_s3_{worker_id}"
    postgres_server.create_database(database)
    catalog = f"dbname={database} host={postgres_server.host} port={postgres_server.port} user=postgres"
    data_dir = tmp_path / "data"
    env = {
        **clean_env(data_dir),
        "HT_LAKE_CATALOG": catalog,
        "HT_LAKE_DATA_PATH": f"s3://{BUCKET}/warehouse/",
        "HT_LAKE_S3_ENDPOINT": s3_server.endpoint,
        "HT_LAKE_S3_URL_STYLE": "path",
        "HT_LAKE_S3_USE_SSL": "false",
        "HT_LAKE_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
    }
    built = subprocess.run(
        [str(BIN_DIR / "ht-warehouse"), "build"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    # The Parquet files are in the bucket, none under the data dir.
    objects = list((s3_server.folder / BUCKET / "warehouse").rglob("*.parquet"))
    assert any("fct_victims" in str(path) for path in objects), objects
    assert not (data_dir / "lake").exists()
    read = subprocess.run(
        [sys.executable, "-c", READER, catalog, str(data_dir / "duckdb_extensions"), s3_server.endpoint, KEY, SECRET],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr[-3000:]
    published = json.loads(read.stdout)
    assert published["victims"] == 357
    manifest = json.loads((data_dir / "published" / "current" / "manifest.json").read_text())
    assert manifest["lake_snapshot"] == published["snapshot"]
    assert manifest["row_counts"]["marts.fct_victims"] == published["fct_victims"]
