"""Create/edit request checks that run before any spend (and identically for dry runs).

Order (server digest §1.15): request shape (the request models of
:mod:`image_skill.api.requests`, checked before the route runs), model resolution,
``model_parameters`` (fail closed), output count, aspect ratio, input/mask/reference
assets (ownership in the caller's organization, media policy, model limits), prompt
policy, budget guards. Quota is checked by :mod:`.spend` inside the reservation
transaction. The result is a :class:`Plan`: everything the job needs, with no prompt text
outside ``Plan.prompt``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from image_skill.local.cli_commands import cli_command, render_recovery
from image_skill.local.errors import ApiError, invalid_arguments
from image_skill.local.jobs.references import check_references
from image_skill.local.media.geometry import crop_box
from image_skill.local.registry.data import Row
from image_skill.local.registry.models import (
    ParamsCheck,
    RegistryError,
    credit_quote_for,
    expected_output,
    validate_aspect_ratio,
    validate_model_parameters,
    validate_output_count,
)
from image_skill.local.registry.pricing import check_budget
from image_skill.local.registry.selection import Selection, choose_tier, select_model
from image_skill.local.store.db import Actor, sha256_hex

if TYPE_CHECKING:
    from image_skill.api.requests import CreateRequest, EditRequest

MAX_PROMPT_CHARS = 8000
MAX_IDEMPOTENCY_KEY_CHARS = 200
#: Offline stand-in for a provider's prompt policy: prompts containing this marker are
#: refused with ``CONTENT_POLICY_DENIED`` (lets tests and agents exercise exit 6).
POLICY_TEST_MARKERS = ("image-skill-policy-test:deny",)
#: ``max_credits_per_job`` for unclaimed agents (mirrors ``ledger.MAX_CREDITS_PER_JOB``).
UNCLAIMED_MAX_CREDITS_PER_JOB = 200
_REGISTRY_STATUS = {"MODEL_PARAMETERS_INVALID": 400}
_STRING_FIELDS = ("provider", "model", "intent", "aspect_ratio")
UPLOAD_COMMAND = "image-skill upload PATH --json"


@dataclass
class JobRequest:
    """A create/edit body after type checks (values as sent, nothing resolved yet)."""

    operation: str
    raw: dict[str, Any]
    prompt: str | None = None
    provider: str | None = None
    model: str | None = None
    intent: str | None = None
    aspect_ratio: str | None = None
    references: list[dict[str, Any]] = field(default_factory=list)
    output_count: Any = None
    max_estimated_usd_per_image: Any = None
    max_usd: Any = None
    model_parameters: Any = None
    idempotency_key: str | None = None
    dry_run: bool = False
    accept_unknown_cost: bool = False
    input_asset_id: str | None = None
    mask_asset_id: str | None = None


@dataclass
class Plan:
    """A validated job: the model, accepted parameters, assets, price and receipts."""

    request: JobRequest
    selection: Selection
    params: ParamsCheck
    params_receipt: dict[str, Any]
    output_count: int
    aspect_ratio: str | None
    output: dict[str, Any]
    quote: dict[str, Any]
    input_asset: dict[str, Any] | None = None
    mask_asset: dict[str, Any] | None = None
    references: list[dict[str, Any]] = field(default_factory=list)
    reference_assets: list[dict[str, Any]] = field(default_factory=list)

    @property
    def row(self) -> Row:
        return self.selection.row

    @property
    def operation(self) -> str:
        return self.request.operation

    @property
    def prompt(self) -> str | None:
        return self.request.prompt

    @property
    def credits_required(self) -> int:
        credits = self.quote["credit_pricing"]["credits_required"]
        return int(credits or 0)

    @property
    def seed(self) -> int:
        value = self.params.accepted.get("seed", 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    def selection_receipt(self) -> dict[str, Any]:
        return self.selection.receipt(self.params_receipt, self.output)

    def cost(self) -> dict[str, Any]:
        pricing = self.quote["credit_pricing"]
        return {
            "estimated_usd": self.quote["estimated_usd"],
            "provider_reported_usd_ticks": None,
            "credit_pricing": {
                key: pricing[key]
                for key in (
                    "credit_unit_usd",
                    "credits_required",
                    "estimated_provider_cost_usd",
                    "fallback_provider_cost_usd",
                    "estimated_revenue_usd",
                    "pricing_confidence",
                )
            },
        }

    def prompt_fingerprint(self) -> tuple[str | None, int | None]:
        """``(sha256, length)`` of the prompt; the only prompt facts that are stored."""
        if self.prompt is None:
            return None, None
        return sha256_hex(self.prompt), len(self.prompt)


def registry_api_error(err: RegistryError, base: str) -> ApiError:
    """A registry/pricing refusal as an API error (400; exit code from the code).

    The pure registry states its commands as plain ``image-skill ...`` text; they are aimed
    at ``base`` here (see :mod:`.cli_commands`).
    """
    recovery = render_recovery(base, {**err.details, **(err.recovery or {})})
    return ApiError(
        _REGISTRY_STATUS.get(err.code, 400), err.code, err.message, recovery=recovery or None
    )


# ------------------------------------------------------------------------ parsing


def parse_request(operation: str, body: CreateRequest | EditRequest, base: str) -> JobRequest:
    """The job request of a create/edit body whose shape and types the request model
    already checked (see :mod:`image_skill.local.routes.bodies`); raises
    ``INVALID_ARGUMENTS`` for the value rules that are not types.

    ``base`` aims the commands in refusals (see :mod:`.cli_commands`).
    """
    from image_skill.api.requests import EditRequest

    req = JobRequest(operation=operation, raw=body.to_body(), prompt=body.prompt)
    for name in _STRING_FIELDS:
        value = getattr(body, name)
        setattr(req, name, value.strip() if isinstance(value, str) and value.strip() else None)
    req.references = [ref.to_body() for ref in body.references or ()]
    req.output_count = body.output_count
    req.max_estimated_usd_per_image = body.max_estimated_usd_per_image
    req.max_usd = body.max_usd
    req.model_parameters = body.model_parameters
    key = body.idempotency_key
    if key is not None:
        if not key.strip() or not key.isprintable():
            raise invalid_arguments("idempotency_key must be a non-empty printable string")
        if len(key) > MAX_IDEMPOTENCY_KEY_CHARS:
            raise invalid_arguments(
                f"idempotency_key must be at most {MAX_IDEMPOTENCY_KEY_CHARS} characters"
            )
        req.idempotency_key = key
    req.dry_run = body.dry_run
    req.accept_unknown_cost = body.accept_unknown_cost
    if isinstance(body, EditRequest):
        for name in ("input_asset_id", "mask_asset_id"):
            value = getattr(body, name)
            if value is None:
                continue
            if not value.strip():
                raise invalid_arguments(f"{name} must be a non-empty asset id")
            setattr(req, name, value.strip())
        if req.input_asset_id is None:
            raise invalid_arguments(
                "edit requires input_asset_id (an owned image asset id)",
                recovery={"suggested_command": cli_command(base, UPLOAD_COMMAND)},
            )
    return req


# ------------------------------------------------------------------------ planning


def _asset_not_found(field_name: str, base: str) -> ApiError:
    return ApiError(
        404,
        "ASSET_NOT_FOUND",
        f"{field_name} does not name an asset of your organization",
        recovery={"field": field_name, "suggested_command": cli_command(base, UPLOAD_COMMAND)},
    )


def policy_denied(message: str, **recovery: Any) -> ApiError:
    return ApiError(422, "INPUT_POLICY_DENIED", message, recovery=recovery or None)


def _owned(
    conn: sqlite3.Connection, org: str, asset_id: str, field_name: str, base: str
) -> dict[str, Any]:
    from image_skill.local.store.assets import get_asset

    row = get_asset(conn, org, asset_id)
    if row is None:
        raise _asset_not_found(field_name, base)
    return row


def _input_assets(conn: sqlite3.Connection, actor: Actor, plan: Plan, base: str) -> None:
    req, row = plan.request, plan.row
    media_in = row["media"]["input"]
    images = media_in["images"]
    if req.input_asset_id is not None:
        if not images["supported"]:
            raise invalid_arguments(f"model {row['id']} does not take an input image")
        asset = _owned(conn, actor.organization_id, req.input_asset_id, "input_asset_id", base)
        if asset["mime_type"] not in images["mime_types"]:
            raise policy_denied(
                f"input asset is {asset['mime_type']}; {row['id']} needs one of "
                + ", ".join(images["mime_types"]),
                field="input_asset_id",
            )
        plan.input_asset = asset
    elif images["required"]:
        raise invalid_arguments(f"model {row['id']} requires an input image")
    if req.mask_asset_id is not None:
        if not media_in["mask"]["supported"]:
            raise invalid_arguments(
                f"model {row['id']} does not accept a mask",
                recovery={
                    "suggested_command": cli_command(
                        base, "image-skill models list --available --json"
                    )
                },
            )
        mask = _owned(conn, actor.organization_id, req.mask_asset_id, "mask_asset_id", base)
        if not str(mask["mime_type"]).startswith("image/"):
            raise policy_denied("mask_asset_id must be an image asset", field="mask_asset_id")
        plan.mask_asset = mask
    elif media_in["mask"]["required"]:
        raise invalid_arguments(f"model {row['id']} requires mask_asset_id")


def _prompt_policy(req: JobRequest, row: Row) -> None:
    rules = row["media"]["input"]["prompt"]
    given = req.prompt is not None and req.prompt.strip() != ""
    if not rules["supported"]:
        if given:
            raise invalid_arguments(
                f"model {row['id']} is promptless; omit the prompt",
                recovery={"model_id": row["id"]},
            )
        req.prompt = None
        return
    if rules["required"] and not given:
        raise invalid_arguments(
            f"a non-empty prompt is required for model {row['id']}",
            recovery={"required_flag": "--prompt"},
        )
    assert req.prompt is not None or not rules["required"]
    if req.prompt is not None and len(req.prompt) > MAX_PROMPT_CHARS:
        raise invalid_arguments(f"prompt must be at most {MAX_PROMPT_CHARS} characters")
    lowered = (req.prompt or "").lower()
    if any(marker in lowered for marker in POLICY_TEST_MARKERS):
        raise ApiError(
            422,
            "CONTENT_POLICY_DENIED",
            "the prompt was refused by the content policy",
            recovery={"policy": "local_blocklist"},
        )


def _edit_output(plan: Plan) -> dict[str, Any]:
    """Expected size of an edit: the input's size, center-cropped to a given ratio."""
    out: dict[str, Any] = {
        "resolution_class": "source",
        "expected_width": None,
        "expected_height": None,
        "expected_min_short_edge": None,
    }
    asset = plan.input_asset or {}
    width, height = asset.get("width"), asset.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or width < 1 or height < 1:
        return out
    left, top, right, bottom = crop_box(width, height, plan.aspect_ratio)
    w, h = right - left, bottom - top
    out.update(expected_width=w, expected_height=h, expected_min_short_edge=min(w, h))
    return out


def _unclaimed_limits(actor: Actor | None, plan: Plan) -> None:
    if actor is not None and actor.claim_state != "unclaimed":
        return
    if plan.credits_required > UNCLAIMED_MAX_CREDITS_PER_JOB:
        raise ApiError(
            403,
            "CAPABILITY_DENIED",
            f"this job needs {plan.credits_required} credits; unclaimed agents are limited "
            f"to {UNCLAIMED_MAX_CREDITS_PER_JOB} credits per job",
            recovery={"max_credits_per_job": UNCLAIMED_MAX_CREDITS_PER_JOB},
        )


def build_plan(
    conn: sqlite3.Connection, actor: Actor | None, req: JobRequest, *, base: str
) -> Plan:
    """Run every pre-spend check and return the plan (raises ``ApiError`` on refusal).

    ``base`` aims the commands in refusals (see :mod:`.cli_commands`).
    """
    try:
        return _build_plan(conn, actor, req, base)
    except RegistryError as err:
        raise registry_api_error(err, base) from None


def _build_plan(conn: sqlite3.Connection, actor: Actor | None, req: JobRequest, base: str) -> Plan:
    selection = select_model(
        req.operation, model=req.model, provider=req.provider, intent=req.intent, base=base
    )
    row = selection.row
    user_params = {} if req.model_parameters is None else req.model_parameters
    count = validate_output_count(row, req.output_count)
    if isinstance(user_params, dict):
        choose_tier(
            selection,
            user_params=user_params,
            output_count=count,
            max_estimated_usd_per_image=req.max_estimated_usd_per_image,
        )
        user_params = {**user_params, **selection.policy_params}
    source = None if selection.explicit else "default_policy"
    params = validate_model_parameters(row, user_params, source=source)
    params_receipt = params.receipt()
    params_receipt["defaults_applied"] = [
        f"{k}={v}" for k, v in selection.policy_params.items()
    ] + list(params.defaults_applied)
    aspect = validate_aspect_ratio(row, req.aspect_ratio)
    plan = Plan(
        request=req,
        selection=selection,
        params=params,
        params_receipt=params_receipt,
        output_count=count,
        aspect_ratio=aspect,
        output={},
        quote=credit_quote_for(row, count, params.accepted),
    )
    if actor is not None:
        _input_assets(conn, actor, plan, base)
        plan.references, plan.reference_assets = check_references(
            conn, actor.organization_id, row, req.references, base=base
        )
    elif req.references or req.input_asset_id or req.mask_asset_id:
        raise invalid_arguments("references and input assets need an authenticated agent")
    plan.output = (
        _edit_output(plan)
        if req.operation == "edit" and row["modality"] == "image"
        else expected_output(row, params.accepted, aspect)
    )
    _prompt_policy(req, row)
    check_budget(
        plan.quote,
        max_estimated_usd_per_image=req.max_estimated_usd_per_image,
        max_usd=req.max_usd,
        accept_unknown_cost=req.accept_unknown_cost,
    )
    _unclaimed_limits(actor, plan)
    return plan
