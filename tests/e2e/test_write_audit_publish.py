"""Write-audit-publish, run the way a user runs it: `ht-warehouse build` on a copy of a built warehouse, with
files dropped in its landing folder (the mixed batch of tests/conftest.py: a new release, a release that passes
every landing check but fails a dbt test, and a file that does not parse)."""

from __future__ import annotations

import json

from tests.conftest import (
    BUILD_TIMEOUT,
    NEW_RELEASE,
    SHIPPED_RELEASES,
    ReferenceBuild,
    cli,
    copy_data_dir,
    query,
    settle,
)

DUPLICATE_TEST = "unique_combination_victims_report_changes_jurisdiction_id__period_id"


def test_file_failing_a_dbt_test_is_quarantined_and_the_rest_of_its_batch_is_published(
    reference_build: ReferenceBuild,
) -> None:
    data_dir, output = reference_build.data_dir, reference_build.output
    snapshot = data_dir / "published/current/warehouse.duckdb"
    assert "Files:         1 loaded, 2 refused" in output
    # Each refused file once: its path, then its first failing check with the message, then its report.
    assert output.count("ochttf-2021b.yaml\n") == 1 and output.count("broken.yaml\n") == 1
    assert f"ochttf-2021b.yaml\n      passes_warehouse_tests: Fails the warehouse's tests: {DUPLICATE_TEST}" in output
    assert "/quarantine/report_releases/ochttf-2021b/" in output and "/report.json" in output
    assert "broken.yaml\n      file_parses: " in output
    # The new release is published; the file that fails a test is in neither the warehouse nor the snapshot.
    total = (
        "select victim_count from marts.fct_victims where source_id = '{}' and breakdown_dimension = 'total' "
        "and unit = 'count'"
    )
    assert query(snapshot, total.format("ochttf-2025")) == [(411,)]
    assert query(snapshot, total.format("ochttf-2021b")) == []
    assert query(
        data_dir / "warehouse.duckdb", "select count(*) from raw.report_releases where release_id = 'ochttf-2021b'"
    ) == [(0,)]
    # Quarantined with the failing test and its failing rows.
    [report_file] = (data_dir / "quarantine/report_releases/ochttf-2021b").glob("*/report.json")
    report = json.loads(report_file.read_text())
    [failure] = report["failed_tests"]
    assert failure["test"] == DUPLICATE_TEST
    assert failure["failing_rows"] and failure["failing_rows"][0]["period_id"]
    assert (report_file.parent / "ochttf-2021b.yaml").exists()


def test_a_later_file_still_publishes_and_nothing_new_starts_no_run(reference_build: ReferenceBuild) -> None:
    data_dir = reference_build.data_dir
    landed = data_dir / "landing/report_releases/ochttf-2019.yaml"
    landed.write_text((SHIPPED_RELEASES / "ochttf-2019.yaml").read_text() + "# Re-issued to the landing folder.\n")
    settle(landed)
    built = cli(data_dir, "build", timeout=BUILD_TIMEOUT)
    assert built.returncode == 0, built.stdout[-3000:]
    assert "Files:         1 loaded, 0 refused" in built.stdout
    snapshot = data_dir / "published/current/warehouse.duckdb"
    assert query(snapshot, "select latest_version from marts.dim_source where source_id = 'ochttf-2019'") == [(2,)]
    # Nothing new: an answer from the ledger, no Dagster run.
    again = cli(data_dir, "build")
    assert again.returncode == 0 and "Nothing new:" in again.stdout
    assert "▶" not in again.stdout


def test_retract_takes_a_version_out_and_publishes(reference_build: ReferenceBuild) -> None:
    data_dir = reference_build.data_dir
    landed = data_dir / "landing/report_releases" / NEW_RELEASE.name
    snapshot = data_dir / "published/current/warehouse.duckdb"
    count = "select count(*) from marts.fct_report_figures where source_id = 'ochttf-2025'"
    assert query(snapshot, count) == [(5,)]

    retracted = cli(data_dir, "retract", str(landed), timeout=BUILD_TIMEOUT)
    assert retracted.returncode == 0, retracted.stdout[-3000:] + retracted.stderr[-2000:]
    assert query(snapshot, count) == [(0,)]
    assert query(
        data_dir / "warehouse.duckdb",
        "select outcome from raw.load_log where partition_key = 'ochttf-2025' order by loaded_at",
    ) == [("loaded",), ("retracted",)]
    [report] = (data_dir / "quarantine/report_releases/ochttf-2025").glob("*/report.json")
    assert json.loads(report.read_text())["refused_by"] == "retraction"
    # The retracted bytes stay in landing but are not taken again.
    assert "Nothing new:" in cli(data_dir, "build").stdout
    assert cli(data_dir, "retract", "0123456789abcdef").returncode == 2


def test_a_batch_whose_only_file_fails_a_dbt_test_reads_in_a_few_short_lines(golden_build, tmp_path) -> None:
    """Regression: when the only new file failed a dbt test, the build printed Dagster's "did not yield expected
    outputs" with about 200 check names on one line of several thousand characters."""
    data_dir = copy_data_dir(golden_build[0], tmp_path / "data")
    landing = data_dir / "landing" / "report_releases"
    landing.mkdir(parents=True, exist_ok=True)
    original = (SHIPPED_RELEASES / "ochttf-2021.yaml").read_text()
    (landing / "ochttf-2021b.yaml").write_text(original.replace("release_id: ochttf-2021", "release_id: ochttf-2021b"))
    settle(*landing.iterdir())
    built = cli(data_dir, "build", timeout=BUILD_TIMEOUT)
    output, clean = built.stdout, golden_build[1]
    assert "Files:         0 loaded, 1 refused" in output
    assert f"ochttf-2021b.yaml\n      passes_warehouse_tests: Fails the warehouse's tests: {DUPLICATE_TEST}" in output
    assert "did not yield" not in output and "checks not evaluated: nothing of this step went live" in output
    assert max(len(line) for line in output.splitlines()) < 400
    assert len(output.splitlines()) <= len(clean.splitlines()) + 20
