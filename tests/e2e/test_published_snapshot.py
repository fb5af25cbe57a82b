"""The published snapshot: opens in the DuckDB CLI from PyPI (DuckDB 1.x), its Parquet equals the marts, and it is
only ever replaced whole (tests/test_write_audit_publish.py: never with a state that failed a blocking check)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import BuiltWarehouse, shipped_file_count

DUCKDB_CLI = Path(sys.executable).parent / "duckdb"


def test_snapshot_opens_in_the_duckdb_cli_from_pypi(built_warehouse: BuiltWarehouse) -> None:
    """The PyPI duckdb-cli embeds DuckDB 1.x, which cannot read files in DuckDB 2.x's own storage format."""
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1."), version
    query = (
        "select total_victims from bi.victims_by_period_and_type "
        "where jurisdiction_id = 'US-CA-ORANGE' and period_label = '2019-2020' limit 1"
    )
    result = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(built_warehouse.snapshot), "-c", query],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "357"


def test_parquet_export_reads_back_equal_to_the_marts(built_warehouse: BuiltWarehouse) -> None:
    parquet = built_warehouse.snapshot.parent / "parquet"
    with duckdb.connect() as conn:
        conn.execute(f"attach '{built_warehouse.database}' as warehouse (read_only)")
        marts = [
            name
            for (name,) in conn.execute(
                "select table_name from duckdb_tables() where database_name = 'warehouse' and schema_name = 'marts'"
            ).fetchall()
        ]
        assert len(marts) >= 12
        for name in marts:
            exported = f"read_parquet('{parquet / f'marts.{name}.parquet'}')"
            differences = conn.execute(
                f"select count(*) from ((select * from {exported} except all select * from warehouse.marts.{name})"
                f" union all (select * from warehouse.marts.{name} except all select * from {exported}))"
            ).fetchone()[0]
            counts = conn.execute(
                f"select (select count(*) from {exported}), (select count(*) from warehouse.marts.{name})"
            ).fetchone()
            assert (differences, counts[0]) == (0, counts[1]), name


def test_every_relation_of_the_snapshot_has_its_parquet_file_with_its_rows(built_warehouse: BuiltWarehouse) -> None:
    """Tables and views copied from the warehouse, and the tables written into the snapshot only."""
    folder = built_warehouse.snapshot.parent
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(built_warehouse.snapshot), read_only=True) as conn:
        relations = [
            relation
            for (relation,) in conn.execute(
                "select schema_name || '.' || table_name from duckdb_tables() union all "
                "select schema_name || '.' || view_name from duckdb_views() where not internal order by 1"
            ).fetchall()
        ]
        assert {"audit.check_results", "audit.publication", "bi.victims_by_period_and_type"} <= set(relations)
        assert list(manifest["parquet_files"]) == relations
        for relation in relations:
            exported = f"read_parquet('{folder / manifest['parquet_files'][relation]}')"
            counts = conn.execute(f"select (select count(*) from {exported}), (select count(*) from {relation})")
            rows, in_snapshot = counts.fetchone()
            assert rows == in_snapshot == manifest["row_counts"].get(relation, in_snapshot), relation
        assert manifest["row_counts"]["bi.victims_by_period_and_type"] > 0


def test_snapshot_records_what_it_published(built_warehouse: BuiltWarehouse) -> None:
    snapshot_id, git_revision, storage, sources = built_warehouse.query_snapshot(
        "select snapshot_id, git_revision, storage_version, json_array_length(source_versions) from audit.publication"
    )[0]
    assert built_warehouse.snapshot.resolve().parent.name == snapshot_id
    assert storage == "v1.4.0"
    assert len(git_revision.removesuffix("-dirty")) == 40 or git_revision == "unknown"
    assert sources == shipped_file_count()
    dbt_tests = built_warehouse.query_snapshot(
        "select count(*), count(*) filter (where passed or severity = 'WARN') from audit.check_results "
        "where asset_key like 'marts/%'"
    )[0]
    from orchestration.defs.dbt.assets import warehouse_dbt_models
    from orchestration.defs.dbt.checks import listed_tests

    # One row per dbt test, though the UI groups them in one check per model.
    on_marts = [
        test
        for spec in warehouse_dbt_models.check_specs
        if spec.asset_key.path[0] == "marts"
        for test in listed_tests(spec)
    ]
    assert dbt_tests[0] == len(on_marts) > 50 and dbt_tests[0] == dbt_tests[1]
    warnings = built_warehouse.query_snapshot("select check_summary->>'failed_warnings' from audit.publication")[0][0]
    assert int(warnings) >= 3  # UNODC's own inconsistencies, kept as published


def _publish(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    from orchestration.definitions import defs
    from orchestration.defs.publish import SNAPSHOT_KEY

    return dg.materialize(
        [defs.get_assets_def(SNAPSHOT_KEY)], instance=instance, resources=defs.resources, raise_on_error=False
    )


def test_each_publish_swaps_current_and_old_snapshots_are_pruned(
    built_warehouse: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HT_PUBLISH_DIR", str(tmp_path))
    monkeypatch.setenv("HT_PUBLISH_KEEP", "2")
    with dg.instance_for_test() as instance:
        published = [_publish(instance) for _ in range(3)]
        assert all(result.success for result in published)
    snapshots = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert len(snapshots) == 2  # three published, the oldest pruned
    assert (tmp_path / "current").resolve().name == snapshots[-1]
    # Each snapshot names the live warehouse's batch it was made from: a build can tell when it is out of date.
    manifest = json.loads((tmp_path / "current" / "manifest.json").read_text())
    batch = built_warehouse.query("select batch_id from raw.batch_log order by promoted_at desc limit 1")[0][0]
    assert manifest["batch_id"] == batch


def test_a_publish_reads_only_the_landing_check_records_after_the_last_one(
    built_warehouse: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot's landing check rows are each file's latest results whether read from the whole history or,
    as each publish does, from the last snapshot's rows and the records after the newest one it had read."""
    from orchestration.defs import publish
    from orchestration.engine.snapshot import published_check_results

    instance = built_warehouse.instance
    full, newest = publish.landing_check_rows(instance, [], None)
    assert newest is not None and len(full) >= shipped_file_count()
    previous, read_to = published_check_results(built_warehouse.data_dir / "published")
    assert read_to is not None and read_to <= newest
    rows, read = publish.landing_check_rows(instance, previous, read_to)
    assert (sorted(rows, key=str), read) == (sorted(full, key=str), newest)
    # Only the newest record is read again: every other row comes from the last snapshot.
    monkeypatch.setattr(publish, "CHECK_RECORDS_OVERLAP", 1)
    marked = [{**row, "description": "from the last snapshot"} for row in full]
    rows, read = publish.landing_check_rows(instance, marked, newest)
    assert read == newest and len(rows) == len(full)
    read_again = [row for row in rows if row["description"] != "from the last snapshot"]
    # (a file's expectations are one record: a row per expectation)
    assert read_again and len({(r["asset_key"], r["partition_key"], r["evaluated_at"]) for r in read_again}) == 1
    # A history that no longer holds the newest record read (a new instance), or a kept row's run (deleted), is
    # read whole.
    rows, read = publish.landing_check_rows(instance, marked, newest + 10)
    assert (sorted(rows, key=str), read) == (sorted(full, key=str), newest)
    deleted = [{**marked[0], "run_id": "a-deleted-run"}, *marked[1:]]
    rows, read = publish.landing_check_rows(instance, deleted, newest)
    assert (sorted(rows, key=str), read) == (sorted(full, key=str), newest)
