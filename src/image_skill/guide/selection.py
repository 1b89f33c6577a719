"""Model selection and pricing for ``create --guide`` (digest §3-§4).

Follows the npm guide's rules: an explicit ``--model`` must be a guide-usable row; otherwise
3D wording routes to an executable image-to-3D model, audio/video wording to a model of that
modality, then the intent's preferred hosted ids are tried in order.

Deliberate difference: where the npm guide then takes the first eligible row whatever its
modality, we first look for a row of the modality the prompt asks for (image for a plain
prompt, preferring the row marked ``default: true``), and only then take the first eligible
row. On the hosted registry this changes nothing while a preferred id is available; on the
local backend (``local.image``, ``local.video``, ``local.audio``, ``local.image-to-3d``) it
makes each kind of prompt land on the matching local model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from image_skill.guide import text
from image_skill.guide.js import WS_CLASS, coalesce, get, is_number, js_le, js_trim

Model = dict[str, Any]

_S = WS_CLASS
R3D = re.compile(
    r"\b(?:glb|gltf|mesh|model"
    + _S
    + r"+asset|asset"
    + _S
    + r"+model|textured"
    + _S
    + r"+model|image-to-3d|(?:3d|three-d)"
    + _S
    + r"+(?:\w+"
    + _S
    + r"+){0,3}(?:model|asset|mesh|object)|(?:model|asset|mesh|object)"
    + _S
    + r"+(?:in|as)"
    + _S
    + r"+(?:3d|three-d))\b",
    re.ASCII,
)
RMUSICVIDEO = re.compile(r"\bmusic" + _S + r"+video\b", re.ASCII)
RAUDIO = re.compile(r"\b(?:audio|sound|music|soundtrack|wav|text-to-audio)\b", re.ASCII)
RVIDEO = re.compile(
    r"\b(?:video|clip|footage|animation|animated|mp4|b-roll|timelapse|time-lapse)\b", re.ASCII
)

BUDGET_DRAFT = "budget_draft"
FINAL = "final"
GENERAL = "general"
_DRAFT_INTENTS = frozenset({"cheap", "budget", "draft", "test"})
_FINAL_INTENTS = frozenset(
    {
        "final",
        "finalize",
        "hero",
        "product",
        "product-shot",
        "campaign",
        "publication",
        "deliverable",
    }
)
PREFERRED_IDS: dict[str, tuple[str, ...]] = {
    BUDGET_DRAFT: (
        "fal.flux-dev",
        "xai.grok-imagine-image-quality",
        "xai.grok-imagine-image",
        "openai.gpt-image-2",
    ),
    FINAL: (
        "xai.grok-imagine-image-quality",
        "fal.flux-dev",
        "xai.grok-imagine-image",
        "openai.gpt-image-2",
    ),
}
PREFERRED_IDS[GENERAL] = PREFERRED_IDS[FINAL]


def implies_3d(haystack: str) -> bool:
    return R3D.search(haystack) is not None


def implies_audio(haystack: str) -> bool:
    return RMUSICVIDEO.search(haystack) is None and RAUDIO.search(haystack) is not None


def implies_video(haystack: str) -> bool:
    return RVIDEO.search(haystack) is not None


def intent_class(intent: str) -> str:
    norm = js_trim(intent).lower()
    if norm in _DRAFT_INTENTS:
        return BUDGET_DRAFT
    if norm in _FINAL_INTENTS:
        return FINAL
    return GENERAL


def _supports(model: Model, capability: str) -> bool:
    supports = model.get("supports")
    return isinstance(supports, list) and capability in supports


def _available_executable(model: Model) -> bool:
    return (
        model.get("status") == "available"
        and get(model, "execution", "model_execution_status") == "executable"
    )


def exec_create(model: Model) -> bool:
    return _available_executable(model) and _supports(model, "create")


def needs_input_image(model: Model | None) -> bool:
    return (
        model is not None
        and model.get("modality") == "3d"
        and get(model, "media", "input", "images", "required") is True
    )


def exec_img_to_3d(model: Model) -> bool:
    return (
        _available_executable(model)
        and model.get("modality") == "3d"
        and _supports(model, "variation")
        and needs_input_image(model)
    )


def guide_model(model: Model) -> bool:
    return exec_create(model) or exec_img_to_3d(model)


def budget_usd(model: Model) -> Any:
    pricing = get(model, "economics", "credit_pricing")
    return coalesce(
        get(pricing, "estimated_revenue_usd"),
        get(model, "economics", "estimated_usd_per_image"),
        get(pricing, "estimated_provider_cost_usd"),
        get(pricing, "fallback_provider_cost_usd"),
    )


def within_budget(models: list[Model], max_usd: float | None) -> list[Model]:
    """Models within the per-image budget; the whole list when none fits (npm behaviour)."""
    if max_usd is None:
        return models
    kept = [m for m in models if budget_usd(m) is None or js_le(budget_usd(m), max_usd)]
    return kept or models


def _modality_fallback(eligible: list[Model], haystack: str) -> Model | None:
    """Our addition: a row of the modality the prompt asks for, default row first."""
    if implies_3d(haystack):
        wanted: tuple[str | None, ...] = ("3d",)
    elif implies_audio(haystack):
        wanted = ("audio",)
    elif implies_video(haystack):
        wanted = ("video",)
    else:
        wanted = ("image", None)
    matching = [m for m in eligible if m.get("modality") in wanted]
    for model in matching:
        if model.get("default") is True:
            return model
    return matching[0] if matching else None


def select_model(
    models: list[Any],
    *,
    requested_model: str | None,
    prompt: str,
    intent: str,
    max_usd: float | None,
) -> Model | None:
    """The model the guide proposes, or None (digest §4.2 plus the modality fallback)."""
    rows: list[Model] = [m for m in models if isinstance(m, dict)]
    if requested_model is not None:
        for model in rows:
            if model.get("id") == requested_model:
                return model if guide_model(model) else None
        return None
    haystack = (intent + " " + prompt).lower()
    candidates = [m for m in rows if exec_create(m)]
    if implies_3d(haystack):
        to_3d = within_budget([m for m in rows if exec_img_to_3d(m)], max_usd)
        if to_3d:
            return to_3d[0]
    eligible = within_budget(candidates, max_usd)
    for wanted, implied in (("audio", implies_audio), ("video", implies_video)):
        if implied(haystack):
            for model in eligible:
                if model.get("modality") == wanted:
                    return model
    for model_id in PREFERRED_IDS[intent_class(intent)]:
        for model in eligible:
            if model.get("id") == model_id:
                return model
    fallback = _modality_fallback(eligible, haystack)
    if fallback is not None:
        return fallback
    return eligible[0] if eligible else None


def suggested_aspect_ratio(model: Model | None) -> Any:
    if model is None or model.get("modality") != "video":
        return None
    values = get(model, "media", "input", "aspect_ratios", "values")
    if not isinstance(values, list):
        return None
    if "16:9" in values:
        return "16:9"
    return values[0] if values else None


def selection_reason(model: Model, *, requested: bool, prompt: str, intent: str) -> str:
    if requested:
        return text.R_REQ_3D if needs_input_image(model) else text.R_REQ_CREATE
    haystack = (intent + " " + prompt).lower()
    modality = model.get("modality")
    if needs_input_image(model) and implies_3d(haystack):
        return text.R_3D
    if modality == "audio" and implies_audio(haystack):
        return text.R_AUDIO
    if modality == "video" and implies_video(haystack):
        return text.R_VIDEO
    klass = intent_class(intent)
    if model.get("id") in PREFERRED_IDS[klass]:
        return text.R_DRAFT if klass == BUDGET_DRAFT else text.R_QUALITY
    if model.get("default") is True:
        return text.R_DEFAULT
    return text.R_FIRST


@dataclass(frozen=True)
class Pricing:
    """Cost figures of the selected model (digest §3)."""

    estimated_credits: Any
    debit_usd: Any
    provider_usd: Any
    credit_unit_usd: Any
    pricing_confidence: Any

    def budget_guard(self, max_usd: float | None) -> Any:
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
        }


def pricing_of(model: Model | None) -> Pricing:
    pricing = get(model, "economics", "credit_pricing")
    provider_usd = coalesce(
        get(model, "economics", "estimated_usd_per_image"),
        get(pricing, "estimated_provider_cost_usd"),
        get(pricing, "fallback_provider_cost_usd"),
    )
    return Pricing(
        estimated_credits=get(pricing, "credits_required"),
        debit_usd=coalesce(get(pricing, "estimated_revenue_usd"), provider_usd),
        provider_usd=provider_usd,
        credit_unit_usd=coalesce(get(pricing, "credit_unit_usd"), 0.01),
        pricing_confidence=get(pricing, "pricing_confidence"),
    )


def selection_object(
    model: Model | None, *, requested: bool, prompt: str, intent: str
) -> dict[str, Any] | None:
    if model is None:
        return None
    return {
        "operation": "edit" if needs_input_image(model) else "create",
        "model_id": model.get("id"),
        "model_status": model.get("status"),
        "model_execution_status": get(model, "execution", "model_execution_status"),
        "modality": model.get("modality"),
        "suggested_aspect_ratio": suggested_aspect_ratio(model),
        "reason": selection_reason(model, requested=requested, prompt=prompt, intent=intent),
    }
