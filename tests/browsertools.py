"""Helpers for the browser tests: Debian's headless Chromium, driven by Selenium through
Debian's chromedriver, against `image-skill local serve` in a subprocess on an ephemeral
loopback port.

Chromium and chromium-driver come from Debian (`.ci/run` installs them when missing);
Selenium comes from the dev extra and is pointed at both binaries, so Selenium Manager
never looks anything up. When either cannot be started the tests fail with a message that
says what to install: they never skip.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clitools import CliResult, invoke

#: W3C WebDriver locator strategies (what selenium's By names).
BY_ID, BY_CSS, BY_TAG = "id", "css selector", "tag name"

CHROMIUM = os.environ.get("IMAGE_SKILL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("IMAGE_SKILL_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver (as root; .ci/run does this in CI)"
#: Flags for a headless, offline Chromium run as root (the sandbox needs a non-root user).
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1280,1000",
)
WAIT_SECONDS = 15


def _fail(message: str) -> None:
    pytest.fail(f"browser tests cannot run: {message}", pytrace=False)


def start_chromium(profile: Path) -> Any:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        _fail(f"{' and '.join(missing)} not found; install them with {INSTALL}")
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _fail("selenium is not installed; run pip install -e '.[dev]'")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(executable_path=CHROMEDRIVER, log_output=str(profile) + "-driver.log")
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        _fail(f"headless Chromium did not start ({exc.msg}); reinstall it with {INSTALL}")
    driver.set_page_load_timeout(WAIT_SECONDS)
    return driver


def wait_healthy(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Wait until the served backend answers ``/healthz`` (its stderr goes to ``log``)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(timeout=5)
                raise AssertionError(f"local serve did not start: {log.read_text()}") from None
            time.sleep(0.05)


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    """Poll ``condition(driver)`` until truthy (WebDriverWait), failing with ``what``."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.05).until(condition, what)


def screenshot(driver: Any, path: Path) -> Path:
    """Save a PNG screenshot of the current page and check it is one."""
    assert driver.save_screenshot(str(path)), f"no screenshot written to {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


@dataclass
class Agent:
    """One signed-up agent on the served backend, with its own saved config."""

    base: str
    config: Path

    def run(self, *args: str) -> CliResult:
        env = {"IMAGE_SKILL_CONFIG_PATH": str(self.config)}
        result = invoke(*args, "--api-base-url", self.base, env=env)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    def paid_balance(self) -> int:
        value = self.run("credits", "status").data["limits"]["payment_backed_remaining_credits"]
        assert isinstance(value, int)
        return value

    def login_url(self) -> str:
        url = self.run("local", "gallery").data["url"]
        assert isinstance(url, str) and url.startswith(self.base + "/login/")
        return url
