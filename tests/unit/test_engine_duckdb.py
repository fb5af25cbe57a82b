"""The pinned DuckDB (1.5.5): its lake extensions work offline, a file from a newer DuckDB is refused by name, and
staged tables keep their empty text columns as text."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.engine.extensions import connection_config, extension_directory, install_extensions
from orchestration.engine.raw_tables import read_state
from orchestration.engine.staged import StagedVersion
from orchestration.engine.warehouse import Warehouse, WarehouseTooNew, read_live

# The storage version in the header of every file duckdb 2.0.1 writes (1.5.5 reads 64 to 68).
DUCKDB_2_STORAGE_VERSION = 999


def test_extensions_from_the_wheels_load_offline_and_ducklake_reads_an_old_version(data_dir: Path) -> None:
    directory = install_extensions()
    assert directory == data_dir / "duckdb_extensions"
    lake = data_dir / "lake"
    lake.mkdir()
    # Autoinstall off: nothing may be fetched from extensions.duckdb.org, everything comes from the directory.
    config = {**connection_config(), "autoinstall_known_extensions": "false"}
    with duckdb.connect(config=config) as conn:
        conn.execute("load ducklake; load postgres; load httpfs")
        loaded = conn.execute(
            "select extension_name from duckdb_extensions() where loaded and extension_name in "
            "('ducklake', 'postgres_scanner', 'httpfs') order by all"
        ).fetchall()
        assert loaded == [("ducklake",), ("httpfs",), ("postgres_scanner",)]
        conn.execute(f"attach 'ducklake:{lake}/meta.ducklake' as lake (data_path '{lake}/files')")
        conn.execute("create table lake.victims (period varchar, victims integer)")
        conn.execute("insert into lake.victims values ('2019-2020', 357)")
        first = conn.execute("select id from lake.current_snapshot()").fetchone()[0]
        conn.execute("insert into lake.victims values ('2021-2022', 1)")
        assert conn.execute("select sum(victims) from lake.victims").fetchone() == (358,)
        assert conn.execute(f"select * from lake.victims at (version => {first})").fetchall() == [("2019-2020", 357)]


def test_installing_again_leaves_the_installed_files_alone(data_dir: Path) -> None:
    install_extensions()
    files = sorted(extension_directory().rglob("*.duckdb_extension"))
    assert [f.name for f in files] == [
        "ducklake.duckdb_extension",
        "httpfs.duckdb_extension",
        "postgres_scanner.duckdb_extension",
    ]
    written = [f.stat().st_mtime_ns for f in files]
    install_extensions()
    assert [f.stat().st_mtime_ns for f in files] == written


def _as_if_written_by_duckdb_2(path: Path) -> None:
    """Give a DuckDB file the storage version duckdb 2.0.1 writes, with a valid header checksum.

    DuckDB's main header is a 4096-byte block: an 8-byte checksum, then "DUCK" and the storage version (uint64).
    The checksum is 5381 XOR-ed with every further 8-byte word times 0xbf58476d1ce4e5b9 (duckdb's checksum.cpp);
    without it DuckDB reports a corrupt file instead of a newer one.
    """
    header = bytearray(path.read_bytes()[:4096])
    assert header[8:12] == b"DUCK"
    struct.pack_into("<Q", header, 12, DUCKDB_2_STORAGE_VERSION)
    checksum = 5381
    for (word,) in struct.iter_unpack("<Q", bytes(header[8:])):
        checksum ^= (word * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    struct.pack_into("<Q", header, 0, checksum)
    with path.open("r+b") as file:
        file.write(header)


def test_a_warehouse_built_by_duckdb_2_names_the_file_and_says_to_rebuild(tmp_path: Path) -> None:
    """Before: the build died in ledger.py with DuckDB's "version number 999" IOException and no hint what to do."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema raw; create table raw.batch_log (batch_id varchar, dbt_fingerprint varchar)")
    _as_if_written_by_duckdb_2(warehouse)
    with pytest.raises(duckdb.IOException, match="version number 999, but we can only read versions between"):
        duckdb.connect(str(warehouse), read_only=True)

    expected = (
        rf"The DuckDB file {re.escape(str(warehouse))} was written by a newer DuckDB \(storage version 999; "
        rf"duckdb {re.escape(duckdb.__version__)} reads versions between \d+ and \d+\).*"
        r"Move the old data dir aside .* run `make build`"
    )
    with pytest.raises(WarehouseTooNew, match=expected), read_live(warehouse):
        pass
    with pytest.raises(WarehouseTooNew, match=expected):
        read_state(Warehouse(warehouse))


def test_a_text_column_no_row_fills_is_staged_as_text(data_dir: Path) -> None:
    """Before: DuckDB 1.5 staged it as INTEGER, and the release checks failed on ochttf-2014 with
    "Invalid value 'US-CA-ORANGE' for dtype 'Int32'" when filling in the release's jurisdiction."""
    staged = StagedVersion("report_releases", "ochttf-2014", "0" * 64)
    staged.write_tables({"report_figures": pd.DataFrame({"metric": ["victims"], "jurisdiction_id": [None]})})
    figures = staged.read_tables()["report_figures"]
    assert figures["jurisdiction_id"].fillna("US-CA-ORANGE").tolist() == ["US-CA-ORANGE"]
