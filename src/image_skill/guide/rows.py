"""Readers of one model row, for full rows and compact rows alike (contract 0.1.70 §0.3).

``GET /v1/models`` answers with compact rows by default since 0.1.41 (flat keys such as
``model_execution_status``, ``credits_required``, ``accepts_input_images``), and with the
nested full rows of 0.1.30 for ``details=true``. Every place the guide reads a model row goes
through these functions, which try the full-row path first and then the compact key, so the
same models give the same selection in either shape. Pure; no I/O.
"""

from __future__ import annotations

from typing import Any

from image_skill._js import get, is_number

Model = dict[str, Any]

#: Models that take no prompt (§4.5), plus the local backend's image-to-3D model (ours: our
#: ``edit`` refuses a prompt for it, so the guide must not write one).
PROMPTLESS_MODELS = frozenset(
    {
        "fal.flux-dev-redux",
        "fal.flux-krea-redux",
        "fal.flux-schnell-redux",
        "fal.trellis-image-to-3d",
        "local.image-to-3d",
    }
)
CREDIT_UNIT_USD = 0.01


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def execution_status(model: Model | None) -> str | None:
    """``execution.model_execution_status``, else the compact ``model_execution_status``."""
    full = _string(get(model, "execution", "model_execution_status"))
    return full if full is not None else _string(get(model, "model_execution_status"))


def row_provider_usd(model: Model | None) -> Any:
    """``economics.estimated_usd_per_image``, else the compact ``estimated_usd_per_image``."""
    full = get(model, "economics", "estimated_usd_per_image")
    if full is not None:
        return full
    flat = get(model, "estimated_usd_per_image")
    return flat if is_number(flat) else None


def credit_pricing(model: Model | None) -> Any:
    """``economics.credit_pricing`` as is, else one built from the compact price keys."""
    full = get(model, "economics", "credit_pricing")
    if full is not None:
        return full
    credits = get(model, "credits_required")
    if not is_number(credits):
        return None
    usd = get(model, "estimated_usd_per_image")
    confidence = get(model, "pricing_confidence")
    return {
        "credits_required": credits,
        "estimated_revenue_usd": credits * CREDIT_UNIT_USD,
        "estimated_provider_cost_usd": usd if is_number(usd) else None,
        "fallback_provider_cost_usd": None,
        "credit_unit_usd": CREDIT_UNIT_USD,
        "pricing_confidence": confidence if isinstance(confidence, str) else None,
    }


def aspect_ratio_values(model: Model | None) -> list[Any] | None:
    """``media.input.aspect_ratios.values``, else the compact ``aspect_ratios``."""
    full = get(model, "media", "input", "aspect_ratios", "values")
    if isinstance(full, list):
        return full
    flat = get(model, "aspect_ratios")
    return flat if isinstance(flat, list) else None


def supports(model: Model | None, *capabilities: str) -> bool:
    values = get(model, "supports")
    return isinstance(values, list) and any(c in values for c in capabilities)


def needs_input(model: Model | None) -> bool:
    """An input-image edit model: it requires an image and supports edit or variation.

    (0.1.30 also required ``modality == "3d"``; since 0.1.34 any such model counts.)
    """
    if model is None:
        return False
    required = (
        get(model, "media", "input", "images", "required") is True
        or get(model, "accepts_input_images") is True
    )
    return required and supports(model, "edit", "variation")


def executable(model: Model) -> bool:
    return model.get("status") == "available" and execution_status(model) == "executable"


def exec_create(model: Model) -> bool:
    return executable(model) and supports(model, "create")


def exec_input_edit(model: Model) -> bool:
    return executable(model) and needs_input(model)


def promptless(model: Model | None) -> bool:
    return get(model, "id") in PROMPTLESS_MODELS
