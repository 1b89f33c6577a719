"""The capability catalog: a schema-language view over the same data as the registry.

One capability per model row (its ``capability.id``), carrying the normalized controls
Image Skill standardizes (prompt, aspect ratio, output count, input image, mask,
references, budget flags), the model-parameter schema, the grants a caller needs, and
deprecation notices. Pure: derived from :mod:`.registry` rows, no I/O.
"""

from __future__ import annotations

from typing import Any

from image_skill.local.cli_commands import cli_command
from image_skill.local.registry.frozen import freeze
from image_skill.local.registry.models import all_models, is_runnable

Capability = dict[str, Any]

_STANDARD_FLAGS = freeze(
    {
        "dry_run": {"type": "boolean", "default": False},
        "idempotency_key": {"type": "string"},
        "max_estimated_usd_per_image": {"type": "number", "minimum": 0},
        "max_usd": {"type": "number", "minimum": 0},
    }
)


def _normalized_controls(row: dict[str, Any]) -> dict[str, Any]:
    media_in = row["media"]["input"]
    media_out = row["media"]["output"]
    ratios = media_in["aspect_ratios"]
    economics = row["economics"]
    controls: dict[str, Any] = {
        "prompt": dict(media_in["prompt"]),
        "aspect_ratio": {
            "supported": bool(ratios["values"]),
            "values": list(ratios["values"]),
            "default": ratios["default"],
        },
        "output_count": {
            "type": "integer",
            "minimum": 1,
            "maximum": media_out["max_outputs_per_request"],
            "default": 1,
        },
        "input_asset_id": {
            "supported": media_in["images"]["supported"],
            "required": media_in["images"]["required"],
            "mime_types": list(media_in["images"]["mime_types"]),
        },
        "mask_asset_id": dict(media_in["mask"]),
        "references": {
            "supported": media_in["references"]["supported"],
            "max": media_in["references"]["max"],
            "roles": list(media_in["references"]["roles"]),
        },
        "accept_unknown_cost": {
            "type": "boolean",
            "default": False,
            "required_for_live": economics["budget_required_for_live"],
        },
    }
    controls.update(_STANDARD_FLAGS)  # read-only values, shared like the rows
    return controls


def _capability(row: dict[str, Any], base: str) -> Capability:
    cap = row["capability"]
    return {
        "id": cap["id"],
        "operation": row["operations"][0],
        "modality": row["modality"],
        "model_ids": [row["id"]],
        "display_name": row["display_name"],
        "intents": list(cap["intents"]),
        "status": row["status"],
        "model_execution_status": row["execution"]["model_execution_status"],
        "runnable": is_runnable(row),
        "normalized_controls": _normalized_controls(row),
        "model_parameters_schema": row["parameters"],
        "output": row["media"]["output"],
        "pricing": row["economics"]["credit_pricing"],
        "grants_required": list(cap["grants_required"]),
        "auth_required": True,
        "deprecation": {"deprecated": False, "replacement_capability_id": None, "notice": None},
        "show_command": cli_command(base, ["capabilities", "show", cap["id"], "--json"]),
    }


def list_capabilities(*, base: str) -> dict[str, Any]:
    """``GET /v1/capabilities`` data: runnable capabilities first, registry order.

    ``show_command`` runs against ``base`` (see :mod:`.cli_commands`).
    """
    caps = [_capability(row, base) for row in all_models()]
    runnable = sum(1 for cap in caps if cap["runnable"])
    return {
        "capabilities": caps,
        "summary": {
            "total": len(caps),
            "runnable": runnable,
            "cataloged_not_wired": len(caps) - runnable,
        },
    }


def get_capability(capability_id: str, *, base: str) -> Capability | None:
    """One capability by id, or ``None`` (the route answers ``CAPABILITY_NOT_FOUND``)."""
    for row in all_models():
        if row["capability"]["id"] == capability_id:
            return _capability(row, base)
    return None
