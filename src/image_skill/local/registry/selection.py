"""Model resolution for create/edit and the ``hosted_default_create_v1`` selection policy.

Pure (registry lookups only). An explicit ``model`` wins; without one the policy picks the
default runnable model of the requested modality (intent hints such as ``video`` or
``audio`` route to the matching local model) and, for image models with a priced
``resolution`` tier, the higher tier only when the caller's per-image budget covers it and
the intent is not a draft. The decision is recorded as ``request.selection``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from image_skill.local.cli_commands import cli_command
from image_skill.local.errors import ApiError
from image_skill.local.registry.data import Row
from image_skill.local.registry.models import (
    all_models,
    credit_quote_for,
    default_model,
    get_model,
    is_runnable,
)

DEFAULT_POLICY = "hosted_default_create_v1"
EXPLICIT_POLICY = "explicit_model"
#: Which ``supports`` entry a model needs for each endpoint.
SUPPORTS_FOR_OPERATION: dict[str, tuple[str, ...]] = {
    "create": ("create",),
    "edit": ("edit", "variation"),
}
_MODALITY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("3d", ("3d", "mesh", "glb", "gltf")),
    ("video", ("video", "clip", "animation", "motion", "movie")),
    ("audio", ("audio", "sound", "music", "song", "voice", "speech")),
)
_DRAFT_WORDS = ("draft", "budget", "cheap", "preview", "sketch")
_HIGH_TIER = "2k"
_MODELS_HINT = "image-skill models list --available --json"


@dataclass
class Selection:
    """The resolved model, parameters the policy added and the receipt fields."""

    row: Row
    explicit: bool
    intent: str | None
    policy: str
    reason: str
    policy_params: dict[str, Any] = field(default_factory=dict)

    def receipt(self, params_receipt: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
        """``request.selection``."""
        return {
            "policy": self.policy,
            "reason": self.reason,
            "intent": self.intent,
            "model": {"id": self.row["id"]},
            "capability": {"id": self.row["capability"]["id"]},
            "model_parameters": params_receipt,
            "output": output,
        }


def intent_modality(intent: str | None) -> str | None:
    """``video`` / ``audio`` / ``3d`` when the intent names one of them, else ``None``."""
    if not intent:
        return None
    text = intent.strip().lower()
    for modality, words in _MODALITY_WORDS:
        if any(word in text for word in words):
            return modality
    return None


def _is_draft(intent: str | None) -> bool:
    return bool(intent) and any(w in str(intent).lower() for w in _DRAFT_WORDS)


def _supports(row: Row, operation: str) -> bool:
    return any(s in row.get("supports", []) for s in SUPPORTS_FOR_OPERATION[operation])


def not_executable(row: Row, base: str) -> ApiError:
    return ApiError(
        403,
        "MODEL_NOT_EXECUTABLE",
        f"model {row['id']} is listed for inspection only and cannot run on this backend",
        recovery={"model_id": row["id"], "suggested_command": cli_command(base, _MODELS_HINT)},
    )


def _explicit(model_id: str, operation: str, provider: str | None, base: str) -> Row:
    row = get_model(model_id)
    if row is None:
        raise ApiError(
            400,
            "MODEL_NOT_FOUND",
            f"no model with id {model_id!r}",
            recovery={"suggested_command": cli_command(base, _MODELS_HINT)},
        )
    if provider and provider != row["provider_id"]:
        raise ApiError(
            400,
            "INVALID_ARGUMENTS",
            f"model {row['id']} belongs to provider {row['provider_id']!r}, not {provider!r}",
            recovery={"model_id": row["id"], "provider": row["provider_id"]},
        )
    if not is_runnable(row):
        raise not_executable(row, base)
    if not _supports(row, operation):
        other = "edit" if operation == "create" else "create"
        raise ApiError(
            403,
            "CAPABILITY_DENIED",
            f"model {row['id']} does not support {operation}; use it with {other} instead",
            recovery={
                "model_id": row["id"],
                "supports": list(row.get("supports", [])),
                "suggested_command": cli_command(base, ["models", "show", row["id"], "--json"]),
            },
        )
    return row


def _policy_row(operation: str, provider: str | None, modality: str | None, base: str) -> Row:
    if operation == "create" and modality == "3d":
        raise ApiError(
            403,
            "CAPABILITY_DENIED",
            "3D output is made from an input image through edit, not create",
            recovery={
                "suggested_command": cli_command(
                    base, "image-skill edit --input ASSET_ID --model local.image-to-3d --json"
                )
            },
        )
    wanted = modality or "image"
    row = _first_candidate(operation, provider, wanted)
    if row is None:
        where = f" from provider {provider!r}" if provider else ""
        raise ApiError(
            403,
            "MODEL_NOT_EXECUTABLE",
            f"no runnable {wanted} model{where} supports {operation} on this backend",
            recovery={"suggested_command": cli_command(base, _MODELS_HINT)},
        )
    return row


@functools.lru_cache(maxsize=64)
def _first_candidate(operation: str, provider: str | None, wanted: str) -> Row | None:
    """The policy's pick among the runnable rows, or ``None``. Cached: the registry rows
    never change while the process runs, and the pick is a shared read-only row."""
    candidates = [
        row
        for row in all_models()
        if is_runnable(row)
        and _supports(row, operation)
        and row["modality"] == wanted
        and (not provider or row["provider_id"] == provider)
    ]
    default_id = default_model()["id"]
    candidates.sort(
        key=lambda row: (row["id"] != default_id, row["economics"]["cost_known"] is not True)
    )
    return candidates[0] if candidates else None


def select_model(
    operation: str,
    *,
    model: str | None,
    provider: str | None,
    intent: str | None,
    base: str,
) -> Selection:
    """Resolve the model for ``operation`` (``create`` or ``edit``).

    ``base`` aims the commands in refusals (see :mod:`.cli_commands`).
    """
    if model:
        row = _explicit(model, operation, provider, base)
        return Selection(row, True, intent, EXPLICIT_POLICY, "model requested explicitly")
    modality = intent_modality(intent)
    row = _policy_row(operation, provider, modality, base)
    what = f"{row['modality']} model" if modality else f"{row['modality']} model (default)"
    reason = f"no model requested; picked the runnable {what} {row['id']}"
    if modality:
        reason += f" because the intent asks for {modality}"
    return Selection(row, False, intent, DEFAULT_POLICY, reason)


def choose_tier(
    selection: Selection,
    *,
    user_params: dict[str, Any],
    output_count: int,
    max_estimated_usd_per_image: Any,
) -> None:
    """Default the higher priced ``resolution`` tier when the policy may and budget allows.

    Only for policy-chosen models, when the caller did not set ``resolution``, the intent
    is not a draft, and ``max_estimated_usd_per_image`` covers the higher tier's debit.
    """
    row = selection.row
    if selection.explicit or "resolution" in user_params or _is_draft(selection.intent):
        return
    prop = row["parameters"]["properties"].get("resolution")
    if not prop or _HIGH_TIER not in prop.get("enum", []):
        return
    cap = max_estimated_usd_per_image
    if isinstance(cap, bool) or not isinstance(cap, int | float):
        return
    quote = credit_quote_for(row, output_count, {**user_params, "resolution": _HIGH_TIER})
    total = quote["credit_pricing"]["credits_required"]
    if total is None:
        return
    per_image = Decimal(total) * Decimal("0.01") / output_count
    if per_image <= Decimal(str(cap)):
        selection.policy_params["resolution"] = _HIGH_TIER
        selection.reason += (
            f"; defaulted resolution={_HIGH_TIER} because the per-image budget of ${cap} "
            f"covers its ${per_image} debit"
        )
