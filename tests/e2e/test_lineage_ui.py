"""Auditors follow lineage in the Dagster UI: the real dagster-webserver, queried through its GraphQL API, serves one
graph from a landed source file to the marts and the published snapshot, with row counts and column metadata."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BuiltWarehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ASSET_GRAPH = "{ assetNodes { assetKey { path } dependencyKeys { path } kinds owners { __typename } } }"
MART_METADATA = """
query ($path: [String!]!) {
  assetNodes(assetKeys: [{path: $path}]) {
    description
    assetMaterializations(limit: 1) {
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on TableSchemaMetadataEntry { schema { columns { name type } } }
        ... on TableColumnLineageMetadataEntry { lineage { columnName columnDeps { assetKey { path } columnName } } }
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GraphQL:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/graphql"

    def __call__(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.load(response)
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


@pytest.fixture(scope="module")
def graphql(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphQL]:
    """dagster-webserver on a loopback port, on the session's instance (DAGSTER_HOME) and code location."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("webserver") / "webserver.log").open("w")
    command = [str(Path(sys.executable).parent / "dagster-webserver"), "-m", "orchestration.definitions"]
    server = subprocess.Popen(
        [*command, "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = GraphQL(port)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if client("{ assetNodes { id } }")["assetNodes"]:
                    break
            except (OSError, AssertionError):
                pass
            assert time.monotonic() < deadline, "dagster-webserver did not serve the code location within 120 s"
            time.sleep(1)
        yield client
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _path(children: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A path of asset keys from start to goal following the UI's dependency edges (breadth first)."""
    frontier, came_from = [start], {start: ""}
    while frontier:
        node = frontier.pop(0)
        if node == goal:
            path = [node]
            while came_from[path[-1]]:
                path.append(came_from[path[-1]])
            return path[::-1]
        for child in sorted(children.get(node, ())):
            if child not in came_from:
                came_from[child] = node
                frontier.append(child)
    return None


def test_ui_lineage_runs_from_a_landed_file_to_the_marts_and_the_published_snapshot(graphql: GraphQL) -> None:
    nodes = graphql(ASSET_GRAPH)["assetNodes"]
    children: dict[str, set[str]] = {}
    for node in nodes:
        for parent in node["dependencyKeys"]:
            children.setdefault("/".join(parent["path"]), set()).add("/".join(node["assetKey"]["path"]))
    to_mart = _path(children, "landed/report_releases", "marts/victims_by_year_and_type")
    assert to_mart is not None
    assert to_mart[:2] == ["landed/report_releases", "raw/report_releases"]
    assert any(step.startswith("staging/") for step in to_mart)
    to_snapshot = _path(children, "marts/victims_by_year_and_type", "published/warehouse_snapshot")
    assert to_snapshot is not None
    kinds = {kind for node in nodes for kind in node["kinds"]}
    assert {"duckdb", "dbt", "pandas", "great_expectations", "parquet"} <= kinds
    assert all(node["owners"] for node in nodes)


def test_ui_shows_row_counts_column_schemas_and_column_lineage_of_the_marts(
    graphql: GraphQL, built_warehouse: BuiltWarehouse
) -> None:
    mart = graphql(MART_METADATA, {"path": ["marts", "victims_by_year_and_type"]})["assetNodes"][0]
    assert "one row per jurisdiction x period x trafficking type" in mart["description"]
    entries = {entry["label"]: entry for entry in mart["assetMaterializations"][0]["metadataEntries"]}
    rows = built_warehouse.query("select count(*) from marts.victims_by_year_and_type")[0][0]
    assert entries["dagster/row_count"]["intValue"] == rows
    columns = {c["name"]: c["type"] for c in entries["dagster/column_schema"]["schema"]["columns"]}
    assert columns["victim_count"] == "BIGINT" and columns["period_label"] == "VARCHAR"
    lineage = {e["columnName"]: e["columnDeps"] for e in entries["dagster/column_lineage"]["lineage"]}
    assert {"assetKey": {"path": ["marts", "fct_victims"]}, "columnName": "victim_count"} in lineage["victim_count"]
