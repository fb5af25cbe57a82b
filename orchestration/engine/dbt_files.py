"""The dbt project's source files: one walk, for the fingerprint a build records and the manifest's freshness."""

from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

SOURCE_FOLDERS = ("models", "seeds", "macros", "tests")


def dbt_project_files() -> list[Path]:
    """Every file that shapes what dbt builds, in a stable order."""
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in SOURCE_FOLDERS:
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return files


def dbt_fingerprint() -> str:
    """A hash of the dbt project's files: when it changes, every model is rebuilt (not only those downstream)."""
    digest = hashlib.sha256()
    for path in dbt_project_files():
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
