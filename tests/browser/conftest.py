"""Fixtures of the browser tests (helpers and the rationale in tests/browsertools.py)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from browsertools import Agent, start_chromium, wait_healthy
from clitools import free_port
from e2etools import script


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(base URL, driver)``: one `local serve` subprocess and one Chromium per module,
    started side by side (each test gets its own agents and an emptied cookie jar)."""
    root = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SKILL_")}
    env.update(HOME=str(root / "home"), IMAGE_SKILL_LOCAL_DIR=str(root / "local-data"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = root / "serve.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [script(), "local", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    driver = None
    try:
        driver = start_chromium(root / "chromium-profile")
        wait_healthy(proc, base, log)
        yield base, driver
    finally:
        if driver is not None:
            driver.quit()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def served(stack: tuple[str, Any]) -> str:
    return stack[0]


@pytest.fixture
def browser(stack: tuple[str, Any]) -> Any:
    """The module's Chromium with one tab and no cookies, as a new visitor has."""
    driver = stack[1]
    handles = driver.window_handles
    for handle in handles[1:]:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(handles[0])
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return driver


@pytest.fixture
def new_agent(served: str, tmp_path: Path) -> Callable[[str], Agent]:
    """``new_agent(name)``: sign up an agent on the served backend through the CLI."""

    def make(name: str) -> Agent:
        agent = Agent(served, tmp_path / f"config-{name}.json")
        agent.run(
            "signup",
            "--agent",
            "--agent-contact",
            f"{name}@example.com",
            "--agent-name",
            name,
            "--runtime",
            "pytest",
        )
        return agent

    return make
