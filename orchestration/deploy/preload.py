"""What a run imports and warms up before it starts: once for every run worker (the fork server of
`run_launcher.py`), and in a build from the CLI while dbt parses a new data dir's project (`prepare_build`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from orchestration.defs.dbt.manifest import parsed_alongside

PRELOAD = (
    "dagster",
    "dagster_dbt",
    "great_expectations",
    "pandas",
    "duckdb",
    "matplotlib.pyplot",  # the charts asset draws with it (0.4 s to import)
    "orchestration.deploy.warm_up",  # a dbt build of a project of its own, see there
)


def preload(modules: Sequence[str]) -> None:
    """Import these modules in this process."""
    for module in modules:
        importlib.import_module(module)


def prepare_build(say: Callable[[str], None] = print) -> None:
    """Before a build from the CLI loads the code location: when the dbt project must be parsed (a new data dir, a
    changed project), parse it in a process of its own while this one preloads what its run needs, as a run
    worker's fork server does. On two cores both go on at once (about 6 s and 7 s). Otherwise the code location
    parses as it loads, and the run imports great-expectations while it parses its files."""
    with parsed_alongside() as parsing:
        if parsing:
            say("Preparing:     dbt parses the project in a process of its own while the run's libraries load")
            preload(PRELOAD)
