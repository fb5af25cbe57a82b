# The two commands of the README: `make build` builds the warehouse, `make test` runs the whole test suite (what
# CI runs, .ci/run). Both install what they need first (uv, then the locked environment), so a fresh clone needs
# only Python 3.11; `make test` also installs Debian's chromium and PostgreSQL with apt-get when they are missing.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# uv cannot download Python builds here; the machine's own Python 3.11 is used.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export UV_COMPILE_BYTECODE := 1

.PHONY: build test test-core test-fast test-lake dev services lint install clean bi test-bi bi-install chromium postgresql

# Debian's own python3 is externally managed (PEP 668) and refuses `pip install --user` unless told: uv is one
# self-contained tool, installed for this user only, so it is told there.
PIP_USER = --user $(shell $(PYTHON) -c "import os, sysconfig; print('--break-system-packages' if os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')) else '')")

$(UV):
	@echo "uv not found: installing it with pip (pip install $(PIP_USER) uv)"
	$(PYTHON) -m pip install --quiet $(PIP_USER) uv

install: $(UV)
	$(UV) sync --frozen

build: install
	$(UV) run --frozen ht-warehouse build

# The whole suite, in the order that fails fastest: lint, the unit and end-to-end tests, the dashboards in a
# browser, then the scale-out tests (Dagster on a PostgreSQL server they start themselves).
test: lint test-core test-bi test-lake

# Unit tests of the engine, parsers and suites, then the end-to-end builds, daemon and kills.
test-core: install
	$(UV) run --frozen pytest tests/unit tests/e2e

# Unit tests only: in-process, no Dagster run, well under 30 seconds.
test-fast: install
	$(UV) run --frozen pytest -n 0 tests/unit

dev: install
	$(UV) run --frozen ht-warehouse dev

# The code server (gRPC), daemon and webserver as three processes; Dagster's storage in PostgreSQL when
# HT_DAGSTER_POSTGRES_URL is set (README "Deploying with PostgreSQL"), in $$HT_DATA_DIR/dagster_home otherwise.
services: install
	$(UV) run --frozen ht-warehouse services

# The scale-out tests (tests/lake): the services on a PostgreSQL server the tests start themselves.
test-lake: install postgresql
	$(UV) run --frozen pytest tests/lake

# ruff, the import layers (import-linter, contracts in pyproject.toml) and the dbt SQL style (sqlfluff).
lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports
	$(UV) run --frozen sqlfluff lint dbt_project

clean:
	rm -rf data

# Dashboards: Apache Superset in its own environment (bi/pyproject.toml, bi/uv.lock), on the published snapshot.
bi-install: $(UV)
	$(UV) sync --project bi --frozen

# Superset's environment cannot import the warehouse: it gets the warehouse's own paths as JSON.
bi: install bi-install
	paths="$$($(UV) run --frozen ht-warehouse paths --json)" && \
	HT_WAREHOUSE_PATHS="$$paths" $(UV) run --project bi --frozen python bi/superset_app.py serve

# Debian packages the tests need, installed with apt-get when missing: as root (CI runs as root), else through sudo.
define apt_install
	echo "Installing Debian's $(1) (apt-get)"; \
	if [ "$$(id -u)" = 0 ]; then apt="env DEBIAN_FRONTEND=noninteractive apt-get"; \
	elif command -v sudo >/dev/null; then apt="sudo env DEBIAN_FRONTEND=noninteractive apt-get"; \
	else echo "Cannot install $(1): apt-get needs root and sudo is missing; as root: apt-get install $(1)" >&2; exit 1; fi; \
	$$apt update -qq && $$apt install -y -qq $(1) >/dev/null
endef

# The browser test needs Debian's chromium and its driver.
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { $(call apt_install,chromium chromium-driver); }

# The scale-out tests start their own PostgreSQL server from Debian's binaries.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(call apt_install,postgresql); }

test-bi: install bi-install chromium
	$(UV) run --project bi --frozen pytest bi/tests
