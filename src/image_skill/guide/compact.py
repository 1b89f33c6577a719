"""Compact model rows built from full rows (contract §10.7, 0.1.70 §3.2/§3.3).

:func:`summary_row` turns one full, capability-preserving row into a short, sortable row
that keeps prices, limits, storage, lightweight ``task_tags`` and a ``show_command`` while
dropping the parameter schemas. Two callers: the CLI compacts a 0.1.30 server's full list
(:mod:`image_skill.cli.summary`) and the local backend builds its default ``GET /v1/models``
rows from its registry (:mod:`image_skill.local.registry.compact`), so both give the same
rows. Pure and stdlib-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from image_skill._js import coalesce as _or
from image_skill._js import get as _dig
from image_skill._js import is_number as _is_number

#: Renders an argv (without the program name) into a command string.
Renderer = Callable[[list[str]], str]

RESULT_SHAPE = "compact_model_summary"
FULL_LIST_ARGV = ["models", "list", "--details", "--json"]

# Keys copied verbatim from the row, and left out when the row lacks them.
_RAW_KEYS = ("display_name", "provider_id", "mode", "status")

_OPERATION_TAGS = {
    "image.generate": "generate",
    "image.edit": "edit",
    "image.variation": "variation",
    "image.upscale": "upscale",
    "image.utility": "utility",
    "image.vision": "vision",
}


def default_render(argv: list[str]) -> str:
    return " ".join(["image-skill", *argv])


def _list_copy(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def task_tags(model: dict[str, Any]) -> list[str]:
    """Ordered, de-duplicated task tags for one full model row."""
    tags: list[Any] = []

    def add(tag: Any) -> None:
        if tag not in tags:
            tags.append(tag)

    supports = model.get("supports")
    operations = model.get("operations")
    for entry in _list_copy(supports):
        add(entry)
    for operation in _list_copy(operations):
        add(_OPERATION_TAGS.get(operation, "inspect") if isinstance(operation, str) else "inspect")
    for intent in _list_copy(_dig(model, "capability", "intents")):
        add(intent)

    images_required = _dig(model, "media", "input", "images", "required") is True
    references_required = _dig(model, "media", "input", "references", "required") is True
    generates = "image.generate" in _list_copy(operations)
    if generates and not images_required and not references_required:
        add("text-to-image")
    if images_required:
        add("input-image")
        add("image-to-image")
    if _dig(model, "media", "input", "mask", "supported") is True:
        mask_required = _dig(model, "media", "input", "mask", "required") is True
        add("mask-required" if mask_required else "mask")
    if _dig(model, "media", "input", "references", "supported") is True:
        add("reference-image")
        ref_max = _dig(model, "media", "input", "references", "max")
        if _is_number(ref_max) and ref_max > 1:
            add("multi-reference")
    if _dig(model, "media", "output", "transparent_background") is True:
        add("transparent-background")
    max_outputs = _dig(model, "media", "output", "max_outputs_per_request")
    if _is_number(max_outputs) and max_outputs > 1:
        add("multi-output")
    model_id = model.get("id")
    display_name = model.get("display_name")
    if (isinstance(model_id, str) and "video" in model_id) or (
        isinstance(display_name, str) and "video" in display_name.lower()
    ):
        add("video")
    if _dig(model, "execution", "artifact_storage") == "image_skill_owned":
        add("downloadable")
    return tags


def summary_row(model: Any, render: Renderer | None = None) -> dict[str, Any]:
    """One compact row, keys in the contract order."""
    render_fn = render or default_render
    source: dict[str, Any] = model if isinstance(model, dict) else {}
    row: dict[str, Any] = {"id": source["id"]} if "id" in source else {}
    row["default"] = source.get("default") is True
    row.update((key, source[key]) for key in _RAW_KEYS if key in source)
    pricing = _dig(source, "economics", "credit_pricing")
    row["availability_reason"] = _or(source.get("availability_reason"), None)
    row["modality"] = _or(source.get("modality"), "image")
    row["supports"] = _list_copy(source.get("supports"))
    row["operations"] = _list_copy(source.get("operations"))
    row["task_tags"] = task_tags(source)
    row["estimated_usd_per_image"] = _or(_dig(source, "economics", "estimated_usd_per_image"), None)
    row["credits_required"] = _or(_dig(pricing, "credits_required"), None)
    row["pricing_confidence"] = _or(_dig(pricing, "pricing_confidence"), None)
    row["cost_known"] = _or(_dig(source, "economics", "cost_known"), False)
    row["budget_required_for_live"] = _or(
        _dig(source, "economics", "budget_required_for_live"), False
    )
    row["max_outputs_per_request"] = _or(
        _dig(source, "media", "output", "max_outputs_per_request"), None
    )
    row["max_resolution"] = _or(_dig(source, "media", "output", "max_resolution"), None)
    row["artifact_storage"] = _or(_dig(source, "execution", "artifact_storage"), None)
    row["model_execution_status"] = _or(_dig(source, "execution", "model_execution_status"), None)
    row["grants_required"] = _list_copy(_dig(source, "capability", "grants_required"))
    model_id = source.get("id")
    shown = model_id if isinstance(model_id, str) else "MODEL_ID"
    row["show_command"] = render_fn(["models", "show", shown, "--json"])
    return row
