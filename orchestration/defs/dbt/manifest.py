"""The dbt project's manifest: whether it must be parsed again, and parsing it, here or in a process of its own.

dagster-dbt builds the dbt assets from `manifest.json`, so the code location parses the project when it loads on a
fresh clone or after a change to the project (`project.py`). A build from the CLI on a new data dir instead starts
that parse in a process of its own and preloads what its run needs meanwhile (`parsed_alongside`,
`deploy/preload.py`): on two cores the parse (about 6 s) and the preload (about 7 s) go on at once.

This module imports neither Dagster nor dbt until a parse needs them, so that the process it starts begins parsing
at once.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from orchestration.engine.dbt_files import dbt_fingerprint, dbt_project_files
from orchestration.settings import DBT_PROJECT_DIR, apply_environment, dbt_target_dir


def manifest_path() -> Path:
    """Where dbt writes the manifest dagster-dbt reads (`DbtProject.manifest_path` for the project's target)."""
    return dbt_target_dir() / "manifest.json"


def manifest_is_whole(manifest: Path) -> bool:
    """Whether the file ends as a JSON object does: dbt writes it in place, so a process killed meanwhile leaves
    it cut off, and dagster-dbt could not load the code location from it."""
    with manifest.open("rb") as file:
        file.seek(0, os.SEEK_END)
        if file.tell() == 0:
            return False
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"}"


def manifest_is_stale() -> bool:
    """Whether the manifest is missing, cut off, or older than a file of the dbt project."""
    manifest = manifest_path()
    if not manifest.exists() or not manifest_is_whole(manifest):
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in dbt_project_files())


def prepare_manifest() -> None:
    """Parse the dbt project when its manifest is stale.

    dagster-dbt's preparer would run `dbt parse` in a new process, and a run would then parse again to get the
    manifest as an object. dbt parses in this process, as runs do (runner.py): that writes `manifest.json` and keeps
    the parsed manifest for the runs too.
    """
    if not manifest_is_stale():
        return
    from dagster._utils import run_with_concurrent_update_guard

    from orchestration.defs.dbt.runner import parse_project

    # dagster-dbt's guard: one process parses at a time, and one that waited for another's parse skips its own.
    run_with_concurrent_update_guard(
        manifest_path(),
        parse_project,
        project_dir=str(DBT_PROJECT_DIR),
        target_path=str(dbt_target_dir()),
        fingerprint=dbt_fingerprint(),
    )


@contextlib.contextmanager
def parsed_alongside() -> Iterator[bool]:
    """When the manifest is stale, parse the project in a process of its own while the `with` block runs, and wait
    for it at the end of the block. Yields whether a parse runs.

    The block should not load the code location (that would parse again): it is for the imports a run needs. If
    that process fails, the code location parses in its own process when it loads, and raises dbt's error there.
    """
    if not manifest_is_stale():
        yield False
        return
    # The settings exported here, so that both processes key the kept parse alike (runner.py): the parse process
    # applies them too, and would otherwise fill in what this one lacks.
    apply_environment()
    parse = subprocess.Popen(
        [sys.executable, "-m", __name__],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield True
    except BaseException:
        parse.kill()  # an interrupted build leaves no parse behind (a half-written manifest is stale)
        parse.wait()
        raise
    parse.wait()


if __name__ == "__main__":
    apply_environment()
    prepare_manifest()
