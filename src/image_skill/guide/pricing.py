"""Cost figures of the selected model, model-parameter defaults and xAI re-pricing (§4.4).

``guide_pricing`` is what the guide reports under ``cost`` and compares with the quota:

* the registry's credit pricing of the row (full or compact, :mod:`image_skill.guide.rows`);
* for models that are not input-image edits, the defaults the hosted service would apply
  (``resolution``, ``image_size``, ``quality``), recorded as ``key=value`` strings but never
  written into any command (only the user's own ``--model-parameters-json`` is carried);
* for ``xai.grok-imagine-image*`` rows with defaults or user parameters, a re-price from the
  provider's per-image rates with the service's margin.

Rounding follows JS ``Math.round`` (half up), not Python's ``round`` (half to even). Pure.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from image_skill._js import coalesce, get, is_number, js_round
from image_skill.guide.rows import credit_pricing, needs_input, row_provider_usd

Model = dict[str, Any]

XAI_PREFIX = "xai.grok-imagine-image"
XAI_QUALITY = "xai.grok-imagine-image-quality"
XAI_2K_PROVIDER_USD = 0.07
TARGET_MARGIN = 0.4
CREDIT_UNIT_USD = 0.01
FLUX_IMAGE_SIZES = {
    "1:1": "square_hd",
    "4:3": "landscape_4_3",
    "3:4": "portrait_4_3",
    "16:9": "landscape_16_9",
    "9:16": "portrait_16_9",
}


class Pricing(NamedTuple):
    """Cost figures of the selected model (0.1.30 digest §3, 0.1.70 §4.4)."""

    estimated_credits: Any
    debit_usd: Any
    provider_usd: Any
    credit_unit_usd: Any
    pricing_confidence: Any
    pricing_source: Any = None
    defaults_applied: tuple[str, ...] = ()

    def budget_guard(self, max_usd: float | None) -> Any:
        """The ``--max-estimated-usd-per-image`` written into create/edit commands."""
        if max_usd is not None:
            return max_usd
        if self.debit_usd is not None:
            return self.debit_usd
        if self.estimated_credits is None:
            return 0.07
        credits = self.estimated_credits
        return credits / 100 if is_number(credits) else credits

    def cost(self) -> dict[str, Any]:
        return {
            "estimated_credits": self.estimated_credits,
            "estimated_usd_per_image": self.debit_usd,
            "estimated_debit_usd_per_image": self.debit_usd,
            "estimated_provider_usd_per_image": self.provider_usd,
            "credit_unit_usd": self.credit_unit_usd,
            "pricing_confidence": self.pricing_confidence,
            "pricing_source": self.pricing_source,
            "model_parameter_defaults_applied": list(self.defaults_applied),
        }


def _pricing(pricing: Any, provider_usd: Any, defaults: tuple[str, ...]) -> Pricing:
    return Pricing(
        estimated_credits=get(pricing, "credits_required"),
        debit_usd=coalesce(get(pricing, "estimated_revenue_usd"), provider_usd),
        provider_usd=provider_usd,
        credit_unit_usd=coalesce(get(pricing, "credit_unit_usd"), CREDIT_UNIT_USD),
        pricing_confidence=get(pricing, "pricing_confidence"),
        pricing_source=get(pricing, "pricing_source"),
        defaults_applied=defaults,
    )


def _registry_provider_usd(model: Model | None, pricing: Any) -> Any:
    # 0.1.70 chain: the pricing's estimated_provider_cost_usd is no longer part of it.
    full = get(model, "economics", "estimated_usd_per_image")
    flat = get(model, "estimated_usd_per_image")
    return coalesce(
        full, get(pricing, "fallback_provider_cost_usd"), flat if is_number(flat) else None
    )


def pricing_of(model: Model | None) -> Pricing:
    """The registry's own pricing of ``model`` (no defaults, no re-pricing)."""
    pricing = credit_pricing(model)
    return _pricing(pricing, _registry_provider_usd(model, pricing), ())


def default_model_parameters(
    model: Model | None,
    user: dict[str, Any] | None,
    *,
    budget_draft: bool,
    max_usd: float | None,
    aspect_ratio: str,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The parameters the service would use (the user's keys win) and the defaults added."""
    params = dict(user or {})
    applied: list[str] = []
    if model is None or needs_input(model):
        return params, ()

    def apply(key: str, value: str) -> None:
        params[key] = value
        applied.append(f"{key}={value}")

    model_id = model.get("id")
    if model_id == XAI_QUALITY and "resolution" not in params:
        too_dear = max_usd is not None and XAI_2K_PROVIDER_USD > max_usd
        apply("resolution", "1k" if budget_draft or too_dear else "2k")
    elif model_id == "fal.flux-dev" and "image_size" not in params:
        size = FLUX_IMAGE_SIZES.get(aspect_ratio)
        if size is not None:
            apply("image_size", size)
    elif model_id == "openai.gpt-image-2" and "quality" not in params:
        estimate = row_provider_usd(model)
        if max_usd is None or (is_number(estimate) and estimate <= max_usd):
            apply("quality", "medium")
    return params, tuple(applied)


def xai_provider_cost(model_id: str, params: dict[str, Any]) -> tuple[float, str]:
    """Provider USD for one output of an xAI image model, and the pricing source."""
    quality = "-quality" in model_id
    edit = model_id.endswith("-edit")
    resolution = params.get("resolution")
    two_k = resolution == "2k"
    sources = 1 if edit else 0
    input_usd = 0.01 if quality else 0.002
    if quality and two_k:
        output_usd = 0.07
    elif quality:
        output_usd = 0.05
    else:
        output_usd = 0.02
    cost = js_round(input_usd * sources + output_usd * 1, 6)
    source = "model_registry" if resolution in (None, "1k") else "model_parameters"
    return cost, source


def xai_credit_pricing(cost: float, source: str) -> dict[str, Any]:
    """The service's credit price for a provider cost: margin, whole credits, at least one."""
    credits = max(1, math.ceil(js_round(cost / (1 - TARGET_MARGIN) / CREDIT_UNIT_USD, 6)))
    return {
        "credits_required": credits,
        "estimated_revenue_usd": js_round(credits * CREDIT_UNIT_USD, 2),
        "credit_unit_usd": CREDIT_UNIT_USD,
        "pricing_confidence": "known",
        "pricing_source": source,
    }


def guide_pricing(
    model: Model | None,
    *,
    user_parameters: dict[str, Any] | None,
    budget_draft: bool,
    max_usd: float | None,
    aspect_ratio: str | None,
) -> Pricing:
    """What the guide reports under ``cost`` for ``model`` (§4.4)."""
    params, applied = default_model_parameters(
        model,
        user_parameters,
        budget_draft=budget_draft,
        max_usd=max_usd,
        aspect_ratio=aspect_ratio if aspect_ratio is not None else "1:1",
    )
    model_id = get(model, "id")
    if (
        model is not None
        and isinstance(model_id, str)
        and model_id.startswith(XAI_PREFIX)
        and not needs_input(model)
        and (applied or user_parameters)
    ):
        cost, source = xai_provider_cost(model_id, params)
        return _pricing(xai_credit_pricing(cost, source), cost, applied)
    pricing = credit_pricing(model)
    return _pricing(pricing, _registry_provider_usd(model, pricing), applied)
