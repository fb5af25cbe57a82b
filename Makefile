# The two commands of the README: `make build` builds the warehouse, `make test` runs the test suite.
# Both install what they need first (uv, then the locked environment), so a fresh clone needs only Python 3.11.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# uv cannot download Python builds here; the machine's own Python 3.11 is used.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export UV_COMPILE_BYTECODE := 1

.PHONY: build test dev lint install clean bi test-bi bi-install chromium

$(UV):
	@echo "uv not found: installing it with pip (pip install --user uv)"
	$(PYTHON) -m pip install --quiet --user uv

install: $(UV)
	$(UV) sync --frozen

build: install
	$(UV) run --frozen ht-warehouse build

test: install
	$(UV) run --frozen pytest

dev: install
	$(UV) run --frozen ht-warehouse dev

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

clean:
	rm -rf data

# Dashboards: Apache Superset in its own environment (bi/pyproject.toml, bi/uv.lock), on the published snapshot.
bi-install: $(UV)
	$(UV) sync --project bi --frozen

bi: bi-install
	$(UV) run --project bi --frozen python bi/superset_app.py serve

# The browser test needs Debian's chromium and its driver: installed with apt-get when missing (CI runs as root).
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		echo "Installing Debian's chromium and chromium-driver (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

test-bi: install bi-install chromium
	$(UV) run --project bi --frozen pytest bi/tests
