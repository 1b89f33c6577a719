"""Commands from local-backend replies run as printed, through a real shell, and reach it.

The shell's ``IMAGE_SKILL_API_BASE_URL`` points at a closed port, so a command that named
no ``--api-base-url`` of its own would fail: only the backend's own flag gets it through.
The only edits are the placeholders the reply asks the agent to fill in (none here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_guide_e2e import sh

from e2etools import free_port, run


def cli(*args: str, env: dict[str, str], base: str) -> dict[str, Any]:
    """Run the CLI with an explicit base; return the envelope (asserting exit 0)."""
    proc = run(*args, "--api-base-url", base, env=env)
    assert proc.exit_code == 0, proc.stdout + proc.stderr
    envelope = proc.json
    assert isinstance(envelope, dict)
    return envelope


@pytest.mark.parametrize("where", ["in_process", "served"])
def test_reply_commands_run_as_printed_against_the_same_backend(
    where: str, e2e_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    base = "local" if where == "in_process" else str(request.getfixturevalue("served"))
    work = tmp_path / "work"
    work.mkdir()
    signup = ["signup", "--agent", "--agent-contact", "a@example.com", "--agent-name", "a"]
    cli(*signup, "--runtime", "pytest", env=e2e_env, base=base)
    # the agent's shell has another (dead) default server: bare commands would go there
    shell_env = {**e2e_env, "IMAGE_SKILL_API_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    assert run("whoami", env=shell_env).exit_code != 0

    terms = ["--pack", "starter-500", "--payment-method", "stripe_x402.exact.usdc"]
    quote = cli("credits", "quote", *terms, "--idempotency-key", "q-1", env=e2e_env, base=base)
    quote_id = quote["data"]["quote_id"]
    buy = ["credits", "buy", "--provider", "stripe_x402", "--quote-id", quote_id]
    bought = cli(*buy, "--idempotency-key", "b-1", env=e2e_env, base=base)
    settle = bought["data"]["next"]["local_settle_command"]
    assert f"--api-base-url {base} --json" in settle

    code, settled = sh(settle, shell_env, work)
    assert code == 0 and settled["ok"], settled
    assert settled["data"]["state"] == "succeeded" and settled["data"]["granted_now"] is True
    (follow_up,) = settled["data"]["next"]["suggested_commands"]  # usage quota
    code, quota = sh(follow_up, shell_env, work)
    assert code == 0 and quota["ok"], quota
    assert quota["data"]["limits"]["payment_backed_remaining_credits"] == 500

    bad = ["--model", "local.image", "--model-parameters-json", '{"no_such_knob": 1}']
    refused = run("create", "--prompt", "a cube", *bad, "--api-base-url", base, env=e2e_env)
    assert refused.exit_code == 2
    error = refused.json["error"]
    assert error["code"] == "MODEL_PARAMETERS_INVALID"
    code, shown = sh(error["recovery"]["suggested_command"], shell_env, work)
    assert code == 0 and shown["ok"], shown
    assert shown["data"]["id"] == "local.image"
