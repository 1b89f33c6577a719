"""A real `image-skill local serve` upstream behind a FaultServer, and the money checks on it.

Used by the tests where the real backend performs a spend and the fault server then loses
or mangles its reply: accounts (``new_agent``, ``saved_agent``), balances (``remaining``)
and running a printed recovery command exactly as printed, through ``bash -c``
(``run_printed``).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clitools import CliResult, free_port, invoke
from e2etools import script


@contextmanager
def local_serve(data_dir: Path) -> Iterator[str]:
    """`image-skill local serve` on a free loopback port with its own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SKILL_")}
    env["HOME"] = str(data_dir / "home")
    env["IMAGE_SKILL_LOCAL_DIR"] = str(data_dir / "local-data")
    port = free_port()
    proc = subprocess.Popen(
        [script(), "local", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
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
                proc.kill()
                _, err = proc.communicate(timeout=5)
                raise AssertionError(f"local serve did not start: {err}") from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@dataclass(frozen=True)
class Agent:
    token: str
    actor_id: str


def _signup(base: str, *extra: str) -> Agent:
    contact = f"agent-{secrets.token_hex(6)}@example.com"  # one contact, one account
    res = invoke(
        "signup",
        "--agent",
        "--agent-contact",
        contact,
        "--agent-name",
        "demo",
        "--runtime",
        "test",
        "--show-token",
        *extra,
        "--api-base-url",
        base,
    )
    assert res.exit_code == 0, res.stdout
    return Agent(res.data["token"], res.data["actor_id"])


def new_agent(base: str) -> Agent:
    """A fresh agent (its own contact, so its own balance) whose token is saved nowhere."""
    return _signup(base, "--no-save")


def saved_agent(base: str) -> Agent:
    """A fresh agent whose token is saved in the config (``IMAGE_SKILL_CONFIG_PATH``)."""
    return _signup(base)


def remaining(base: str, agent: Agent) -> int:
    """The agent's remaining credits (``usage quota``), read with the token on stdin."""
    res = invoke("usage", "quota", "--token-stdin", "--api-base-url", base, input=agent.token)
    assert res.exit_code == 0, res.stdout
    value = res.data["limits"]["remaining_credits"]
    assert isinstance(value, int)
    return value


def shell_env(config: Path, **extra: str) -> dict[str, str]:
    """A shell environment like the agent's: its config, no other IMAGE_SKILL_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SKILL_")}
    env["IMAGE_SKILL_CONFIG_PATH"] = str(config)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def run_printed(command: str, *, env: dict[str, str], stdin: str | None) -> CliResult:
    """Run a printed command exactly as printed, through ``bash -c``."""
    proc = subprocess.run(
        ["bash", "-c", command],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def cli_args(command: str) -> list[str]:
    """The words of a rendered ``<prefix> <command> ...`` after the program prefix."""
    words = shlex.split(command)
    for at, word in enumerate(words):
        if word in ("create", "edit", "credits"):
            return words[at:]
    raise AssertionError(f"no command word in {command!r}")


def crumbs(config: Path) -> list[dict[str, Any]]:
    folder = config.parent / "in-flight"
    if not folder.exists():
        return []
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
