"""Loading the code location (the code server, the daemon and every run worker do) imports no library that only
a run needs: pandas, numpy and great-expectations come in where files are parsed and validated."""

from __future__ import annotations

import subprocess
import sys

# The landing assets and every module of the engine and quality layers (with the parser modules they import; the
# parsers themselves are imported when a file is parsed). Not orchestration.definitions itself: on a fresh data
# dir its dbt project handle runs `dbt parse` (8 s).
LOAD = """
import pkgutil, sys
import orchestration.defs.landed, orchestration.engine, orchestration.quality
for package in (orchestration.engine, orchestration.quality):
    for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        __import__(module.name)
print(sorted(set(sys.argv[1:]) & set(sys.modules)))
"""


def test_the_engine_and_the_landing_assets_load_without_pandas_numpy_or_great_expectations() -> None:
    """Before: pandas and numpy (about 0.4 s of every load) came in through defs.warehouse_writer ->
    engine.batch -> engine.staged, and through defs.landed and the quality and parser modules it imports."""
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD, "pandas", "numpy", "great_expectations"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
