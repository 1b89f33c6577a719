"""Row builders and the static model rows of the local backend's registry.

Rows are plain dicts in the hosted registry shape (server.md §4.1). The ``local.*`` rows
are executable offline; the ``xai.*``, ``fal.*`` and ``openai.*`` rows mirror hosted
models for inspection only and never run here. :data:`LOCAL_ROWS` is built once at import
time (the hosted mirrors live in :mod:`.catalog`, the ``media`` blocks are built by
:mod:`.media_block`); callers get read-only copies through
:mod:`image_skill.local.registry.models`.
"""

from __future__ import annotations

from typing import Any

from image_skill.guide.lookup import aliases_of
from image_skill.local.registry.media_block import images, media, media_3d, references
from image_skill.local.registry.pricing import KNOWN, UNKNOWN, credit_pricing_block

Row = dict[str, Any]

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


def _kind(operation: str, modality: str, *, mode: str = "create") -> dict[str, Any]:
    supports = {"image.edit": ["edit"], "3d.generate": ["variation"]}.get(operation, ["create"])
    return {"operation": operation, "supports": supports, "modality": modality, "mode": mode}


#: What a row's kind fixes, spread into :func:`model` (``model(..., **EDIT_IMAGE, ...)``).
CREATE_IMAGE = _kind("image.generate", "image")
EDIT_IMAGE = _kind("image.edit", "image", mode="edit")
CREATE_VIDEO = _kind("video.generate", "video")
CREATE_AUDIO = _kind("audio.generate", "audio")
IMAGE_TO_3D = {**_kind("3d.generate", "3d", mode="edit"), "intents": ["image-to-3d"]}


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

    def edit(model_id: str, name: str, economics_: dict[str, Any], intents: list[str]) -> Row:
        return model(
            model_id,
            name,
            **EDIT_IMAGE,
            intents=intents,
            media_=edit_media,
            economics_=economics_,
            parameters_=parameters({"seed": seed(0)}, fixed={"output_format": "png"}),
        )

    def clip(
        model_id: str,
        name: str,
        kind: dict[str, Any],
        usd: float,
        seconds: tuple[int, int],
        fmt: str,
    ) -> Row:
        """A video or audio row; ``seconds`` is (longest, default) clip length."""
        video = kind is CREATE_VIDEO
        return model(
            model_id,
            name,
            **kind,
            intents=["explore", "draft"],
            media_=media(
                output_mime="video/mp4" if video else "audio/wav",
                ratios=VIDEO_RATIOS if video else None,
                max_resolution="640x640" if video else None,
            ),
            economics_=economics(usd),
            parameters_=parameters(
                {"seed": seed(0), "duration_seconds": _duration(*seconds)},
                fixed={"output_format": fmt},
            ),
        )

    return [
        model(
            "local.image",
            "Local Image (offline)",
            **CREATE_IMAGE,
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
        edit(
            "local.image-edit", "Local Image Edit (offline)", economics(0.04), ["explore", "final"]
        ),
        edit(
            "local.image-edit-usage-priced",
            "Local Image Edit, usage-priced (offline)",
            economics(None, confidence=UNKNOWN, fallback=0.08),
            ["explore"],
        ),
        clip("local.video", "Local Video (offline)", CREATE_VIDEO, 0.10, (4, 2), "mp4"),
        clip("local.audio", "Local Audio (offline)", CREATE_AUDIO, 0.04, (10, 3), "wav"),
        # It takes edit's path too (``supports`` names both), unlike the hosted mirror.
        model(
            "local.image-to-3d",
            "Local Image to 3D (offline)",
            **IMAGE_TO_3D | {"supports": ["variation", "edit"]},
            media_=media_3d(),
            economics_=economics(0.02),
            parameters_=parameters({"seed": seed(0)}, fixed={"output_format": "glb"}),
        ),
    ]


#: Executable offline rows, in the order the list endpoint returns them.
LOCAL_ROWS: list[Row] = _local_rows()
