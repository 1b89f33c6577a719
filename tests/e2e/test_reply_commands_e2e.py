"""Every command our replies hand out runs as printed, through a real shell (issue 10, the
key rule of contract 0.1.70 §7): quota's ``top_up`` and ``next_actions.self_fund``, credits
methods / quote / buy / status and the settlement, a quote's ``after_auth``, and create's
``next_actions``, against the in-process and the served backend.

The agent's shell is the one the README's install leaves: no ``image-skill`` on ``PATH``
(a bare ``image-skill`` word fails with 127) and a default API (``IMAGE_SKILL_API_BASE_URL``)
that is a closed port, so a command that lost our program prefix or the explicit
``--api-base-url`` fails. Commands holding a placeholder (``QUOTE_ID``, ``KEY`` ...) are the
only ones not run; each is still checked to start like the others.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2etools import free_port, run, script
from image_skill.guide.placeholders import copy_runnable


def commands_in(node: Any) -> Iterator[str]:
    """Every string under a command-like key (``*command*``, ``settle_with``, lists of them)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and ("command" in key or key == "settle_with"):
                yield value
            elif isinstance(value, list) and "command" in key:
                yield from (item for item in value if isinstance(item, str))
            else:
                yield from commands_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from commands_in(item)


class Shell:
    """The agent's shell: runs printed commands with ``bash -c``, never edited."""

    def __init__(self, env: dict[str, str], work: Path, base: str) -> None:
        self.env, self.work, self.base = env, work, base
        self.prefix = shlex.join([str(Path(script()).parent / "python"), "-m", "image_skill"])
        self.ran: list[str] = []

    def sh(self, command: str) -> dict[str, Any]:
        proc = subprocess.run(
            ["bash", "-c", command],
            env=self.env,
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
        envelope = json.loads(proc.stdout)
        assert envelope["ok"] is True, (command, envelope)
        self.ran.append(command)
        return envelope

    def check(self, command: str) -> None:
        """Printed to run here: the carried config, our prefix, the explicit base."""
        carried = f"IMAGE_SKILL_CONFIG_PATH={shlex.quote(self.env['IMAGE_SKILL_CONFIG_PATH'])} "
        assert command.startswith(carried + self.prefix + " "), command
        words = shlex.split(command)
        assert words[words.index("--api-base-url") + 1] == self.base, command

    def follow(self, envelope: dict[str, Any], *, limit: int = 40) -> list[dict[str, Any]]:
        """Check every command of ``envelope`` and run the copy-runnable ones (once each)."""
        replies = []
        found = list(dict.fromkeys(commands_in(envelope["data"])))
        assert found, envelope
        for command in found:
            if "image_skill" not in command and "image-skill" not in command:
                continue  # e.g. curl of the skill file
            self.check(command)
            if copy_runnable(command) and command not in self.ran and len(self.ran) < limit:
                replies.append(self.sh(command))
        return replies


@pytest.fixture
def agent_shell(e2e_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The README install's shell: no image-skill on PATH, a dead default API."""
    bindir = str(Path(script()).parent)
    path = os.pathsep.join(p for p in e2e_env["PATH"].split(os.pathsep) if p != bindir)
    env = {**e2e_env, "PATH": path, "IMAGE_SKILL_API_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    probe = subprocess.run(["bash", "-c", "command -v image-skill"], env=env, capture_output=True)
    assert probe.returncode != 0, "image-skill must not be on the agent's PATH"
    return env


@pytest.mark.parametrize("backend", ["in-process", "served"])
def test_every_reply_command_runs_as_printed(
    backend: str, agent_shell: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    base = "local" if backend == "in-process" else str(request.getfixturevalue("served"))
    work = tmp_path / "work"
    work.mkdir()
    shell = Shell(agent_shell, work, base)

    def cli(*args: str, ok: bool = True) -> dict[str, Any]:
        proc = run(*args, "--api-base-url", base, env=agent_shell, cwd=work)
        envelope = proc.json
        assert (proc.exit_code == 0) is ok, proc.stdout + proc.stderr
        return envelope

    # Before signup: the quote's after_auth names the quote to run once a token exists.
    terms = ["--pack", "starter-500", "--payment-method", "stripe_x402.exact.usdc"]
    refused = cli("credits", "quote", *terms, ok=False)
    after_auth = refused["error"]["recovery"]["after_auth"]["command"]
    shell.check(after_auth)
    cli("signup", "--agent", "--agent-contact", "e2e@example.com", "--agent-name", "e2e",
        "--runtime", "pytest")  # fmt: skip
    quoted = shell.sh(after_auth)
    assert quoted["data"]["quote_id"].startswith("quote_")

    # usage quota: top_up and the derived next_actions.self_fund
    quota = cli("usage", "quota")
    assert quota["data"]["next_actions"]["self_fund"]["available"] is True
    shell.follow(quota)

    # credits methods -> recommended quote -> recommended buy -> settlement and status
    methods = cli("credits", "methods")
    recommended = methods["data"]["next_actions"]["recommended_quote"]["command"]
    shell.follow(methods)
    quote = shell.sh(recommended) if recommended not in shell.ran else None
    quote = quote or cli("credits", "quote", *terms)
    buy = quote["data"]["next_actions"]["recommended_buy"]["command"]
    shell.check(buy)
    bought = shell.sh(buy)
    assert bought["data"]["state"] == "action_required"
    settled = [r for r in shell.follow(bought) if r["command"] == "image-skill local settle"]
    assert settled and settled[0]["data"]["state"] == "succeeded"
    status = cli("credits", "status", "--quote-id", quote["data"]["quote_id"])
    shell.follow(status)

    # create: next_actions (inspect the job and the asset) run as printed
    created = cli("create", "--prompt", "a paper lantern")
    replies = shell.follow(created)
    shown = {r["command"] for r in replies}
    assert {"image-skill jobs show", "image-skill assets show"} <= shown
    assert len(shell.ran) >= 10
