"""``GET /v1/assets/{asset_id}``: metadata of one owned asset (org-scoped)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.local.billing.self_fund import self_fund_actions
from image_skill.local.cli_commands import cli_command
from image_skill.local.deps import (
    Conn,
    CurrentActor,
    Settings,
    cli_base_of,
    command,
    media_base_url,
)
from image_skill.local.errors import ApiError, envelope_doc, envelope_response
from image_skill.local.store.assets import asset_public, get_asset

router = APIRouter()

_MAX_REFERENCE = 256


def asset_not_found(asset_id: str, base: str) -> ApiError:
    """Unknown ids and other organizations' ids get the very same reply."""
    shown = asset_id if len(asset_id) <= 80 else asset_id[:80] + "…"
    return ApiError(
        404,
        "ASSET_NOT_FOUND",
        f"no asset {shown} is visible to this agent",
        recovery={"suggested_command": cli_command(base, "image-skill activity list --json")},
    )


@router.get(
    "/v1/assets/{asset_id:path}",
    openapi_extra=command("image-skill assets show"),
    responses=envelope_doc("Asset metadata", auth=True, errors={404: "ASSET_NOT_FOUND envelope"}),
)
def show_asset(
    request: Request, asset_id: str, conn: Conn, settings: Settings, actor: CurrentActor
) -> JSONResponse:
    row = (
        get_asset(conn, actor.organization_id, asset_id)
        if len(asset_id) <= _MAX_REFERENCE
        else None
    )
    if row is None:
        raise asset_not_found(asset_id, cli_base_of(request))
    data: dict[str, Any] = {
        "request": {"reference": asset_id, "reference_type": "asset_id"},
        "asset": asset_public(row, media_base_url(request)),
    }
    if row["kind"] == "generated":  # 0.1.70 §8: generated assets carry the top-up path
        next_actions = self_fund_actions(conn, actor, settings, cli_base_of(request))
        if next_actions:
            data["next_actions"] = next_actions
    return envelope_response(request, data, actor=actor)
