"""`ht-warehouse build` as a user runs it: progress, a summary, and a DuckDB file any client can query."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb


def test_build_command_builds_the_warehouse_and_prints_a_summary(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HT_", "DBT_", "DAGSTER_HOME"))}
    env["HT_DATA_DIR"] = str(tmp_path / "data")
    cli = Path(sys.executable).parent / "ht-warehouse"
    result = subprocess.run([str(cli), "build"], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "▶ warehouse_dbt_models" in out
    assert "✓ marts/fct_victims" in out
    assert "Failed checks: 0" in out
    database = tmp_path / "data" / "warehouse.duckdb"
    assert f"DuckDB file:   {database}" in out
    # Everything the build wrote stays inside the data directory.
    assert {p.name for p in (tmp_path / "data").iterdir()} >= {"warehouse.duckdb", "dagster_home", "dbt", "logs"}
    with duckdb.connect(str(database), read_only=True) as conn:
        count = conn.execute("select count(*) from marts.victims_by_year_and_type").fetchone()[0]
    assert f"  marts.{'victims_by_year_and_type':<28} {count:>7,}" in out.splitlines()
