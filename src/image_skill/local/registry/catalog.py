"""Catalog-only mirrors of hosted models (server.md §4.4).

They keep the documented operations, media rules, prices and parameter schemas so agents
can inspect and plan against them, but every row is ``status: "catalog_only"`` with
``execution.model_execution_status: "cataloged_not_wired"``: the offline backend lists
them (``catalog_only=true``) and never runs them. Prices the docs do not state are marked
``pricing_confidence: "estimated"``.
"""

from __future__ import annotations

from typing import Any

from image_skill.local.registry.data import (
    CREATE_AUDIO,
    CREATE_IMAGE,
    CREATE_VIDEO,
    EDIT_IMAGE,
    EDIT_RATIOS,
    IMAGE_RATIOS,
    IMAGE_TO_3D,
    VIDEO_RATIOS,
    Row,
    economics,
    model,
    param,
    parameters,
    seed,
)
from image_skill.local.registry.media_block import images, media, media_3d, references
from image_skill.local.registry.pricing import ESTIMATED, UNKNOWN

_PNG = "image/png"
_FAL_SIZES = [
    "square_hd",
    "square",
    "portrait_4_3",
    "portrait_16_9",
    "landscape_4_3",
    "landscape_16_9",
]


def _enum(description: str, values: list[str], *, default: str | None = None) -> dict[str, Any]:
    return param("string", description, enum=values, default=default)


def _gpt_image_params() -> dict[str, dict[str, Any]]:
    return {
        "size": _enum("Output size.", ["auto", "1024x1024", "1024x1536", "1536x1024"]),
        "output_format": _enum("Encoded output format.", ["png", "jpeg", "webp"]),
        "output_compression": param(
            "integer", "Compression level for jpeg/webp.", minimum=0, maximum=100
        ),
        "background": _enum("Background handling.", ["auto", "transparent", "opaque"]),
        "moderation": _enum("Provider moderation level.", ["auto", "low"]),
        "quality": _enum("Provider-native quality.", ["auto", "low", "medium", "high"]),
    }


def _image(
    kind: dict[str, Any],
    model_id: str,
    name: str,
    usd: float | None,
    props: dict[str, dict[str, Any]],
    *,
    confidence: str = "known",
    fallback: float | None = None,
    tiers: tuple[str, dict[str, float]] | None = None,
    max_outputs: int = 1,
    transparent: bool = False,
    mask: str = "none",
    ref_max: int = 0,
) -> Row:
    """A hosted image row: ``kind`` is :data:`CREATE_IMAGE` or :data:`EDIT_IMAGE`; an edit
    row needs one input image and may take a mask and references."""
    edit = kind is EDIT_IMAGE
    return model(
        model_id,
        name,
        **kind,
        intents=["explore", "final"] if edit else ["explore", "draft", "final"],
        media_=media(
            output_mime=_PNG,
            input_images=images(required=True) if edit else None,
            mask=mask,
            refs=references(ref_max),
            ratios=EDIT_RATIOS if edit else IMAGE_RATIOS,
            max_outputs=max_outputs,
            transparent=transparent,
        ),
        economics_=economics(usd, confidence=confidence, fallback=fallback, tiers=tiers),
        parameters_=parameters(props),
    )


def _catalog_rows() -> list[Row]:
    quality_res = _enum("Output size class; 2k is priced higher.", ["1k", "2k"], default="1k")
    gemini_res = _enum("Output resolution; 4K is priced higher.", ["1K", "2K", "4K"], default="1K")
    banana_res = _enum("Output resolution.", ["0.5K", "1K", "2K", "4K"], default="1K")
    gemini = {"resolution": gemini_res, "seed": seed()}
    gemini_tiers = ("resolution", {"1K": 0.15, "2K": 0.15, "4K": 0.30})
    banana = {"resolution": banana_res, "seed": seed()}
    return [
        _image(
            CREATE_IMAGE,
            "xai.grok-imagine-image-quality",
            "xAI Grok Imagine Image Quality",
            0.05,
            {"resolution": quality_res},
            max_outputs=4,
            tiers=("resolution", {"1k": 0.05, "2k": 0.07}),
        ),
        _image(
            CREATE_IMAGE,
            "xai.grok-imagine-image",
            "xAI Grok Imagine Image",
            0.02,
            {},
            max_outputs=4,
        ),
        _image(
            EDIT_IMAGE,
            "xai.grok-imagine-image-edit",
            "xAI Grok Imagine Image Edit",
            0.022,
            {},
            confidence=ESTIMATED,
            ref_max=2,
        ),
        _image(
            CREATE_IMAGE,
            "openai.gpt-image-2",
            "OpenAI GPT Image 2",
            0.21,
            _gpt_image_params(),
            confidence=ESTIMATED,
            max_outputs=4,
            transparent=True,
        ),
        _image(
            EDIT_IMAGE,
            "openai.gpt-image-2-edit",
            "OpenAI GPT Image 2 Edit",
            None,
            _gpt_image_params(),
            confidence=UNKNOWN,
            fallback=0.25,
        ),
        _image(
            CREATE_IMAGE,
            "fal.flux-dev",
            "Fal FLUX.1 dev",
            0.025,
            {"image_size": _enum("Image size preset.", _FAL_SIZES), "seed": seed()},
            confidence=ESTIMATED,
        ),
        _image(
            CREATE_IMAGE,
            "fal.flux-pro-v1-1-ultra",
            "Fal FLUX Pro 1.1 Ultra",
            0.06,
            {"seed": seed(), "raw": param("boolean", "Less processed, more natural look.")},
        ),
        _image(
            CREATE_IMAGE,
            "fal.gemini-3-pro-image-preview",
            "Fal Gemini 3 Pro Image Preview",
            0.15,
            gemini,
            tiers=gemini_tiers,
        ),
        _image(
            EDIT_IMAGE,
            "fal.flux-pro-kontext",
            "Fal FLUX Pro Kontext Edit",
            0.04,
            {
                "seed": seed(),
                "guidance_scale": param(
                    "number",
                    "Guidance strength; cataloged, not executable.",
                    minimum=1,
                    maximum=20,
                    executable=False,
                ),
            },
        ),
        # ``fal.nano-banana-2`` is where the ``nano-banana`` alias leads (0.1.70 §3.6); the
        # docs give no price for it, so it is unknown-cost like its edit sibling.
        _image(
            CREATE_IMAGE,
            "fal.nano-banana-2",
            "Fal Nano Banana 2",
            None,
            banana,
            confidence=UNKNOWN,
            fallback=0.15,
        ),
        _image(
            CREATE_IMAGE,
            "fal.nano-banana-pro",
            "Fal Nano Banana Pro",
            0.15,
            gemini,
            tiers=gemini_tiers,
        ),
        _image(EDIT_IMAGE, "fal.nano-banana-pro-edit", "Fal Nano Banana Pro Edit", 0.15, gemini),
        _image(
            EDIT_IMAGE,
            "fal.nano-banana-2-edit",
            "Fal Nano Banana 2 Edit",
            None,
            banana,
            confidence=UNKNOWN,
            fallback=0.15,
        ),
        _image(
            EDIT_IMAGE,
            "fal.ideogram-v2-edit",
            "Fal Ideogram V2 Edit",
            None,
            {
                "expand_prompt": param("boolean", "Let the provider expand the prompt."),
                "seed": seed(),
                "style": _enum(
                    "Rendering style.", ["auto", "general", "realistic", "design", "render_3D"]
                ),
            },
            confidence=UNKNOWN,
            fallback=0.08,
            mask="required",
        ),
        model(
            "fal.ltx-video-13b-distilled",
            "Fal LTX Video 13B Distilled",
            **CREATE_VIDEO,
            intents=["explore", "draft"],
            media_=media(output_mime="video/mp4", ratios=VIDEO_RATIOS),
            economics_=economics(0.20, confidence=ESTIMATED),
            parameters_=parameters({"seed": seed()}),
        ),
        model(
            "fal.stable-audio-25-text-to-audio",
            "Fal Stable Audio 2.5 Text to Audio",
            **CREATE_AUDIO,
            intents=["explore"],
            media_=media(output_mime="audio/wav"),
            economics_=economics(0.20),
            parameters_=parameters(),
        ),
        model(
            "fal.trellis-image-to-3d",
            "Fal Trellis Image to 3D",
            **IMAGE_TO_3D,
            media_=media_3d(),
            economics_=economics(0.02),
            parameters_=parameters(),
        ),
    ]


#: Inspect-only hosted mirrors, listed after the local rows.
CATALOG_ROWS: list[Row] = _catalog_rows()
