"""Each MCP tool's input schema is its typed model's schema (issue 13): the API's request
models for create, edit and feedback, plus ``confirm_spend`` on the two that can debit."""

from __future__ import annotations

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
