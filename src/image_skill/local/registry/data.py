"""Row builders and the static model rows of the local backend's registry.

Rows are plain dicts in the hosted registry shape (server.md §4.1). The ``local.*`` rows
are executable offline; the ``xai.*``, ``fal.*`` and ``openai.*`` rows mirror hosted
models for inspection only and never run here. :data:`LOCAL_ROWS` is built once at import time
(the hosted mirrors live in :mod:`.registry_catalog`); callers get deep copies through
:mod:`image_skill.local.registry.models`.
"""

from __future__ import annotations

from typing import Any

from image_skill.guide.lookup import aliases_of
from image_skill.local.registry.pricing import KNOWN, UNKNOWN, credit_pricing_block

Row = dict[str, Any]

IMAGE_INPUT_MIME = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"]
REFERENCE_MIME = ["image/png", "image/jpeg", "image/webp"]
IMAGE_RATIOS = ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"]
EDIT_RATIOS = ["auto", *IMAGE_RATIOS]
VIDEO_RATIOS = ["16:9", "9:16", "1:1"]
SEED_MAX = 2_147_483_647

EXECUTABLE = "executable"
CATALOGED_NOT_WIRED = "cataloged_not_wired"
AVAILABLE = "available"
CATALOG_ONLY = "catalog_only"

GRANT_BY_OPERATION = {
    "image.generate": "image.create.preview",
    "image.edit": "image.edit.preview",
    "video.generate": "video.create.preview",
    "audio.generate": "audio.create.preview",
    # Image-to-3D runs through /v1/edit, so it needs the edit grant.
    "3d.generate": "image.edit.preview",
}

PROVIDERS: dict[str, dict[str, Any]] = {
    "local": {"id": "local", "display_name": "Local offline backend", "reachable": True},
    "xai": {"id": "xai", "display_name": "xAI", "reachable": False},
    "openai": {"id": "openai", "display_name": "OpenAI", "reachable": False},
    "fal": {"id": "fal", "display_name": "Fal", "reachable": False},
}

_LOCAL_REASON = (
    "Runs offline in the local backend: media is synthesized on this machine, "
    "not produced by a hosted provider, and credits are simulated."
)


def capability_id(operation: str, model_id: str) -> str:
    """``is.<operation>.<model id with dots as dashes>.v1``."""
    return f"is.{operation}.{model_id.replace('.', '-')}.v1"


def param(
    type_: str,
    description: str,
    *,
    enum: list[Any] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    default: Any = None,
    executable: bool = True,
) -> dict[str, Any]:
    """One entry of ``parameters.properties``; optional keys only when set."""
    spec: dict[str, Any] = {"type": type_}
    if enum is not None:
        spec["enum"] = list(enum)
    if minimum is not None:
        spec["minimum"] = minimum
    if maximum is not None:
        spec["maximum"] = maximum
    if default is not None:
        spec["default"] = default
    spec["executable"] = executable
    spec["description"] = description
    return spec


def seed(default: int | None = None) -> dict[str, Any]:
    return param(
        "integer",
        "Seed for repeatable output.",
        minimum=0,
        maximum=SEED_MAX,
        default=default,
    )


def parameters(
    properties: dict[str, dict[str, Any]] | None = None, fixed: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": dict(properties or {}),
        "fixed": dict(fixed or {}),
    }


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


def economics(
    usd: float | None,
    *,
    confidence: str = KNOWN,
    fallback: float | None = None,
    tiers: tuple[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    known = confidence != UNKNOWN
    block: dict[str, Any] = {
        "estimated_usd_per_image": usd,
        "cost_known": known,
        "budget_required_for_live": not known,
        "cost_class": _cost_class(usd),
        "credit_pricing": credit_pricing_block(usd, confidence=confidence, fallback_usd=fallback),
    }
    if tiers is not None:
        block["parameter_pricing"] = {"parameter": tiers[0], "usd_by_value": dict(tiers[1])}
    return block


def _cost_class(usd: float | None) -> str:
    if usd is None:
        return "usage_priced"
    if usd <= 0.03:
        return "budget"
    return "standard" if usd <= 0.10 else "premium"


def model(
    model_id: str,
    display_name: str,
    *,
    operation: str,
    supports: list[str],
    modality: str,
    media_: dict[str, Any],
    economics_: dict[str, Any],
    parameters_: dict[str, Any],
    intents: list[str],
    mode: str = "create",
    default: bool = False,
) -> Row:
    """Assemble a full row. The provider is the id prefix; ``local`` rows are executable,
    every other provider is a catalog-only mirror."""
    provider = model_id.split(".", 1)[0]
    local = provider == "local"
    if local:
        reason = _LOCAL_REASON
    else:
        reason = (
            f"Catalog-only mirror of the hosted {PROVIDERS[provider]['display_name']} model: "
            "the offline local backend cannot call hosted providers, so this row can be "
            "inspected but not run. Use a local.* model instead."
        )
    return {
        "id": model_id,
        "display_name": display_name,
        "provider_id": provider,
        "provider": dict(PROVIDERS[provider]),
        "mode": mode,
        "default": default,
        "local": local,
        "modality": modality,
        "operations": [operation],
        "supports": list(supports),
        "capability": {
            "id": capability_id(operation, model_id),
            "intents": list(intents),
            "grants_required": [GRANT_BY_OPERATION[operation]],
        },
        "status": AVAILABLE if local else CATALOG_ONLY,
        "availability_reason": reason,
        "execution": {
            "model_execution_status": EXECUTABLE if local else CATALOGED_NOT_WIRED,
            "artifact_storage": "image_skill_owned",
        },
        "media": media_,
        "economics": economics_,
        "parameters": parameters_,
        "latency_class": "instant" if local else "provider_dependent",
        "safety": {"prompt_policy": "blocklist", "output_review": "none"},
        "migration": {"deprecated": False, "replacement": None, "aliases": aliases_of(model_id)},
    }


_RESOLUTION = param(
    "string",
    "Output size class; 2k is priced from the higher tier.",
    enum=["1k", "2k"],
    default="1k",
)
_GUIDANCE = param(
    "number",
    "Prompt guidance strength; cataloged for inspection, not executable here.",
    minimum=1,
    maximum=20,
    executable=False,
)


def _duration(maximum: int, default: int) -> dict[str, Any]:
    return param(
        "integer",
        "Clip length in seconds.",
        minimum=1,
        maximum=maximum,
        default=default,
    )


def _local_rows() -> list[Row]:
    png = "image/png"
    edit_media = media(
        output_mime=png,
        input_images=images(required=True),
        mask="optional",
        refs=references(2),
        ratios=EDIT_RATIOS,
        max_resolution="2048x2048",
    )
    return [
        model(
            "local.image",
            "Local Image (offline)",
            operation="image.generate",
            supports=["create"],
            modality="image",
            default=True,
            intents=["explore", "draft", "final"],
            media_=media(
                output_mime=png, ratios=IMAGE_RATIOS, max_outputs=4, max_resolution="2048x2048"
            ),
            economics_=economics(0.05, tiers=("resolution", {"1k": 0.05, "2k": 0.07})),
            parameters_=parameters(
                {"seed": seed(0), "resolution": _RESOLUTION, "guidance_scale": _GUIDANCE},
                fixed={"output_format": "png"},
            ),
        ),
        model(
            "local.image-edit",
            "Local Image Edit (offline)",
            operation="image.edit",
            supports=["edit"],
            modality="image",
            mode="edit",
            intents=["explore", "final"],
            media_=edit_media,
            economics_=economics(0.04),
            parameters_=parameters({"seed": seed(0)}, fixed={"output_format": "png"}),
        ),
        model(
            "local.image-edit-usage-priced",
            "Local Image Edit, usage-priced (offline)",
            operation="image.edit",
            supports=["edit"],
            modality="image",
            mode="edit",
            intents=["explore"],
            media_=edit_media,
            economics_=economics(None, confidence=UNKNOWN, fallback=0.08),
            parameters_=parameters({"seed": seed(0)}, fixed={"output_format": "png"}),
        ),
        model(
            "local.video",
            "Local Video (offline)",
            operation="video.generate",
            supports=["create"],
            modality="video",
            intents=["explore", "draft"],
            media_=media(output_mime="video/mp4", ratios=VIDEO_RATIOS, max_resolution="640x640"),
            economics_=economics(0.10),
            parameters_=parameters(
                {"seed": seed(0), "duration_seconds": _duration(4, 2)},
                fixed={"output_format": "mp4"},
            ),
        ),
        model(
            "local.audio",
            "Local Audio (offline)",
            operation="audio.generate",
            supports=["create"],
            modality="audio",
            intents=["explore", "draft"],
            media_=media(output_mime="audio/wav"),
            economics_=economics(0.04),
            parameters_=parameters(
                {"seed": seed(0), "duration_seconds": _duration(10, 3)},
                fixed={"output_format": "wav"},
            ),
        ),
        model(
            "local.image-to-3d",
            "Local Image to 3D (offline)",
            operation="3d.generate",
            supports=["variation", "edit"],
            modality="3d",
            mode="edit",
            intents=["image-to-3d"],
            media_=media(
                output_mime="model/gltf-binary",
                input_images=images(required=True),
                prompt="forbidden",
            ),
            economics_=economics(0.02),
            parameters_=parameters({"seed": seed(0)}, fixed={"output_format": "glb"}),
        ),
    ]


#: Executable offline rows, in the order the list endpoint returns them.
LOCAL_ROWS: list[Row] = _local_rows()
