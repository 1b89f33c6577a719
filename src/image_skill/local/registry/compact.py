"""Compact model rows: the default ``GET /v1/models`` shape since contract 0.1.41.

A compact row keeps what a first-run agent picks a model by (id, status, prices, limits,
storage, task tags and the command that shows the full row) and drops the parameter
schemas. Keys come in the 0.1.70 order (contract 0.1.70 §3.3), plus the two keys only a
server can add (§0.3): ``accepts_input_images`` on models that need an input image (edit,
variation and image-to-3D models) and ``aspect_ratios`` on video models, so a guide reading
compact rows routes as it would with full rows.

Pure; rows are the registry's read-only ones and the result is a new dict.
"""

from __future__ import annotations

from typing import Any

from image_skill._js import get, is_number
from image_skill.local.cli_commands import cli_command

Row = dict[str, Any]

#: Marks a list ``summary`` whose rows are compact (the 0.1.70 client passes it through).
RESULT_SHAPE = "compact_model_summary"
FULL_LIST_COMMAND = "image-skill models list --details --json"

_OPERATION_TAGS = {
    "image.generate": "generate",
    "image.edit": "edit",
    "image.variation": "variation",
    "image.upscale": "upscale",
    "image.utility": "utility",
    "image.vision": "vision",
}


def task_tags(row: Row) -> list[str]:
    """Ordered, de-duplicated task tags of a full row (the 0.1.30 client's rule)."""
    tags: list[str] = []

    def add(tag: str) -> None:
        if tag not in tags:
            tags.append(tag)

    for entry in row.get("supports") or []:
        add(str(entry))
    operations = list(row.get("operations") or [])
    for operation in operations:
        add(_OPERATION_TAGS.get(operation, "inspect"))
    for intent in get(row, "capability", "intents") or []:
        add(str(intent))
    images = get(row, "media", "input", "images", "required") is True
    references = get(row, "media", "input", "references") or {}
    if "image.generate" in operations and not images and references.get("required") is not True:
        add("text-to-image")
    if images:
        add("input-image")
        add("image-to-image")
    mask = get(row, "media", "input", "mask") or {}
    if mask.get("supported") is True:
        add("mask-required" if mask.get("required") is True else "mask")
    if references.get("supported") is True:
        add("reference-image")
        if is_number(references.get("max")) and references["max"] > 1:
            add("multi-reference")
    output = get(row, "media", "output") or {}
    if output.get("transparent_background") is True:
        add("transparent-background")
    if is_number(output.get("max_outputs_per_request")) and output["max_outputs_per_request"] > 1:
        add("multi-output")
    if "video" in str(row.get("id")) or "video" in str(row.get("display_name") or "").lower():
        add("video")
    if get(row, "execution", "artifact_storage") == "image_skill_owned":
        add("downloadable")
    return tags


def needs_input_image(row: Row) -> bool:
    """An edit or variation model that must be given an input image."""
    supports = row.get("supports") or []
    required = get(row, "media", "input", "images", "required") is True
    return required and ("edit" in supports or "variation" in supports)


def compact_row(row: Row, base: str) -> Row:
    """One compact row; its ``show_command`` runs against the backend of ``base``."""
    economics = row.get("economics") or {}
    pricing = economics.get("credit_pricing") or {}
    output = get(row, "media", "output") or {}
    out: Row = {
        "id": row["id"],
        "default": row.get("default") is True,
        "display_name": row.get("display_name"),
        "provider_id": row.get("provider_id"),
        "mode": row.get("mode"),
        "status": row.get("status"),
        "availability_reason": row.get("availability_reason"),
        "modality": row.get("modality") or "image",
        "supports": list(row.get("supports") or []),
        "operations": list(row.get("operations") or []),
        "task_tags": task_tags(row),
        "estimated_usd_per_image": economics.get("estimated_usd_per_image"),
        "credits_required": pricing.get("credits_required"),
        "pricing_confidence": pricing.get("pricing_confidence"),
        "cost_known": economics.get("cost_known", False),
        "budget_required_for_live": economics.get("budget_required_for_live", False),
        "max_outputs_per_request": output.get("max_outputs_per_request"),
        "max_resolution": output.get("max_resolution"),
        "artifact_storage": get(row, "execution", "artifact_storage"),
        "model_execution_status": get(row, "execution", "model_execution_status"),
        "grants_required": list(get(row, "capability", "grants_required") or []),
        "show_command": cli_command(base, ["models", "show", row["id"], "--json"]),
    }
    if needs_input_image(row):
        out["accepts_input_images"] = True
    if out["modality"] == "video":
        out["aspect_ratios"] = list(get(row, "media", "input", "aspect_ratios", "values") or [])
    return out
