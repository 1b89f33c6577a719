"""Each MCP tool's input schema is its typed model's schema (issue 13): the API's request
models for create, edit and feedback, plus ``confirm_spend`` on the two that can debit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from image_skill.api.requests import CreateRequest, EditRequest, FeedbackRequest
from image_skill.mcp import arguments as A
from image_skill.mcp.spending import UploadArgs
from image_skill.mcp.tools import BY_NAME, TOOLS

EXPECTED: dict[str, type[Any]] = {
    "guide": A.GuideArgs,
    "models_list": A.ModelsListArgs,
    "models_show": A.ModelsShowArgs,
    "quota": A.QuotaArgs,
    "create": CreateRequest,
    "edit": EditRequest,
    "upload": UploadArgs,
    "jobs_wait": A.JobsWaitArgs,
    "assets_get": A.AssetsGetArgs,
    "feedback": FeedbackRequest,
}


def test_the_tool_table_is_the_ten_tools_of_the_issue() -> None:
    assert [tool.name for tool in TOOLS] == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_tool_schema_is_its_model_schema(name: str) -> None:
    tool = BY_NAME[name]
    schema = tool.input_schema()
    model_schema = TypeAdapter(EXPECTED[name]).json_schema()
    if tool.spends:
        confirm = schema["properties"].pop("confirm_spend")
        assert confirm["type"] == "boolean" and confirm["default"] is False
    assert "confirm_spend" not in schema["properties"]
    if tool.required:
        assert schema.pop("required") == list(tool.required)
    assert schema == model_schema
    assert schema["type"] == "object"


def test_only_create_and_edit_ask_for_confirm_spend() -> None:
    assert {tool.name for tool in TOOLS if tool.spends} == {"create", "edit"}


def test_the_request_models_refuse_what_their_schema_does_not_list() -> None:
    from image_skill.mcp.session import ToolFailure

    with pytest.raises(ToolFailure) as caught:
        A.parse(CreateRequest, {"prompt": "x", "nope": 1}, "image-skill create")
    assert caught.value.envelope["error"]["code"] == "INVALID_ARGUMENTS"
    parsed = A.parse(CreateRequest, {"prompt": "x", "max_usd": 0.5}, "image-skill create")
    assert parsed.to_body()["max_usd"] == 0.5


def test_create_needs_a_prompt_and_edit_an_input_and_their_schemas_say_so() -> None:
    from image_skill.mcp.server import run_tool
    from image_skill.mcp.session import ServerOptions, Session

    assert BY_NAME["create"].input_schema()["required"] == ["prompt"]
    assert BY_NAME["edit"].input_schema()["required"] == ["input_asset_id"]
    for name, spec in BY_NAME.items():
        schema = spec.input_schema()
        assert spec.description and schema["type"] == "object", name
        assert set(schema.get("required", [])) <= set(schema["properties"]), name
    session = Session(ServerOptions(base_url="local", config_path=Path("unused.json")))
    for name in ("create", "edit"):
        refused = run_tool(session, BY_NAME[name], {"dry_run": True})
        assert refused["ok"] is False and refused["error"]["code"] == "INVALID_ARGUMENTS"
        assert BY_NAME[name].required[0] in refused["error"]["message"]
