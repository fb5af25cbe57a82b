"""The DuckDB extensions a lake needs (ducklake, postgres, httpfs), installed offline from their PyPI wheels.

`INSTALL ducklake` downloads from DuckDB's servers, which this project cannot rely on. Each extension also
ships as a wheel (`duckdb-extension-<name>`, pinned with duckdb in pyproject.toml) holding the one file built
for this DuckDB version; `install_extensions` copies those files into an extension directory under the data dir,
and connections that set it (`connection_config()`) `LOAD` them without any network. dbt's profile sets the same
directory in `config_options` (its `extensions:` are installed before `settings:` apply):

    config_options:
      extension_directory: "{{ env_var('HT_DATA_DIR') }}/duckdb_extensions"
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import duckdb
from duckdb_extensions import import_extension

from orchestration.settings import data_dir

# The wheels' names (duckdb_extension_<name>); DuckDB also knows postgres_scanner by its alias `postgres`.
EXTENSIONS = ("ducklake", "postgres_scanner", "httpfs")


def extension_directory() -> Path:
    """Where DuckDB connections of this project find their extensions: `<data dir>/duckdb_extensions`."""
    return data_dir() / "duckdb_extensions"


def connection_config(directory: Path | None = None) -> dict[str, str]:
    """The `config` for `duckdb.connect` that makes the installed extensions loadable."""
    return {"extension_directory": str(directory or extension_directory())}


def wheel_file(name: str) -> Path:
    """The extension file the wheel `duckdb-extension-<name>` ships for the installed DuckDB."""
    version = f"v{duckdb.__version__}"
    package = Path(str(importlib.resources.files(f"duckdb_extension_{name}")))
    path = package / "extensions" / version / f"{name}.duckdb_extension"
    if not path.is_file():
        shipped = sorted(p.name for p in path.parent.parent.iterdir()) if path.parent.parent.is_dir() else []
        raise RuntimeError(
            f"{path} not found: the wheel duckdb_extension_{name} ships {', '.join(shipped) or 'no versions'}, "
            f"but duckdb is {version}. DuckDB loads only extensions built for its own version: install matching "
            "versions (pyproject.toml pins duckdb and the extension wheels together)."
        )
    return path


def install_extensions(directory: Path | None = None) -> Path:
    """Install every extension in EXTENSIONS into `directory` (default: extension_directory()); return it.

    Idempotent and cheap when done: an extension already installed from an identical file is left alone.
    """
    directory = directory or extension_directory()
    directory.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(config=connection_config(directory)) as conn:
        installed = dict(
            conn.execute(
                "select extension_name, install_path from duckdb_extensions() where installed and install_path <> ''"
            ).fetchall()
        )
        for name in EXTENSIONS:
            source = wheel_file(name)
            present = Path(installed[name]) if name in installed else None
            # A plain INSTALL keeps whatever file is there; a re-released wheel (same DuckDB version, new build)
            # has another size, so that is when to overwrite.
            stale = present is not None and (not present.is_file() or present.stat().st_size != source.stat().st_size)
            if present is None or stale:
                import_extension(name, force_install=stale, con=conn)
    return directory
