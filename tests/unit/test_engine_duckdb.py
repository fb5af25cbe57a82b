"""The pinned DuckDB (1.5.5): a file from a newer DuckDB is refused by name."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import duckdb
import pytest

from orchestration.engine.raw_tables import read_state
from orchestration.engine.warehouse import WarehouseTooNew, read_live

# The storage version in the header of every file duckdb 2.0.1 writes (1.5.5 reads 64 to 68).
DUCKDB_2_STORAGE_VERSION = 999


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
        read_state(warehouse)
