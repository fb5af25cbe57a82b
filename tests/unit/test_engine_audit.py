"""The audit of write-audit-publish with a fake dbt: a failing file is found, quarantined, and the rest goes live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.engine.audit import ModelsFail, audit, blocking_results
from orchestration.engine.batch import Batch
from orchestration.engine.ledger import accepted_versions
from orchestration.engine.versions import FileVersion
from orchestration.engine.warehouse import Warehouse
from tests.unit.conftest import stage_copy

# A test that fails while the candidate holds a 2025 fiscal year: what a dbt test over the raw rows would find.
FAILING = {
    "unique_id": "test.ht_warehouse.no_fiscal_2025",
    "test": "no_fiscal_2025",
    "name": "no_fiscal_2025",
    "node": "test.ht_warehouse.no_fiscal_2025",
    "status": "fail",
    "message": "Got 1 result, configured to fail if != 0",
    "failures": 1,
    "compiled_code": "select fiscal_year, source_file from raw.hotline_national_signals_fy where fiscal_year = 2025",
}


class FakeDbt:
    """Fails `no_fiscal_2025` whenever the batch's candidate holds fiscal year 2025; counts its invocations."""

    def __init__(self, batch: Batch, always_fail: bool = False) -> None:
        self.batch, self.always_fail = batch, always_fail
        self.builds = self.rebuilds = 0

    def _failures(self) -> list[dict[str, Any]]:
        assert self.batch.candidate is not None
        with duckdb.connect(str(self.batch.candidate), read_only=True) as conn:
            rows = conn.execute(FAILING["compiled_code"]).fetchall()
        return [FAILING] if rows or self.always_fail else []

    def build(self) -> list[dict[str, Any]]:
        self.builds += 1
        return self._failures()

    def rebuild_failing(self, failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.rebuilds += 1
        return self._failures()


def _batch(data_dir: Path, *versions: FileVersion) -> Batch:
    batch = Batch("batch", "run", Warehouse(data_dir / "warehouse.duckdb"), accepted=list(versions))
    batch.prepare()
    return batch


def test_a_passing_batch_is_audited_with_one_build(data_dir: Path) -> None:
    batch = _batch(data_dir, stage_copy(data_dir / "landing", "fiscal"))
    dbt = FakeDbt(batch)
    assert audit(dbt, batch, lambda *_: pytest.fail("nothing is refused"))
    assert (dbt.builds, dbt.rebuilds) == (1, 0)


def test_the_file_that_fails_a_test_is_quarantined_with_its_rows_and_the_rest_goes_live(data_dir: Path) -> None:
    good = stage_copy(data_dir / "landing", "fiscal")
    bad = stage_copy(data_dir / "landing", "fiscal_2025", edit="2025,1,,1,1\n")
    batch = _batch(data_dir, good, bad)
    refused: list[tuple[FileVersion, list[dict[str, Any]], Path]] = []
    assert audit(FakeDbt(batch), batch, lambda *args: refused.append(args))
    assert [(version, report[0]["test"]) for version, report, _ in refused] == [(bad, "no_fiscal_2025")]
    assert refused[0][1][0]["failing_rows"] == [{"fiscal_year": "2025", "source_file": "fiscal_2025.csv"}]
    assert (refused[0][2] / "report.json").exists()
    assert batch.accepted == [good] and batch.quarantined == [bad]
    batch.promote("all", batch.accepted)
    assert accepted_versions(batch.warehouse) == {good.key}


def test_a_batch_whose_only_file_fails_promotes_nothing(data_dir: Path) -> None:
    bad = stage_copy(data_dir / "landing", "fiscal_2025", edit="2025,1,,1,1\n")
    batch = _batch(data_dir, bad)
    assert not audit(FakeDbt(batch), batch, lambda *_: None)
    assert batch.accepted == [] and batch.quarantined == [bad]


def test_a_test_that_fails_without_any_new_file_is_the_models_fault(data_dir: Path) -> None:
    batch = _batch(data_dir, stage_copy(data_dir / "landing", "fiscal"))
    with pytest.raises(ModelsFail, match="fails these tests without this run's files"):
        audit(FakeDbt(batch, always_fail=True), batch, lambda *_: pytest.fail("no file is to blame"))


def test_only_error_level_failures_and_errors_block_promotion() -> None:
    results = {
        "results": [
            {"unique_id": "test.p.a", "status": "fail", "message": "1 row"},
            {"unique_id": "test.p.b", "status": "warn", "message": "1 row"},
            {"unique_id": "model.p.c", "status": "error", "message": "NOT NULL constraint failed"},
            {"unique_id": "model.p.d", "status": "success"},
        ]
    }
    assert [(r["name"], r["test"], r["status"]) for r in blocking_results(results)] == [
        ("a", "a", "fail"),
        ("c", None, "error"),
    ]
