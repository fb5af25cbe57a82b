"""The one handle on the dbt project. Its manifest is built on first use, so a fresh clone loads."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.defs.dbt.manifest import prepare_manifest
from orchestration.settings import DBT_PROJECT_DIR, apply_environment, dbt_target_dir

apply_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir())

# Built on a fresh clone and re-parsed whenever a file of the dbt project changed (model edits under `dg dev`
# are picked up); otherwise reused, so that run workers do not pay for `dbt parse` on every load.
prepare_manifest()
