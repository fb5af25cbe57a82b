"""The dashboards in a real browser: Superset started on a loopback port against a built snapshot, the
"Trafficking statistics" dashboard loaded in headless Chromium as the admin user.

Run by `make test-bi` (in the BI environment; `make test` runs it after the unit and end-to-end tests). It builds a
warehouse with the project's own CLI in a temporary data dir, so it needs the warehouse environment too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_CLI = PROJECT_ROOT / ".venv/bin/ht-warehouse"
NEW_RELEASE = PROJECT_ROOT / "tests/data/releases/ochttf-2025.yaml"
DASHBOARD = "/superset/dashboard/trafficking-statistics/"
SCREENSHOTS = PROJECT_ROOT / "data" / "bi-test"
CHARTS = 8
STARTUP_TIMEOUT = 300
RENDER_TIMEOUT = 120


@dataclass
class Superset:
    url: str
    data_dir: Path
    password: str
    process: subprocess.Popen


def _env(data_dir: Path) -> dict[str, str]:
    names = ("HT_DATA_DIR", "HT_DUCKDB_PATH", "HT_LANDING_DIR", "HT_PUBLISH_DIR", "DAGSTER_HOME")
    env = {k: v for k, v in os.environ.items() if k not in names}
    return {**env, "HT_DATA_DIR": str(data_dir)}


def _warehouse_paths(data_dir: Path) -> str:
    """What superset_app.py reads in HT_WAREHOUSE_PATHS: the warehouse CLI's own report of where it keeps data."""
    reported = subprocess.run(
        [str(WAREHOUSE_CLI), "paths", "--json"], env=_env(data_dir), capture_output=True, text=True, timeout=120
    )
    assert reported.returncode == 0, reported.stdout[-3000:] + reported.stderr[-3000:]
    return reported.stdout


def _build(data_dir: Path) -> str:
    built = subprocess.run(
        [str(WAREHOUSE_CLI), "build"], env=_env(data_dir), capture_output=True, text=True, timeout=900
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return built.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _superset_processes(port: int) -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"superset run -h 127.0.0.1 -p {port}"], capture_output=True, text=True)
    return found.stdout.split()


@pytest.fixture(scope="module")
def superset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
    if not WAREHOUSE_CLI.exists():
        pytest.fail(f"{WAREHOUSE_CLI} is missing: `make test-bi` installs the warehouse environment first")
    data_dir = tmp_path_factory.mktemp("bi") / "data"
    _build(data_dir)
    port = _free_port()
    log = (tmp_path_factory.getbasetemp() / "superset.out").open("w")
    # Its own process group: stopped as a whole, whatever Superset starts.
    process = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "bi/superset_app.py"), "serve", "--port", str(port)],
        env={**_env(data_dir), "HT_WAREHOUSE_PATHS": _warehouse_paths(data_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(url):
            assert process.poll() is None, (tmp_path_factory.getbasetemp() / "superset.out").read_text()[-3000:]
            assert time.monotonic() < deadline, "Superset did not answer on /health in time"
            time.sleep(2)
        password = (data_dir / "superset" / "admin_password").read_text().strip()
        yield Superset(url, data_dir, password, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()
    assert _superset_processes(port) == [], "a Superset process outlived the test"


def _healthy(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def browser(superset: Superset) -> Iterator[webdriver.Chrome]:
    options = Options()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,3200"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    try:
        _log_in(driver, superset)
        yield driver
    finally:
        driver.quit()


def _log_in(driver: webdriver.Chrome, superset: Superset, attempts: int = 3) -> None:
    """Log in through the form, loading it afresh for each attempt: on a loaded machine the form can take keys
    before its script is ready and then never submit (seen once in CI)."""
    for _ in range(attempts):
        driver.get(f"{superset.url}/login/")
        _wait(lambda: driver.find_elements(By.ID, "username"), "the login form")
        driver.find_element(By.ID, "username").send_keys("admin")
        driver.find_element(By.ID, "password").send_keys(superset.password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
        try:
            _wait(lambda: "/login" not in driver.current_url, "the login to go through", timeout=RENDER_TIMEOUT / 2)
            return
        except AssertionError:
            continue
    page = driver.find_element(By.TAG_NAME, "body").text
    raise AssertionError(f"the login did not go through in {attempts} attempts; the page says: {page[:500]!r}")


def _wait(condition, what: str, timeout: float = RENDER_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def _open_dashboard(driver: webdriver.Chrome, superset: Superset, *expected: str) -> str:
    """Load the dashboard and wait until every chart has rendered (no loading spinner left) and the page shows
    the `expected` texts (or an error, which the tests then report); return the page's text."""
    driver.get(f"{superset.url}{DASHBOARD}")
    _wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".chart-container")) >= CHARTS, "the chart containers")

    def rendered() -> bool:
        loading = driver.find_elements(By.CSS_SELECTOR, ".chart-container .loading, [data-test=loading-indicator]")
        text = driver.find_element(By.TAG_NAME, "body").text
        return not loading and (all(e in text for e in expected) or bool(_chart_errors(driver)))

    _wait(rendered, f"every chart to render and show {expected}")
    time.sleep(2)  # the last ECharts animations
    return driver.find_element(By.TAG_NAME, "body").text


def _chart_errors(driver: webdriver.Chrome) -> list[str]:
    alerts = driver.find_elements(
        By.CSS_SELECTOR, ".chart-container .ant-alert-error, .chart-container .alert-danger, [data-test=error-message]"
    )
    return [alert.text for alert in alerts]


def test_every_chart_renders_with_published_figures(browser: webdriver.Chrome, superset: Superset) -> None:
    text = _open_dashboard(browser, superset, "357", "1,734", "415")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "dashboard.png"))
    assert _chart_errors(browser) == []
    assert "Trafficking statistics" in browser.title
    # OCHTTF 2019-2020: 357 victims assisted (the 2021 report); California's hotline cases 2024: 1,734.
    assert "2019-2020" in text and "357" in text
    assert "1,734" in text
    # The auditors' table lists the conflicts, e.g. the 2019 report's 415 victims dated to two periods.
    assert "period" in text and "415" in text
    # Not yet built: the release the next test lands.
    assert "2023-2024" not in text


def test_a_new_snapshot_shows_without_a_restart(browser: webdriver.Chrome, superset: Superset) -> None:
    """A build that publishes a new snapshot (a 2025 release: 2023-2024, 205 minors) reaches Superset, whose
    process was not restarted."""
    landing = superset.data_dir / "landing" / "report_releases"
    landing.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NEW_RELEASE, landing / NEW_RELEASE.name)
    time.sleep(1.5)  # the ledger takes files that have settled for a second
    assert "1 loaded, 0 refused" in _build(superset.data_dir)
    text = _open_dashboard(browser, superset, "2023-2024")
    assert superset.process.poll() is None
    assert "2023-2024" in text and "205" in text
    assert _chart_errors(browser) == []
    browser.save_screenshot(str(SCREENSHOTS / "dashboard_after_new_snapshot.png"))
