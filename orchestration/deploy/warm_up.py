"""Importing this module warms a process up for dbt: the fork server of `run_launcher` preloads it (preload.py).

A process's first `dbt build` costs about 1.7 s more than its second, none of it the project's work: dbt-core
generates its serialisers and JSON schemas on first use, and dbt-adapters looks up its caller's module through
`inspect`, which scans every loaded module once. Forked run workers inherit what their fork server did. So the
fork server (and a CLI build while dbt parses its project) builds a one-model project of its own, generated here
in a temporary folder, against an in-memory DuckDB: the project's code and its warehouse are never touched, so
nothing it caches goes stale.

Then it freezes what it holds (`gc.freeze`, as Python's documentation advises before forking): a run worker's
garbage collections, including the full one after each dbt command, no longer walk the libraries' objects.
"""

from __future__ import annotations

import gc
import logging
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT = """\
name: warm_up
version: "1.0"
profile: warm_up
"""
PROFILES = """\
warm_up:
  target: memory
  outputs:
    memory:
      type: duckdb
      path: ":memory:"
      threads: 1
"""
MODEL = "select 1 as id\n"
TESTS = """\
models:
  - name: warm_up_model
    columns:
      - name: id
        data_tests: [not_null, unique]
"""


def warm_up_dbt() -> None:
    """`dbt build` of a generated one-model project in this process, quietly. A failure is logged, not raised: the
    fork server must start whatever happens here (it would take every run launch down with it)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory(prefix="ht-dbt-warm-up-") as folder:
        project = Path(folder)
        (project / "models").mkdir()
        (project / "dbt_project.yml").write_text(PROJECT, encoding="utf-8")
        (project / "profiles.yml").write_text(PROFILES, encoding="utf-8")
        (project / "models" / "warm_up_model.sql").write_text(MODEL, encoding="utf-8")
        (project / "models" / "warm_up_model.yml").write_text(TESTS, encoding="utf-8")
        locations = ["--project-dir", folder, "--profiles-dir", folder, "--target-path", f"{folder}/target"]
        try:
            result = dbtRunner().invoke(["--quiet", "--log-path", f"{folder}/logs", "build", *locations])
            if not result.success:
                logger.warning("The dbt warm-up failed (run workers start colder): %s", result.exception)
        except Exception:
            logger.exception("The dbt warm-up failed (run workers start colder)")
        finally:
            DuckDBConnectionManager.close_all_connections()


warm_up_dbt()
gc.collect()
gc.freeze()
