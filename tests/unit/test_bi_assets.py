"""The Superset dashboards kept as code (bi/assets) stay in step with the `bi` views they chart.

Cheap checks of the YAML only; the dashboards themselves are opened in a browser by `make test-bi`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ASSETS = PROJECT_ROOT / "bi/assets"
# One YAML beside each bi model (dbt_project/models/bi/<model>.yml), each holding its contract.
BI_MODELS = PROJECT_ROOT / "dbt_project/models/bi"


def _load(folder: str) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted((ASSETS / folder).rglob("*.yaml"))}


def _contract() -> dict[str, list[str]]:
    models = [m for p in sorted(BI_MODELS.glob("*.yml")) for m in yaml.safe_load(p.read_text())["models"]]
    return {m["name"].removeprefix("bi_"): [c["name"] for c in m["columns"]] for m in models}


def test_every_bi_view_is_a_dataset_with_the_contract_columns() -> None:
    datasets = _load("datasets")
    assert {name: [c["column_name"] for c in d["columns"]] for name, d in datasets.items()} == _contract()
    assert {d["schema"] for d in datasets.values()} == {"bi"}


def test_the_database_is_the_snapshot_read_only_and_not_in_sql_lab() -> None:
    [database] = _load("databases").values()
    assert database["sqlalchemy_uri"] == "duckdb:///{published_snapshot}"  # the path comes from the settings
    assert database["extra"]["engine_params"]["connect_args"] == {"read_only": True}
    assert not database["expose_in_sqllab"] and not database["allow_dml"]


@pytest.mark.parametrize("name", sorted(_load("charts")))
def test_each_chart_says_what_it_counts_and_uses_columns_of_its_dataset(name: str) -> None:
    chart = _load("charts")[name]
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    dataset = datasets[chart["dataset_uuid"]]
    columns = {c["column_name"] for c in dataset["columns"]}
    params = chart["params"]
    named = [*params.get("all_columns", []), *params.get("groupby", []), *params.get("groupbyRows", [])]
    named += [*params.get("groupbyColumns", []), *([params["x_axis"]] if "x_axis" in params else [])]
    assert set(named) <= columns
    assert len(chart["description"]) > 80


def test_the_dashboard_holds_every_chart() -> None:
    [dashboard] = _load("dashboards").values()
    placed = {
        item["meta"]["uuid"]
        for item in dashboard["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    }
    assert placed == {c["uuid"] for c in _load("charts").values()}
    assert dashboard["dashboard_title"] == "Trafficking statistics"
