"""The project's own dbt tests fail on the errors they exist to catch (a test that cannot fail is a defect)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import BuiltWarehouse


def _dbt_test(candidate: Path, select: str) -> subprocess.CompletedProcess[str]:
    """dbt writes `<HT_DUCKDB_PATH>.candidate` (profiles.yml): the pipeline's candidate, here the corrupted copy."""
    live = candidate.with_name(candidate.name.removesuffix(".candidate"))
    env = {**os.environ, "HT_DUCKDB_PATH": str(live), "DBT_TARGET_PATH": str(candidate.parent / "target")}
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [
            str(dbt),
            "build",
            "--select",
            select,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def warehouse_copy(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    # The catalog is named after the file (`warehouse`): the views dbt wrote name it.
    copy = tmp_path / "warehouse.duckdb.candidate"
    shutil.copyfile(built_warehouse.database, copy)
    return copy


@pytest.mark.parametrize(
    ("corruption", "failing_test"),
    [
        # 317 sex + 33 labor + 7 both no longer add up to the 357 total.
        (
            "update raw.report_figures set value = 300 where release_id = 'ochttf-2021' and breakdown_category = 'sex'",
            "parts_sum_to_total_fct_victims",
        ),
        # A part larger than its total.
        (
            "update raw.report_figures set value = 400"
            " where release_id = 'ochttf-2021' and breakdown_category = 'female'",
            "parts_not_exceeding_total_fct_victims",
        ),
        # A percent above 100.
        (
            "update raw.report_figures set value = 191.9 where release_id = 'ochttf-2017' and value = 91.9",
            "value_between_fct_victims_victim_percent",
        ),
    ],
)
def test_corrupted_figures_fail_the_marts_tests(warehouse_copy: Path, corruption: str, failing_test: str) -> None:
    with duckdb.connect(str(warehouse_copy)) as conn:
        conn.execute(corruption)
    result = _dbt_test(warehouse_copy, "fct_victims")
    assert result.returncode == 1, result.stdout[-2000:]
    failures = [line for line in result.stdout.splitlines() if "Failure in test" in line]
    assert any(failing_test in line for line in failures), "\n".join(failures) or result.stdout[-2000:]


def test_a_duplicate_key_fails_the_table_whose_contract_declares_it_unique(warehouse_copy: Path) -> None:
    """figure_id is unique by the contract of fct_victims (a constraint DuckDB enforces, not a test node)."""
    with duckdb.connect(str(warehouse_copy)) as conn:
        conn.execute(
            "insert into raw.report_figures select * from raw.report_figures "
            "where release_id = 'ochttf-2021' and breakdown_category = 'sex'"
        )
    result = _dbt_test(warehouse_copy, "fct_victims")
    assert result.returncode == 1, result.stdout[-2000:]
    # The model fails, and DuckDB's message names the duplicated key.
    assert "Runtime Error in model fct_victims" in result.stdout, result.stdout[-2000:]
    assert 'UNIQUE constraint violation: duplicate key "ochttf-2021#' in result.stdout, result.stdout[-2000:]
