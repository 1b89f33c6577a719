"""Acceptance of ``image-skill mcp serve --api-base-url local`` (issue 13), driven by the MCP
SDK's own stdio client: the tool list, the guide, a refused spend, a confirmed create that
is debited once however often it is repeated with its key, the asset as a file and as a
resource, and no token in any reply."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from mcptools import McpClient

TOOLS = {
    "guide",
    "models_list",
    "models_show",
    "quota",
    "create",
    "edit",
    "upload",
    "jobs_wait",
    "assets_get",
    "feedback",
}
PROMPT = "a lighthouse at dusk"


def _credits(client: McpClient) -> int:
    quota = client.call("quota")
    assert quota["ok"] is True, quota
    value = quota["data"]["limits"]["total_remaining_credits"]
    assert isinstance(value, int)
    return value


def _saved_token(client: McpClient) -> str:
    config = json.loads(Path(client.env["IMAGE_SKILL_CONFIG_PATH"]).read_text())
    token = config["token"]
    assert isinstance(token, str) and token.startswith("isk_")
    return token


def _in_flight(client: McpClient) -> list[str]:
    folder = Path(client.env["IMAGE_SKILL_CONFIG_PATH"]).parent / "in-flight"
    return sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []


def test_the_server_lists_every_tool_with_a_typed_object_schema(mcp_client: McpClient) -> None:
    listed = mcp_client.portal.call(mcp_client.session.list_tools)
    by_name = {tool.name: tool for tool in listed.tools}
    assert set(by_name) == TOOLS
    for tool in listed.tools:
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.description
    assert "confirm_spend" in by_name["create"].input_schema["properties"]
    assert "confirm_spend" in by_name["edit"].input_schema["properties"]
    assert "confirm_spend" not in by_name["upload"].input_schema["properties"]
    assert by_name["create"].annotations.destructive_hint is True
    assert by_name["guide"].annotations.read_only_hint is True


def test_the_guide_is_the_create_guide_data_and_is_ready(mcp_client: McpClient) -> None:
    guide = mcp_client.call("guide", {"prompt": PROMPT})
    assert guide["ok"] is True, guide
    assert guide["command"] == "image-skill create --guide"
    assert guide["data"]["schema"] == "image-skill.create-guide.v1"
    assert guide["data"]["stage"] == "ready_to_create"
    assert guide["data"]["mutation"]["credit_debit"] is False


def test_a_spend_without_confirm_spend_is_refused_and_sends_nothing(
    mcp_client: McpClient,
) -> None:
    before = _credits(mcp_client)
    for tool, arguments in (
        ("create", {"prompt": PROMPT}),
        ("create", {"prompt": PROMPT, "confirm_spend": False, "idempotency_key": "never-1"}),
        ("edit", {"input_asset_id": "image_0000", "prompt": "make it blue"}),
    ):
        refused = mcp_client.call(tool, arguments)
        assert refused["ok"] is False
        assert refused["error"]["code"] == "INVALID_ARGUMENTS"
        assert "confirm_spend" in refused["error"]["message"]
        assert refused["error"]["recovery"]["required_argument"] == "confirm_spend"
    assert _credits(mcp_client) == before
    assert _in_flight(mcp_client) == []
    # A dry run needs no confirmation and debits nothing either.
    plan = mcp_client.call("create", {"prompt": PROMPT, "dry_run": True})
    assert plan["ok"] is True, plan
    assert plan["data"]["dry_run"] is True
    assert _credits(mcp_client) == before


def test_a_budget_guard_refuses_a_confirmed_create_and_nothing_is_spent(
    mcp_client: McpClient,
) -> None:
    before = _credits(mcp_client)
    guarded = mcp_client.call("create", {"prompt": PROMPT, "max_usd": 0.001, "confirm_spend": True})
    assert guarded["ok"] is False
    assert guarded["error"]["code"] == "BUDGET_GUARD_EXCEEDED"
    assert guarded["error"]["retryable"] is False
    # refused for certain: the breadcrumb is gone and no retry-with-this-key advice is given
    assert _in_flight(mcp_client) == []
    assert not any("idempotency_key" in w for w in guarded["warnings"])
    assert "suggested_tool" not in guarded["error"].get("recovery", {})
    assert _credits(mcp_client) == before


def test_bad_arguments_are_one_invalid_arguments_envelope(mcp_client: McpClient) -> None:
    unknown = mcp_client.call("create", {"prompt": PROMPT, "colour": "red", "dry_run": True})
    assert unknown["error"]["code"] == "INVALID_ARGUMENTS"
    assert "colour" in unknown["error"]["message"]
    wrong = mcp_client.call("jobs_wait", {"job_id": 7})
    assert wrong["error"]["code"] == "INVALID_ARGUMENTS"
    confirm = mcp_client.call("create", {"prompt": PROMPT, "confirm_spend": "yes"})
    assert confirm["error"]["code"] == "INVALID_ARGUMENTS"


def test_a_confirmed_create_is_debited_once_however_often_it_is_repeated_with_its_key(
    mcp_client: McpClient, tmp_path: Path
) -> None:
    before = _credits(mcp_client)
    first = mcp_client.call("create", {"prompt": PROMPT, "confirm_spend": True})
    assert first["ok"] is True, first["error"]
    key = first["idempotency_key"]
    assert key.startswith("create-")
    assert any(key in warning for warning in first["warnings"])
    after_first = _credits(mcp_client)
    assert after_first < before
    # The CLI's breadcrumb was written (its notice is on stderr) and removed once settled.
    assert f'"idempotency_key":"{key}"' in mcp_client.stderr()
    assert _in_flight(mcp_client) == []

    again = mcp_client.call(
        "create", {"prompt": PROMPT, "confirm_spend": True, "idempotency_key": key}
    )
    assert again["ok"] is True, again
    assert again["idempotency_key"] == key
    assert again["data"]["job_id"] == first["data"]["job_id"]
    assert _credits(mcp_client) == after_first
    # The local backend's own ledger agrees: one job under the key.
    activity = mcp_client.cli("activity", "list", "--subject", first["data"]["job_id"])
    assert activity["ok"] is True, activity

    asset = first["data"]["assets"][0]
    _check_asset_tools(mcp_client, asset, tmp_path)


def _check_asset_tools(client: McpClient, asset: dict[str, Any], tmp_path: Path) -> None:
    asset_id = asset["asset_id"]
    target = tmp_path / "lighthouse.png"
    got = client.call("assets_get", {"asset_id": asset_id, "output": str(target)})
    assert got["ok"] is True, got["error"]
    assert got["command"] == "image-skill assets get"
    data = target.read_bytes()
    assert hashlib.sha256(data).hexdigest() == asset["sha256"]
    assert got["data"]["download"]["bytes"] == len(data)
    again = client.call("assets_get", {"asset_id": asset_id, "output": str(target)})
    assert again["ok"] is False and again["error"]["code"] == "OUTPUT_EXISTS"

    listed = client.portal.call(client.session.list_resources)
    uris = {str(resource.uri) for resource in listed.resources}
    assert f"image-skill://assets/{asset_id}" in uris
    assert f"image-skill://assets/{asset_id}/content" in uris

    meta = client.portal.call(client.session.read_resource, f"image-skill://assets/{asset_id}")
    envelope = json.loads(meta.contents[0].text)  # type: ignore[union-attr]
    assert envelope["ok"] is True
    assert envelope["data"]["asset"]["sha256"] == asset["sha256"]
    content = client.portal.call(
        client.session.read_resource, f"image-skill://assets/{asset_id}/content"
    )
    blob = content.contents[0]
    assert blob.mime_type == "image/png"
    assert base64.b64decode(blob.blob) == data  # type: ignore[union-attr]


def test_no_reply_carries_a_token(mcp_client: McpClient) -> None:
    token = _saved_token(mcp_client)
    replies = [
        mcp_client.call("guide", {"prompt": f"{PROMPT} {token}"}),
        mcp_client.call("quota"),
        mcp_client.call("models_list", {"available": True}),
        mcp_client.call("create", {"prompt": f"echo {token}", "dry_run": True}),
        mcp_client.call("feedback", {"title": "token check", "body": f"pasted {token}"}),
    ]
    assert replies[-1]["ok"] is True, replies[-1]["error"]
    for reply in replies:
        text = json.dumps(reply)
        assert token not in text
        assert "isk_r_" not in text


def test_upload_then_a_confirmed_edit_is_debited_once_and_jobs_wait_sees_it_done(
    mcp_client: McpClient, tmp_path: Path
) -> None:
    from spendtools import png

    picture = tmp_path / "input.png"
    picture.write_bytes(png(64, 64))
    uploaded = mcp_client.call("upload", {"input": str(picture)})
    assert uploaded["ok"] is True, uploaded["error"]
    assert uploaded["command"] == "image-skill upload"
    asset_id = uploaded["data"]["asset"]["asset_id"]

    plan = mcp_client.call("edit", {"input_asset_id": asset_id, "prompt": "blue", "dry_run": True})
    assert plan["ok"] is True, plan["error"]
    before = _credits(mcp_client)
    arguments = {
        "input_asset_id": asset_id,
        "prompt": "make the sky blue",
        "idempotency_key": "mcp-edit-1",
        "confirm_spend": True,
    }
    first = mcp_client.call("edit", arguments)
    assert first["ok"] is True, first["error"]
    assert first["idempotency_key"] == "mcp-edit-1"
    spent = _credits(mcp_client)
    assert spent < before
    again = mcp_client.call("edit", arguments)
    assert again["data"]["job_id"] == first["data"]["job_id"]
    assert _credits(mcp_client) == spent

    waited = mcp_client.call("jobs_wait", {"job_id": first["data"]["job_id"]})
    assert waited["ok"] is True, waited["error"]
    assert waited["data"]["job"]["status"] == "completed"
    assert waited["data"]["request"]["timeout_ms"] == 30000


def test_models_show_is_the_model_row(mcp_client: McpClient) -> None:
    shown = mcp_client.call("models_show", {"model_id": "local.image"})
    assert shown["ok"] is True, shown["error"]
    assert shown["command"] == "image-skill models show"
    missing = mcp_client.call("models_show", {"model_id": "no.such-model"})
    assert missing["ok"] is False
