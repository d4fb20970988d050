"""Headless Chromium for the tests that look at npgan's pages (the run report, the sweep page).

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them when
missing); the ``browser`` fixture skips, with that reason, where they are not installed. A test
module uses it by importing it (``from browser import browser``). Screenshots for a person to look
at go to ``build/test-artifacts/`` (or ``$NPGAN_TEST_ARTIFACTS``).
"""

import os
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("NPGAN_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[1] / "build" / "test-artifacts"))
# Chromium flags: headless, and no background connections (this machine's network is closed).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A selenium driver of headless Chromium (skips where Chromium is not installed)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.skip(f"headless Chromium is not installed ({', '.join(missing)} missing): install the Debian "
                    "packages chromium and chromium-driver (.ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)  # never downloads a driver
    yield driver
    driver.quit()


def errors(driver) -> list:
    """The browser console's errors since the last call (script errors, failed loads)."""
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def screenshot(driver, name: str, width: int = 1280) -> Path:
    """A screenshot of the whole page at ``width`` into the artifacts folder; the window is put back."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 120, 8000))
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)
    return path
