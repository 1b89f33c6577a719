"""Model selection for ``create --guide`` and ``edit --guide`` (0.1.30 digest §4, 0.1.70 §4.3).

Follows the npm guide's rules: an explicit ``--model`` is looked up (ids, ``default``,
aliases, fuzzy; :mod:`image_skill.guide.lookup`) and must be a guide-usable row; otherwise
3D wording routes to an executable image-to-3D model, audio/video wording to a model of that
modality, then the intent's preferred hosted ids are tried in order. ``create --guide`` may
propose create models and input-image edit models (the latter only when asked for by
``--model`` or by 3D wording); ``edit --guide`` proposes input-image edit models only. Rows
are read through :mod:`image_skill.guide.rows`, so compact and full rows select alike.

Deliberate difference: where the npm guide then takes the first eligible row whatever its
modality, we first look for a row of the modality the prompt asks for (image for a plain
prompt, preferring the row marked ``default: true``), and only then take the first eligible
row. On the hosted registry this changes nothing while a preferred id is available; on the
local backend (``local.image``, ``local.video``, ``local.audio``, ``local.image-to-3d``) it
makes each kind of prompt land on the matching local model.
"""

from __future__ import annotations

import re
from typing import Any

from image_skill._js import coalesce, get, js_blanks, js_le, js_trim
from image_skill.guide import text
from image_skill.guide.lookup import resolve_lookup
from image_skill.guide.pricing import Pricing, pricing_of
from image_skill.guide.rows import (
    aspect_ratio_values,
    credit_pricing,
    exec_create,
    exec_input_edit,
    execution_status,
    needs_input,
    row_provider_usd,
)

Model = dict[str, Any]
__all__ = [  # Pricing and pricing_of moved to image_skill.guide.pricing; still importable here
    "Pricing",
    "budget_usd",
    "exec_create",
    "exec_img_to_3d",
    "exec_input_edit",
    "guide_model",
    "implies_3d",
    "implies_audio",
    "implies_video",
    "intent_class",
    "needs_input_image",
    "pricing_of",
    "select_model",
    "selection_object",
    "selection_reason",
    "suggested_aspect_ratio",
    "within_budget",
]

#: The patterns below are matched against :func:`js_blanks` text, where every JS blank is a
#: space: ``" "`` stands for ``WS_CLASS`` (much cheaper to compile, same matches).
_S = " "
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
    return R3D.search(js_blanks(haystack)) is not None


def implies_audio(haystack: str) -> bool:
    return RMUSICVIDEO.search(js_blanks(haystack)) is None and RAUDIO.search(haystack) is not None


def implies_video(haystack: str) -> bool:
    return RVIDEO.search(haystack) is not None


def intent_class(intent: str) -> str:
    norm = js_trim(intent).lower()
    if norm in _DRAFT_INTENTS:
        return BUDGET_DRAFT
    if norm in _FINAL_INTENTS:
        return FINAL
    return GENERAL


def exec_img_to_3d(model: Model) -> bool:
    """An executable image-to-3D model (the 3D branch of the selection)."""
    return model.get("modality") == "3d" and exec_input_edit(model)


def guide_model(model: Model, *, edit_guide: bool = False) -> bool:
    """A row the guide may propose: input-image edits always, create models for create."""
    return exec_input_edit(model) or (not edit_guide and exec_create(model))


def needs_input_image(model: Model | None) -> bool:
    """Alias of :func:`image_skill.guide.rows.needs_input` (name kept from 0.1.30)."""
    return needs_input(model)


def budget_usd(model: Model) -> Any:
    pricing = credit_pricing(model)
    return coalesce(
        get(pricing, "estimated_revenue_usd"),
        row_provider_usd(model),
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
    edit_guide: bool = False,
) -> Model | None:
    """The model the guide proposes, or None (§4.3 plus our modality fallback).

    ``edit_guide``: ``edit --guide`` proposes input-image edit models only.
    """
    rows: list[Model] = [m for m in models if isinstance(m, dict)]
    if requested_model is not None:
        found = resolve_lookup(requested_model, rows)
        return found if found is not None and guide_model(found, edit_guide=edit_guide) else None
    haystack = (intent + " " + prompt).lower()
    candidates = [m for m in rows if (exec_input_edit(m) if edit_guide else exec_create(m))]
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
    values = aspect_ratio_values(model)
    if values is None:
        return None
    if "16:9" in values:
        return "16:9"
    return values[0] if values else None


def selection_reason(
    model: Model, *, requested: bool, prompt: str, intent: str, edit_guide: bool = False
) -> str:
    if requested:
        if model.get("modality") == "3d":
            return text.R_REQ_3D
        return text.R_REQ_EDIT if needs_input(model) else text.R_REQ_CREATE
    haystack = (intent + " " + prompt).lower()
    modality = model.get("modality")
    if needs_input(model) and implies_3d(haystack):
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
    return text.R_FIRST_EDIT if edit_guide else text.R_FIRST


def selection_object(
    model: Model | None, *, requested: bool, prompt: str, intent: str, edit_guide: bool = False
) -> dict[str, Any] | None:
    if model is None:
        return None
    reason = selection_reason(
        model, requested=requested, prompt=prompt, intent=intent, edit_guide=edit_guide
    )
    return {
        "operation": "edit" if needs_input(model) else "create",
        "model_id": model.get("id"),
        "model_status": model.get("status"),
        "model_execution_status": execution_status(model),
        "modality": model.get("modality"),
        "suggested_aspect_ratio": suggested_aspect_ratio(model),
        "reason": reason,
    }
