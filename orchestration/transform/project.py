"""The one handle on the dbt project. Its manifest is built on first use, so a fresh clone loads."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR, apply_environment, dbt_target_dir

apply_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir())


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in DBT_PROJECT_DIR.rglob("*") if path.is_file())


def prepare_manifest(force: bool = False) -> None:
    """Run `dbt parse` when the manifest is missing or older than a file of the dbt project (or when forced)."""
    if force or _manifest_is_stale():
        dbt_project.preparer.prepare(dbt_project)


# Under `dagster dev` the manifest is re-parsed on every load to pick up model edits; elsewhere it is built
# once (a fresh clone, CI) and reused.
if dbt_project.preparer.using_dagster_dev():
    prepare_manifest(force=True)
else:
    prepare_manifest()
