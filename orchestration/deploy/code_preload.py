"""The code location, loaded once in the fork server (run_launcher.py) and loaded again by a worker when it changed.

A forked run worker runs `dagster api execute_run`, which imports the code location's module: our modules, and
dagster-dbt building the assets from the dbt manifest, about 0.2 s of every run. When the fork server has imported
it, the worker finds it imported. But a module imported once goes stale when its file is edited (`dg dev` is for
editing), so this module notes the state of the files the code location is made of before it imports it, and a
worker whose files changed since forgets every module of the project (`forget_if_changed`): Dagster then imports
them from disk, as it would in a new process.

Importing this module never raises: a code location that fails to load is left for the worker to load, which
reports the error in the run as it does without the preload.
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

PACKAGE = __name__.split(".")[0]
PACKAGE_DIR = Path(__file__).resolve().parents[1]
CODE_LOCATION_MODULE = f"{PACKAGE}.definitions"

FileState = tuple[tuple[str, int, int], ...]


def _states(paths: Iterable[Path]) -> FileState:
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue  # removed meanwhile: missing from the state, so the state differs
        found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def code_files() -> list[Path]:
    """The files the code location is loaded from: the package's own (not its bytecode caches) and the dbt
    project's. Not the manifest dagster-dbt builds the assets from: every `dbt build` writes it again, the same but
    for its timestamps; it is parsed from the project's files, and parsed again when one of them changed."""
    from orchestration.engine.dbt_files import dbt_project_files

    own = sorted(p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [*own, *dbt_project_files()]


def code_state() -> FileState:
    """Path, modification time and size of each of the code location's files."""
    return _states(code_files())


def forget(keep: str = "") -> None:
    """Remove the project's modules (but `keep`) from `sys.modules`, so that the next import of each reads its file
    again."""
    for name in [name for name in sys.modules if (name == PACKAGE or name.startswith(f"{PACKAGE}.")) and name != keep]:
        del sys.modules[name]


def _preload() -> FileState | None:
    """The state of the code location's files, taken before importing it; None if it could not be imported."""
    try:
        state = code_state()
        importlib.import_module(CODE_LOCATION_MODULE)  # parses the dbt project first if its manifest is stale
    except Exception:
        logger.exception("Could not preload the code location: each run worker loads it")
        forget(keep=__name__)  # no half-imported modules for a worker to find (this one is still importing)
        return None
    gc.collect()
    gc.freeze()  # as warm_up.py does: a worker's collections do not walk these objects
    return state


# What the fork server imported, noted as it imported it: a fork inherits this.
PRELOADED_STATE = _preload()


def forget_if_changed() -> bool:
    """In a run worker: when a file of the code location changed since the fork server imported it, forget the
    project's modules so that the run loads the code on disk. Returns whether it did. (A code location the fork
    server could not import left nothing of it to forget: the worker loads it, and reports its error.)"""
    if PRELOADED_STATE is None or code_state() == PRELOADED_STATE:
        return False
    forget()
    importlib.invalidate_caches()  # a module added since is found too
    return True
