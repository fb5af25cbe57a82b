"""Apache Superset on the published snapshot: set up, import the dashboards in bi/assets, serve on 127.0.0.1.

Run with the BI environment's Python (`make bi`, which installs it with `uv sync --project bi`):

    python bi/superset_app.py serve [--port 8088]     # set up, import, serve in the foreground
    python bi/superset_app.py setup                   # set up and import only

Where the warehouse keeps its data comes from the warehouse itself: HT_WAREHOUSE_PATHS holds the JSON object that
`ht-warehouse paths --json` prints (`make bi` sets it). This environment cannot import the warehouse's settings:
Superset pins its own SQLAlchemy and Flask, so the warehouse package is not installed here.

Superset keeps its metadata in SQLite under `<data dir>/superset/`, with a secret key and an admin password
generated on first use and kept there (mode 600). The database connection opens the published snapshot
(`<publish dir>/current/warehouse.duckdb`) read-only; `current` is switched by each build, and Superset opens a new
connection per query, so a new snapshot shows without a restart.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import secrets
import subprocess
import sys
import zipfile
from pathlib import Path

BI_DIR = Path(__file__).resolve().parent
ASSETS = BI_DIR / "assets"
ADMIN = "admin"
DEFAULT_PORT = 8088
SNAPSHOT_PLACEHOLDER = "{published_snapshot}"
PATHS_ENV = "HT_WAREHOUSE_PATHS"
# The keys of `ht-warehouse paths --json` this app reads: the data dir and the published snapshot's DuckDB file.
PATH_KEYS = ("data_dir", "published")


@functools.cache
def warehouse_paths() -> dict[str, Path]:
    """The warehouse's data dir and published snapshot, as its own CLI reports them (in HT_WAREHOUSE_PATHS)."""
    document = os.environ.get(PATHS_ENV)
    if not document:
        raise SystemExit(
            f"{PATHS_ENV} is not set: run `make bi`, or set it to the output of `ht-warehouse paths --json`."
        )
    try:
        reported = json.loads(document)
        return {key: Path(reported[key]) for key in PATH_KEYS}
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise SystemExit(
            f"{PATHS_ENV} should be the JSON object printed by `ht-warehouse paths --json`, with the keys "
            f"{', '.join(PATH_KEYS)}; found {document[:200]!r} ({error!r})"
        ) from error


def home() -> Path:
    return warehouse_paths()["data_dir"] / "superset"


def snapshot() -> Path:
    return warehouse_paths()["published"]


def _kept_secret(name: str) -> str:
    """A random secret generated once and kept under the data dir, readable by its owner only."""
    path = home() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def admin_password() -> str:
    return _kept_secret("admin_password")


def environment() -> dict[str, str]:
    _kept_secret("secret_key")
    return {
        **os.environ,
        "SUPERSET_HOME": str(home()),
        "SUPERSET_CONFIG_PATH": str(BI_DIR / "superset_config.py"),
        "FLASK_APP": "superset",
        "PYTHONUNBUFFERED": "1",
    }


def _superset(*args: str, quiet: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the Superset CLI of this environment; its chatter goes to <data dir>/superset/superset.log."""
    command = [str(Path(sys.executable).parent / "superset"), *args]
    with (home() / "superset.log").open("a", encoding="utf-8") as log:
        result = subprocess.run(command, env=environment(), stdout=log if quiet else None, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise SystemExit(
            f"superset {' '.join(args[:2])} failed (exit {result.returncode}); see {home() / 'superset.log'}"
        )
    return result


def bundle() -> bytes:
    """bi/assets as the ZIP Superset imports, the database pointing at this machine's published snapshot."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(ASSETS.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8").replace(SNAPSHOT_PLACEHOLDER, str(snapshot()))
            archive.writestr(f"bundle/{path.relative_to(ASSETS)}", text)
    return buffer.getvalue()


def setup() -> None:
    """Metadata schema, admin user (password from the data dir), roles, then the dashboards (overwritten)."""
    if not snapshot().exists():
        raise SystemExit(f"No published snapshot at {snapshot()}: run `make build` first.")
    home().mkdir(parents=True, exist_ok=True)
    print(f"Superset home: {home()}  (log: {home() / 'superset.log'})", flush=True)
    print("Setting up Superset's metadata (first run: about a minute)...", flush=True)
    _superset("db", "upgrade")
    password = admin_password()
    users = subprocess.run(
        [str(Path(sys.executable).parent / "superset"), "fab", "list-users"],
        env=environment(),
        capture_output=True,
        text=True,
    ).stdout
    if f"username:{ADMIN} " in users or f"username:{ADMIN}\n" in users:
        _superset("fab", "reset-password", "--username", ADMIN, "--password", password)
    else:
        _superset(
            "fab", "create-admin", "--username", ADMIN, "--firstname", "Warehouse", "--lastname", "Admin",
            "--email", "admin@localhost", "--password", password,
        )  # fmt: skip
    _superset("init")
    zip_path = home() / "dashboards.zip"
    zip_path.write_bytes(bundle())
    _superset("import-dashboards", "--path", str(zip_path), "--username", ADMIN)
    print(f"Imported the dashboards in {ASSETS} against {snapshot()}", flush=True)


def serve(port: int) -> None:
    setup()
    print(
        f"\nSuperset:  http://127.0.0.1:{port}/superset/dashboard/trafficking-statistics/\n"
        f"User:      {ADMIN}\nPassword:  {admin_password()}  (kept in {home() / 'admin_password'})\n"
        "Stop with Ctrl-C.\n",
        flush=True,
    )
    command = [str(Path(sys.executable).parent / "superset"), "run", "-h", "127.0.0.1", "-p", str(port)]
    os.execve(command[0], [*command, "--with-threads"], environment())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="set up Superset and import the dashboards")
    serving = sub.add_parser("serve", help="set up, import and serve on 127.0.0.1")
    serving.add_argument("--port", type=int, default=int(os.environ.get("HT_SUPERSET_PORT", DEFAULT_PORT)))
    args = parser.parse_args()
    if args.command == "setup":
        setup()
    else:
        serve(args.port)


if __name__ == "__main__":
    main()
