"""The ``media`` block of a registry row (server.md §4.1): what a model takes in (prompt,
input images, mask, references, aspect ratios) and what it gives back. Pure builders."""

from __future__ import annotations

from typing import Any

IMAGE_INPUT_MIME = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"]
REFERENCE_MIME = ["image/png", "image/jpeg", "image/webp"]


def images(*, required: bool, max_: int = 1) -> dict[str, Any]:
    if not required and max_ == 0:
        return {"supported": False, "required": False, "min": 0, "max": 0, "mime_types": []}
    return {
        "supported": True,
        "required": required,
        "min": 1 if required else 0,
        "max": max_,
        "mime_types": list(IMAGE_INPUT_MIME),
    }


def references(max_: int = 0, *, reference_task: bool = False) -> dict[str, Any]:
    if max_ == 0:
        return {"supported": False, "required": False, "max": 0, "roles": [], "rules": {}}
    rules = {
        "contiguous_indexes_from": 0,
        "reference_task_allowed": reference_task,
        "reference_tasks": ["ip", "id", "style"] if reference_task else [],
        "mime_types": list(REFERENCE_MIME),
        "max_bytes": 10 * 1024 * 1024,
        "min_width": 300,
        "min_height": 300,
        "min_aspect_ratio": 0.40,
        "max_aspect_ratio": 2.50,
        "ownership": "actor_organization",
        "urls_allowed": False,
    }
    return {
        "supported": True,
        "required": False,
        "max": max_,
        "roles": ["reference_image"],
        "rules": rules,
    }


def media(
    *,
    output_mime: str,
    input_images: dict[str, Any] | None = None,
    mask: str = "none",
    refs: dict[str, Any] | None = None,
    ratios: list[str] | None = None,
    prompt: str = "required",
    max_outputs: int = 1,
    max_resolution: str | None = None,
    transparent: bool = False,
) -> dict[str, Any]:
    """``mask`` is ``none``, ``optional`` or ``required``; ``prompt`` is ``required`` or
    ``forbidden`` (promptless models reject a supplied prompt)."""
    values = list(ratios or [])
    return {
        "input": {
            "prompt": {"supported": prompt != "forbidden", "required": prompt == "required"},
            "images": input_images or images(required=False, max_=0),
            "mask": {"supported": mask != "none", "required": mask == "required"},
            "references": refs or references(),
            "aspect_ratios": {"values": values, "default": values[0] if values else None},
        },
        "output": {
            "mime_types": [output_mime],
            "media_type": output_mime,
            "max_outputs_per_request": max_outputs,
            "max_resolution": max_resolution,
            "transparent_background": transparent,
        },
    }


def media_3d() -> dict[str, Any]:
    """Image-to-3D media: one required input image, no prompt, a binary glTF out."""
    return media(
        output_mime="model/gltf-binary", input_images=images(required=True), prompt="forbidden"
    )
