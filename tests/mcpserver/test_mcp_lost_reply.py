"""A create made through ``mcp serve`` whose reply is lost (issue 13): the breadcrumb the
CLI writes is kept, ``doctor`` lists it with a runnable recovery, and the same call repeated
with its key settles it without a second debit.

The real backend (``local serve``) performs the spend; the fault server in front of it drops
the reply once (:mod:`faults`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clitools import SIGNUP
from e2etools import run
from faults import Fault, FaultServer
from mcptools import McpClient, connect, mcp_env
from upstreamtools import crumbs, local_serve

PROMPT = "a harbour in fog"
KEY = "mcp-lost-reply-1"


@pytest.fixture(scope="module")
def lossy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[McpClient, FaultServer]]:
    root = tmp_path_factory.mktemp("mcp-lost")
    with local_serve(root / "upstream") as upstream, FaultServer(upstream=upstream) as fs:
        env = mcp_env(root)
        signup = run(*SIGNUP, "--api-base-url", fs.url, env=env)
        assert signup.exit_code == 0, signup.stdout
        with connect(env, root, fs.url) as client:
            yield client, fs


def _credits(client: McpClient) -> int:
    quota = client.call("quota")
    assert quota["ok"] is True, quota["error"]
    value = quota["data"]["limits"]["total_remaining_credits"]
    assert isinstance(value, int)
    return value


def test_a_lost_reply_keeps_the_breadcrumb_and_the_retry_with_its_key_debits_once(
    lossy: tuple[McpClient, FaultServer],
) -> None:
    client, fs = lossy
    config = Path(client.env["IMAGE_SKILL_CONFIG_PATH"])
    before = _credits(client)
    fs.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
    arguments = {"prompt": PROMPT, "idempotency_key": KEY, "confirm_spend": True}

    lost = client.call("create", arguments)
    assert lost["ok"] is False
    assert lost["error"]["retryable"] is True
    assert lost["idempotency_key"] == KEY
    recovery = lost["error"]["recovery"]
    assert recovery["suggested_tool"] == "create"
    assert recovery["retry_arguments"] == {"idempotency_key": KEY, "confirm_spend": True}
    spent = _credits(client)
    assert spent < before  # the backend did perform the spend

    [crumb] = crumbs(config)
    assert crumb["schema"] == "image-skill.in-flight-spend.v1"
    assert crumb["operation"] == "create"
    assert crumb["idempotency_key"] == KEY
    argv = crumb["argv"]
    assert argv[argv.index("--prompt") + 1] == PROMPT
    assert argv[argv.index("--aspect-ratio") + 1] == "1:1"
    assert argv[argv.index("--idempotency-key") + 1] == KEY
    assert argv[-1] == "--json"

    doctor = run("doctor", "--api-base-url", fs.url, env=client.env)
    [listed] = json.loads(doctor.stdout)["data"]["in_flight"]["entries"]
    assert f"--idempotency-key {KEY}" in listed["recover_command"]
    assert "--prompt" in listed["recover_command"]

    replayed = client.call("create", arguments)
    assert replayed["ok"] is True, replayed["error"]
    assert replayed["data"]["status"] == "completed"
    assert crumbs(config) == []
    assert _credits(client) == spent
