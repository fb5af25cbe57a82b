"""The one handle on the dbt project. Its manifest is built on first use, so a fresh clone loads."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.engine.dbt_files import dbt_project_files
from orchestration.settings import DBT_PROJECT_DIR, apply_environment, dbt_target_dir

apply_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir())


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in dbt_project_files())


def prepare_manifest(force: bool = False) -> None:
    """Run `dbt parse` when the manifest is missing or older than a file of the dbt project (or when forced)."""
    if force or _manifest_is_stale():
        dbt_project.preparer.prepare(dbt_project)


# Built on a fresh clone and re-parsed whenever a file of the dbt project changed (model edits under `dg dev`
# are picked up); otherwise reused, so that run workers do not pay for `dbt parse` on every load.
prepare_manifest()
