"""The tool table of the MCP server: name, description, input schema and handler.

Every input schema comes from a typed model through ``pydantic.TypeAdapter``: the API's
request models for create, edit and feedback (:mod:`image_skill.api.requests`, the same
classes the CLI builds its bodies from and the local backend validates), plus
``confirm_spend`` on the two that can debit; the read-only tools' own dataclasses
(:mod:`image_skill.mcp.arguments`). The handler validates the call's arguments with the
same adapter, so what a tool advertises is what it accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from image_skill.api.requests import CreateRequest, EditRequest, FeedbackRequest
from image_skill.mcp import arguments as A
from image_skill.mcp import readonly, spending
from image_skill.mcp.session import Session

Handler = Callable[[Session, dict[str, Any]], dict[str, Any]]

CONFIRM_SPEND_SCHEMA: dict[str, Any] = {
    "type": "boolean",
    "default": False,
    "title": "Confirm Spend",
    "description": "Must be true for a live run (dry_run false): it may debit credits. "
    "Without it the tool refuses and sends nothing.",
}


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    model: type[Any]
    handler: Handler
    #: Whether a call can debit credits (then ``confirm_spend`` is in its schema).
    spends: bool = False
    read_only: bool = True
    #: Arguments the tool needs although its request model leaves them optional (the API
    #: body allows them out; the command refuses a call without them).
    required: tuple[str, ...] = ()

    def input_schema(self) -> dict[str, Any]:
        schema = A.schema(self.model)
        if self.spends:
            schema.setdefault("properties", {})[spending.CONFIRM] = dict(CONFIRM_SPEND_SCHEMA)
        if self.required:
            named = list(schema.get("required", []))
            schema["required"] = [*named, *(n for n in self.required if n not in named)]
        return schema


def _typed(model: type[Any], run: Callable[[Session, Any], dict[str, Any]], label: str) -> Handler:
    """A handler that validates the arguments as ``model`` before ``run``."""

    def handler(session: Session, arguments: dict[str, Any]) -> dict[str, Any]:
        return run(session, A.parse(model, arguments, label))

    return handler


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "guide",
        "Check readiness for a create (or edit) and suggest the next step, spending nothing: "
        "the data of `image-skill create --guide` (stage, checks, selected model, cost, "
        "blocker).",
        A.GuideArgs,
        _typed(A.GuideArgs, readonly.guide, "image-skill create --guide"),
    ),
    ToolSpec(
        "models_list",
        "List models with prices, limits and whether they can run now (`models list`).",
        A.ModelsListArgs,
        _typed(A.ModelsListArgs, readonly.models_list, "image-skill models list"),
    ),
    ToolSpec(
        "models_show",
        "One model's full row: parameters schema, pricing, limits (`models show`).",
        A.ModelsShowArgs,
        _typed(A.ModelsShowArgs, readonly.models_show, "image-skill models show"),
    ),
    ToolSpec(
        "quota",
        "Remaining credits, daily job limits and top-up options (`usage quota`).",
        A.QuotaArgs,
        _typed(A.QuotaArgs, readonly.quota, "image-skill usage quota"),
    ),
    ToolSpec(
        "create",
        "Create images, video, audio or 3D from a prompt (`create`). dry_run: true plans at "
        "no cost; a live run may debit credits and needs confirm_spend: true. Pass an "
        "idempotency_key to make retries safe; without one, a new key is returned in the "
        "reply (idempotency_key) for retries.",
        CreateRequest,
        spending.create,
        spends=True,
        read_only=False,
        required=("prompt",),
    ),
    ToolSpec(
        "edit",
        "Edit an owned image (input_asset_id, see upload) with a prompt (`edit`). dry_run: "
        "true plans at no cost; a live run may debit credits and needs confirm_spend: true; "
        "idempotency_key as for create.",
        EditRequest,
        spending.edit,
        spends=True,
        read_only=False,
        required=("input_asset_id",),
    ),
    ToolSpec(
        "upload",
        "Upload a local image file or an http(s) image URL as an owned asset (`upload`); "
        "the asset id then serves edit inputs and references. Debits nothing.",
        spending.UploadArgs,
        spending.upload,
        read_only=False,
    ),
    ToolSpec(
        "jobs_wait",
        "Poll a job until it is completed, failed or canceled (`jobs wait`).",
        A.JobsWaitArgs,
        _typed(A.JobsWaitArgs, readonly.jobs_wait, "image-skill jobs wait"),
    ),
    ToolSpec(
        "assets_get",
        "An asset's metadata (`assets show`); with output, download it to that path, "
        "verified against its size and sha256, never over an existing file unless "
        "overwrite (`assets get`). The bytes of small images are also the resource "
        "image-skill://assets/{asset_id}/content.",
        A.AssetsGetArgs,
        _typed(A.AssetsGetArgs, readonly.assets_get, "image-skill assets get"),
        read_only=False,
    ),
    ToolSpec(
        "feedback",
        "Send product feedback (`feedback create`); a title or a body is required.",
        FeedbackRequest,
        spending.feedback,
        read_only=False,
    ),
)

BY_NAME: dict[str, ToolSpec] = {tool.name: tool for tool in TOOLS}
