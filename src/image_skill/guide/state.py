"""Inputs of ``create --guide`` / ``edit --guide`` and the stage decision (digest §6, §4.5).

See :mod:`image_skill.guide.build` for the calling protocol and the deliberate differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from image_skill._js import (
    coalesce,
    flag_number,
    get,
    is_number,
    js_le,
    js_lt,
    js_trim,
    truthy,
)
from image_skill.commands import CommandContext
from image_skill.guide import fields as f
from image_skill.guide import text
from image_skill.guide.pricing import Pricing, guide_pricing
from image_skill.guide.recovery import DEFAULT_AGENT_NAME, DEFAULT_RUNTIME
from image_skill.guide.rows import promptless
from image_skill.guide.selection import (
    BUDGET_DRAFT,
    intent_class,
    select_model,
    suggested_aspect_ratio,
)

Envelope = dict[str, Any]
REQUEST_FAILED_CODE = "HOSTED_API_REQUEST_FAILED"
DEFAULT_INTENT = "explore"
CREATE = "create"
EDIT = "edit"
#: ``--output`` of the ready-stage create/edit command (ours): a free name in the working
#: directory, never an existing file.
DEFAULT_OUTPUT = "."


class ConfigWriteStatus(NamedTuple):
    """Result of the config-writability probe (gathered only at ``auth_required``)."""

    config_path: str
    writable: bool
    error_message: str | None = None
    parent_path: str | None = None  # defaults to dirname(config_path)
    parent_directories_prepared: bool | None = None  # defaults to ``writable``


@dataclass(frozen=True, kw_only=True)
class GuideInputs:
    """Everything the guide reads. Envelopes are the dicts the client produced.

    ``token_source`` is ``"stdin"``, ``"flag"``, ``"env"``, ``"config"`` or None (no token,
    so no quota call; ``quota`` is then ignored). ``max_usd_per_image`` is the raw flag text
    (read with JS ``Number()`` rules) or an already parsed number. ``api_base_url`` is the
    effective base shown in ``checks.hosted_api``; only ``explicit_api_base_url`` (the flag)
    is carried into commands, falling back to ``command_ctx.api_base_url``.
    ``idempotency_key`` is the create key (``create-guide-<ms>-<8hex>``); the input-image
    edit command uses the same key with ``create-guide-`` replaced by ``edit-guide-``. It is
    required (keyword-only) on purpose: a key reused across runs would make the server replay
    an earlier create instead of making a new one. ``saved_config_path`` is ``configPath()``.

    0.1.70 additions: ``operation`` is ``"create"`` or ``"edit"`` (``edit --guide``);
    ``input_reference`` is the edit guide's ``--input``; ``model_parameters`` is the user's
    ``--model-parameters-json`` object (carried into commands, and used for pricing);
    ``intent`` is the ``--intent`` flag as given (None when absent; ``explore`` is then used
    for selection and for create commands). Ours: ``agent_name`` and ``runtime`` fill the
    signup command, and ``output`` is the ready command's ``--output`` (None leaves it off).
    Environment carried into commands (config path, discovery source) is ``command_ctx.env``.
    """

    prompt: str = ""
    model: str | None = None
    provider: str | None = None
    intent: str | None = None
    max_usd_per_image: str | float | None = None
    api_base_url: str = "https://api.image-skill.com"
    explicit_api_base_url: str | None = None
    health: Envelope | None = None
    models: Envelope | None = None
    payments: Envelope | None = None
    token_source: str | None = None
    quota: Envelope | None = None
    saved_config_path: str
    config_write: ConfigWriteStatus | None = None
    command_ctx: CommandContext = field(default_factory=CommandContext)
    idempotency_key: str
    operation: str = CREATE
    input_reference: str | None = None
    model_parameters: dict[str, Any] | None = None
    agent_name: str = DEFAULT_AGENT_NAME
    runtime: str = DEFAULT_RUNTIME
    output: str | None = DEFAULT_OUTPUT

    @property
    def edit_guide(self) -> bool:
        return self.operation == EDIT


class GuideOutput(NamedTuple):
    data: dict[str, Any]
    actor: Any
    stage: str


def failed_envelope(envelope: Envelope | None) -> Envelope:
    if envelope is not None:
        return envelope
    return {
        "ok": False,
        "actor": None,
        "data": None,
        "error": {"code": REQUEST_FAILED_CODE, "message": text.REQUEST_FAILED, "retryable": True},
    }


def guide_pricing_of(
    model: dict[str, Any] | None,
    *,
    user_parameters: dict[str, Any] | None = None,
    intent: str = DEFAULT_INTENT,
    max_usd: float | None = None,
) -> Pricing:
    return guide_pricing(
        model,
        user_parameters=user_parameters,
        budget_draft=intent_class(intent) == BUDGET_DRAFT,
        max_usd=max_usd,
        aspect_ratio=suggested_aspect_ratio(model),
    )


class GuideState(NamedTuple):
    prompt: str
    intent: str
    max_usd: float | None
    health: Envelope
    models: Envelope
    payments: Envelope
    quota: Envelope | None
    model: dict[str, Any] | None
    stage: str
    #: A Pricing is an immutable value, so one shared default is safe.
    pricing: Pricing = guide_pricing_of(None)
    edit_guide: bool = False


def model_rows(models: Envelope) -> list[Any] | None:
    if not truthy(models.get("ok")):
        return None
    rows = get(models, "data", "models")
    return rows if truthy(rows) and isinstance(rows, list) else None


def remaining_credits(data: Any) -> Any:
    if data is None:
        return None
    limits = coalesce(get(data, "limits"), {})
    total = 0
    for key in ("remaining_credits", "payment_backed_remaining_credits"):
        value = get(limits, key)
        if is_number(value):
            total += value
    return total


def _daily_jobs_exhausted(data: Any, credits: Any) -> bool:
    """Daily cap reached, unless the cap only limits free-funded jobs and paid credits cover
    the job (the local backend says so with ``applies_to``; the npm guide has no such rule)."""
    if not isinstance(data, dict) or not isinstance(data.get("daily_jobs"), dict):
        return False
    jobs = data["daily_jobs"]
    if not ("remaining" in jobs and js_le(jobs["remaining"], 0)):
        return False
    if jobs.get("applies_to") == FREE_FUNDED_ONLY and is_number(credits):
        paid = get(coalesce(get(data, "limits"), {}), "payment_backed_remaining_credits")
        if is_number(paid) and not js_lt(paid, credits):
            return False
    return True


FREE_FUNDED_ONLY = "free_preview_funded_jobs"


def compute_state(inputs: GuideInputs) -> GuideState:
    prompt = js_trim(inputs.prompt)
    intent = inputs.intent if inputs.intent is not None else DEFAULT_INTENT
    max_usd = flag_number(inputs.max_usd_per_image)
    health, models = failed_envelope(inputs.health), failed_envelope(inputs.models)
    payments = failed_envelope(inputs.payments)
    quota = failed_envelope(inputs.quota) if inputs.token_source is not None else None
    rows = model_rows(models)
    model = None
    if rows is not None:
        model = select_model(
            rows,
            requested_model=inputs.model,
            prompt=prompt,
            intent=intent,
            max_usd=max_usd,
            edit_guide=inputs.edit_guide,
        )
    pricing = guide_pricing_of(
        model, user_parameters=inputs.model_parameters, intent=intent, max_usd=max_usd
    )
    credits = pricing.estimated_credits
    if prompt == "" and not promptless(model):
        stage = f.PROMPT_REQUIRED
    elif not truthy(health.get("ok")) or not truthy(models.get("ok")):
        stage = f.SERVICE_UNREACHABLE
    elif model is None:
        stage = f.NO_EXECUTABLE_MODEL
    elif quota is None:
        stage = f.AUTH_REQUIRED
    elif not truthy(quota.get("ok")):
        code = get(quota, "error", "code")
        stage = f.AUTH_REQUIRED if code == "AUTH_REQUIRED" else f.SERVICE_UNREACHABLE
    else:
        remaining = remaining_credits(quota.get("data"))
        if credits is not None and remaining is not None and js_lt(remaining, credits):
            stage = f.QUOTA_REQUIRED
        elif _daily_jobs_exhausted(quota.get("data"), credits):
            stage = f.QUOTA_REQUIRED
        else:
            stage = f.READY_TO_CREATE
    return GuideState(
        prompt,
        intent,
        max_usd,
        health,
        models,
        payments,
        quota,
        model,
        stage,
        pricing=pricing,
        edit_guide=inputs.edit_guide,
    )


def guide_stage(inputs: GuideInputs) -> str:
    """The stage the guide will report (independent of ``config_write``)."""
    return compute_state(inputs).stage


def needs_config_probe(inputs: GuideInputs) -> bool:
    """True when the caller must probe the config path before :func:`build_guide`."""
    return guide_stage(inputs) == f.AUTH_REQUIRED
