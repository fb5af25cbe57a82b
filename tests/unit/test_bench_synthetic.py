"""The benchmarks' SYNTHETIC data (bench/synthetic.py) is data the warehouse accepts: a full-build benchmark
compares the orchestrated build with plain loads and `dbt build` on the same rows only if landing refuses none."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import yaml

from bench.synthetic import generate
from orchestration.engine.land import land_all
from orchestration.engine.plan import make_plan
from orchestration.engine.warehouse import Warehouse


def test_synthetic_files_at_twice_the_real_volume_all_pass_the_landing_checks(data_dir: Path) -> None:
    landing = generate(data_dir / "synthetic", scale=2)
    written_long_ago = time.time() - 3600  # files written this instant would wait for their writer to settle
    for path in landing.rglob("*"):
        os.utime(path, (written_long_ago, written_long_ago))
    warehouse = Warehouse(data_dir / "warehouse.duckdb")
    plan = make_plan([landing], warehouse, data_dir / "published")
    assert len(plan.pending) == 22  # 18 YAML releases, 2 tabular releases, 2 hotline state tables

    landings = list(land_all(plan.pending, warehouse))
    refused = {Path(one.version.path).name: one.first_problem for one in landings if not one.passed}

    assert refused == {}


def test_each_synthetic_tabular_release_has_years_of_its_own(tmp_path: Path) -> None:
    landing = generate(tmp_path, scale=3)
    periods = sorted(
        (release["period_start"], release["period_end"])
        for path in (landing / "report_releases").glob("synthetic-intl-*.provenance.yaml")
        for release in [yaml.safe_load(path.read_text(encoding="utf-8"))["release"]]
    )
    assert len(periods) == 3
    assert all(end < start for (_, end), (start, _) in itertools.pairwise(periods))
