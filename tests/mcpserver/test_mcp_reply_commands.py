"""Commands inside MCP tool replies are rebuilt exactly as the CLI rebuilds the same reply's
(our prefix, the explicit ``--api-base-url``, the carried config path), so an MCP host can
run them as printed against the same backend."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from mcptools import McpClient


def _commands(node: Any, path: str = "") -> dict[str, str]:
    """Every string under a key that names a command, by its path."""
    found: dict[str, str] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if isinstance(value, str) and (key == "command" or key.endswith("_command")):
                found[where] = value
            else:
                found.update(_commands(value, where))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.update(_commands(value, f"{path}[{index}]"))
    return found


def test_reply_commands_are_the_cli_s_and_run_as_printed(mcp_client: McpClient) -> None:
    served = mcp_client.call("quota")
    printed = mcp_client.cli("quota", "--json")
    assert served["ok"] is True and printed["ok"] is True
    ours, theirs = _commands(served["data"]), _commands(printed["data"])
    # Also the client's own next_actions.self_fund, derived from top_up as the CLI does.
    assert ours and ours == theirs
    assert served["data"]["next_actions"] == printed["data"]["next_actions"]
    # None is left as the server wrote it (a bare `image-skill ...` without our base URL).
    assert not [c for c in ours.values() if c.startswith("image-skill ")]
    assert all("--api-base-url local" in c for c in ours.values()), ours
    methods = next(c for c in ours.values() if " credits methods " in c)
    done = subprocess.run(
        ["bash", "-c", methods], env=mcp_client.env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == "image-skill credits methods"


def test_a_create_plan_s_commands_are_rebuilt_too(mcp_client: McpClient) -> None:
    plan = mcp_client.call("create", {"prompt": "a plan", "model": "local.image", "dry_run": True})
    assert plan["ok"] is True, plan["error"]
    commands = _commands(plan["data"])
    assert commands
    request_paths = [p for p in commands if p.startswith(".request")]
    assert request_paths == []
    assert not [c for c in commands.values() if c.startswith("image-skill ")], commands


def test_a_refused_resource_read_is_an_mcp_error_that_carries_no_token(
    mcp_client: McpClient,
) -> None:
    from pathlib import Path

    import pytest
    from mcp.shared.exceptions import MCPError

    config = json.loads(Path(mcp_client.env["IMAGE_SKILL_CONFIG_PATH"]).read_text())
    token = config["token"]
    for uri in (f"image-skill://assets/{token}", f"image-skill://assets/x/{token}/content"):
        with pytest.raises(MCPError) as caught:
            mcp_client.portal.call(mcp_client.session.read_resource, uri)
        error = caught.value.error
        assert token not in error.message and token not in json.dumps(error.data)
    # The unknown URI is named in the message, with the token blanked out.
    assert "unknown resource" in error.message and "[REDACTED]" in error.message


def test_an_asset_metadata_resource_carries_the_same_rebuilt_commands(
    mcp_client: McpClient,
) -> None:
    created = mcp_client.call(
        "create",
        {"prompt": "resource commands", "model": "local.image", "confirm_spend": True},
    )
    assert created["ok"] is True, created["error"]
    asset_id = created["data"]["assets"][0]["asset_id"]
    read = mcp_client.portal.call(
        mcp_client.session.read_resource, f"image-skill://assets/{asset_id}"
    )
    envelope = json.loads(read.contents[0].text)  # type: ignore[union-attr]
    commands = _commands(envelope["data"])
    assert commands and not [c for c in commands.values() if c.startswith("image-skill ")]
    printed = _commands(mcp_client.cli("assets", "show", asset_id, "--json")["data"])
    assert {path: printed.get(path) for path in commands} == commands


def test_an_unknown_tool_is_a_protocol_error_carrying_the_envelope(
    mcp_client: McpClient,
) -> None:
    import pytest
    from mcp.shared.exceptions import MCPError

    with pytest.raises(MCPError) as caught:
        mcp_client.portal.call(mcp_client.session.call_tool, "no_such_tool", {})
    error = caught.value.error
    assert error.code == -32602 and "no_such_tool" in error.message
    assert isinstance(error.data, dict) and error.data["ok"] is False
    assert error.data["error"]["code"] == "INVALID_ARGUMENTS"
    assert "create" in error.data["error"]["message"]
