"""Superset's configuration for the warehouse's dashboards (read by Superset via SUPERSET_CONFIG_PATH).

Everything Superset keeps (its SQLite metadata, the generated secret key) lives in `$SUPERSET_HOME`, which
bi/superset_app.py sets to `<data dir>/superset`; nothing is written into the repository.
"""

import os
from pathlib import Path

HOME = Path(os.environ["SUPERSET_HOME"])
SECRET_KEY = (HOME / "secret_key").read_text(encoding="utf-8").strip()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{HOME / 'superset.db'}"
# Local only (127.0.0.1): no HTTPS or content security policy to enforce, no example data.
TALISMAN_ENABLED = False
CONTENT_SECURITY_POLICY_WARNING = False
SUPERSET_LOAD_EXAMPLES = False
# A DuckDB file is a local file: allowed, because the connection is read-only and the file is our own snapshot.
PREVENT_UNSAFE_DB_CONNECTIONS = False
# Charts follow the snapshot: nothing is cached between queries.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
