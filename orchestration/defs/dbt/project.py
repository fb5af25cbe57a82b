"""The one handle on the dbt project. Its manifest is built on first use, so a fresh clone loads."""

from __future__ import annotations

import os
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtProject

from orchestration.defs.dbt.runner import parse_project
from orchestration.engine.dbt_files import dbt_fingerprint, dbt_project_files
from orchestration.settings import DBT_PROJECT_DIR, apply_environment, dbt_target_dir

apply_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir())


def _manifest_is_whole(manifest: Path) -> bool:
    """Whether the file ends as a JSON object does: dbt writes it in place, so a process killed meanwhile leaves
    it cut off, and dagster-dbt could not load the code location from it."""
    with manifest.open("rb") as file:
        file.seek(0, os.SEEK_END)
        if file.tell() == 0:
            return False
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"}"


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists() or not _manifest_is_whole(manifest):
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in dbt_project_files())


def prepare_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than a file of the project.

    dagster-dbt's preparer would run `dbt parse` in a new process (a new interpreter importing dbt: about 4 s),
    and a run would then parse again to get the manifest as an object. dbt parses here, in this process, as runs
    do (runner.py): that writes `manifest.json` and keeps the parsed manifest for the runs too.
    """
    if _manifest_is_stale():
        # dagster-dbt's guard: one process parses at a time, and one that waited for another's parse skips its own.
        run_with_concurrent_update_guard(
            dbt_project.manifest_path,
            parse_project,
            project_dir=str(DBT_PROJECT_DIR),
            target_path=str(dbt_target_dir()),
            fingerprint=dbt_fingerprint(),
        )


# Built on a fresh clone and re-parsed whenever a file of the dbt project changed (model edits under `dg dev`
# are picked up); otherwise reused, so that run workers do not pay for `dbt parse` on every load.
prepare_manifest()
