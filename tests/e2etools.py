"""Helpers for end-to-end tests: run the installed `image-skill` script as a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from clitools import CliResult, free_port


def script() -> str:
    candidate = Path(sys.executable).parent / "image-skill"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("image-skill")
    assert found, "the image-skill entry point is not installed (pip install -e '.[dev]')"
    return found


def run(
    *args: str,
    env: dict[str, str],
    input: str | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> CliResult:
    proc = subprocess.run(
        [script(), *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def e2e_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SKILL_")}
    env["HOME"] = str(tmp_path / "home")
    env["IMAGE_SKILL_LOCAL_DIR"] = str(tmp_path / "local-data")
    env["IMAGE_SKILL_CONFIG_PATH"] = str(tmp_path / "cfg" / "config.json")
    env["PATH"] = str(Path(script()).parent) + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture
def served(e2e_env: dict[str, str]) -> Iterator[str]:
    """`image-skill local serve` in a background process; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [script(), "local", "serve", "--port", str(port)],
        env=e2e_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as reply:
                if reply.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate(timeout=5)
                raise AssertionError(f"local serve did not start: {err}") from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
