"""Server snapshots for the guide unit tests.

The hosted-like responses are the assumed server responses of the guide digest (§12.1);
the local-like model list has the shape of our offline backend's executable rows.
"""

from __future__ import annotations

import copy
from typing import Any

PROMPT = "a compact field camera on a stainless workbench"
CONFIG_PATH = "/home/agent/.config/image-skill/config.json"
KEY = "create-guide-1780000000000-1a2b3c4d"
EDIT_KEY = "edit-guide-1780000000000-1a2b3c4d"
API = "https://api.image-skill.com"
X402 = "stripe_x402.exact.usdc"

ACTOR = {
    "actor_type": "agent",
    "actor_id": "agt_123",
    "organization_id": "org_123",
    "claim_state": "unclaimed",
}


def envelope(data: Any, *, ok: bool = True, actor: Any = None, error: Any = None) -> dict:
    return {
        "ok": ok,
        "command": "api",
        "trace_id": "trace_server0000000001",
        "actor": actor,
        "data": data,
        "warnings": [],
        "error": error,
    }


def failure(code: str, message: str, *, retryable: bool = True) -> dict:
    return envelope(
        None, ok=False, error={"code": code, "message": message, "retryable": retryable}
    )


HEALTH = envelope({"status": "ok", "api_version": "2026-06-01"})
REQUEST_FAILED = failure("HOSTED_API_REQUEST_FAILED", "fetch failed")
NON_JSON_502 = failure(
    "HOSTED_API_NON_JSON_RESPONSE", "the API answered HTTP 502 without a JSON envelope"
)


def hosted_row(
    model_id: str,
    *,
    status: str = "available",
    modality: str = "image",
    supports: tuple[str, ...] = ("create",),
    credits: int,
    revenue: float,
    usd: float,
    media_input: dict | None = None,
) -> dict:
    return {
        "id": model_id,
        "display_name": model_id,
        "provider_id": model_id.split(".")[0],
        "status": status,
        "modality": modality,
        "supports": list(supports),
        "execution": {
            "model_execution_status": "executable",
            "artifact_storage": "image_skill_owned",
        },
        "economics": {
            "estimated_usd_per_image": usd,
            "cost_known": True,
            "credit_pricing": {
                "credits_required": credits,
                "credit_unit_usd": 0.01,
                "estimated_provider_cost_usd": usd,
                "estimated_revenue_usd": revenue,
                "pricing_confidence": "known",
            },
        },
        "media": {"input": media_input or {}, "output": {"max_outputs_per_request": 1}},
    }


HOSTED_ROWS = [
    hosted_row("openai.gpt-image-2", status="unavailable", credits=27, revenue=0.27, usd=0.21),
    hosted_row("fal.flux-dev", credits=4, revenue=0.04, usd=0.025),
    hosted_row("xai.grok-imagine-image-quality", credits=9, revenue=0.09, usd=0.07),
    hosted_row(
        "fal.ltx-video-13b-distilled",
        modality="video",
        credits=25,
        revenue=0.25,
        usd=0.2,
        media_input={"aspect_ratios": {"values": ["1:1", "16:9", "9:16"]}},
    ),
    hosted_row(
        "fal.stable-audio-25-text-to-audio", modality="audio", credits=13, revenue=0.13, usd=0.1
    ),
    hosted_row(
        "fal.trellis-image-to-3d",
        modality="3d",
        supports=("variation",),
        credits=3,
        revenue=0.03,
        usd=0.02,
        media_input={"images": {"required": True, "max": 1}},
    ),
]
SUMMARY = {"total": 6, "returned": 6, "available": 5, "executable": 6, "cataloged_not_wired": 12}


def models_envelope(rows: list[dict] | None = None, summary: dict | None = None) -> dict:
    rows = HOSTED_ROWS if rows is None else rows
    return envelope({"models": copy.deepcopy(rows), "summary": dict(summary or SUMMARY)})


MODELS = models_envelope()

CHECKOUT_METHOD = {
    "method_id": "stripe_checkout",
    "status": "available",
    "available": True,
    "quoteable": True,
    "purchasable": True,
    "live_money": True,
    "buyer_modes": ["hybrid", "human_only"],
    "requires_browser": True,
    "agent_initiated": True,
    "agent_settleable": False,
    "settlement_blocker": "checkout must be completed by a human in a browser",
    "default_pack_id": "starter-500",
    "limits": {"min_amount_cents": 50, "max_amount_cents": 50000},
    "recovery": {
        "quote_command": "image-skill credits quote --pack starter-500 --payment-method "
        "stripe_checkout --idempotency-key KEY --json",
        "purchase_command": "image-skill credits buy --provider stripe --quote-id QUOTE_ID "
        "--idempotency-key KEY --json",
        "status_command": "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID "
        "--json",
    },
}
X402_METHOD = {
    "method_id": X402,
    "status": "available",
    "available": True,
    "quoteable": True,
    "purchasable": True,
    "live_money": True,
    "buyer_modes": ["agent_only", "hybrid"],
    "requires_browser": False,
    "agent_initiated": True,
    "agent_settleable": True,
    "settlement_blocker": None,
    "default_pack_id": "starter-500",
    "limits": {"min_amount_cents": 50, "max_amount_cents": 50000},
    "recovery": {
        "quote_command": "image-skill credits quote --pack starter-500 --payment-method "
        "stripe_x402.exact.usdc --idempotency-key KEY --json",
        "purchase_command": "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID "
        "--idempotency-key KEY --json",
        "status_command": "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID "
        "--json",
    },
}


def payments_envelope(methods: list[dict] | None = None) -> dict:
    methods = [CHECKOUT_METHOD, X402_METHOD] if methods is None else methods
    return envelope(
        {
            "contract_version": "image-skill.payment-methods.v1",
            "credit_unit_cents": 1,
            "currency": "USD",
            "methods": copy.deepcopy(methods),
        }
    )


PAYMENTS = payments_envelope()


def simulated(method: dict) -> dict:
    """The same rail as our local backend reports it: not live money, simulated."""
    out = copy.deepcopy(method)
    out["live_money"] = False
    out["simulated"] = True
    out["settlement"] = "local_simulated"
    return out


def quota_envelope(remaining: int, *, daily_remaining: Any = 4, **extra: Any) -> dict:
    data = {
        "authenticated": True,
        "claim_state": "unclaimed",
        "token_status": "active",
        "limits": {"remaining_credits": remaining, "payment_backed_remaining_credits": 0},
        "daily_jobs": {"limit": 4, "used": 0, "remaining": daily_remaining},
    }
    data.update(extra)
    return envelope(data, actor=dict(ACTOR))


QUOTA_BROKE = quota_envelope(0)
QUOTA_RICH = quota_envelope(100)
QUOTA_INVALID = failure("AUTH_REQUIRED", "hosted token is invalid or revoked", retryable=False)

EXPECTED_SUGGESTED_COMMANDS = [
    "image-skill credits methods --json",
    "image-skill credits packs list --json",
    "image-skill credits quote --pack starter-500 --payment-method stripe_x402.exact.usdc "
    "--idempotency-key KEY --json",
    "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID --idempotency-key KEY "
    "--json",
    "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json",
    "image-skill credits quote --pack starter-500 --payment-method stripe_checkout "
    "--idempotency-key KEY --json",
    "image-skill credits buy --provider stripe --quote-id QUOTE_ID --idempotency-key KEY --json",
]


def local_row(
    model_id: str,
    *,
    modality: str,
    supports: tuple[str, ...],
    usd: float,
    default: bool = False,
    images_required: bool = False,
    ratios: list[str] | None = None,
    executable: bool = True,
) -> dict:
    credits = round(usd * 100)
    return {
        "id": model_id,
        "default": default,
        "local": model_id.startswith("local."),
        "modality": modality,
        "supports": list(supports),
        "status": "available" if executable else "catalog_only",
        "execution": {
            "model_execution_status": "executable" if executable else "cataloged_not_wired",
            "artifact_storage": "image_skill_owned",
        },
        "media": {
            "input": {
                "images": {"supported": images_required, "required": images_required},
                "aspect_ratios": {"values": ratios or []},
            }
        },
        "economics": {
            "estimated_usd_per_image": usd,
            "cost_known": True,
            "credit_pricing": {
                "credits_required": credits,
                "credit_unit_usd": 0.01,
                "estimated_provider_cost_usd": usd,
                "estimated_revenue_usd": usd,
                "pricing_confidence": "known",
            },
        },
    }


LOCAL_ROWS = [
    local_row(
        "local.image",
        modality="image",
        supports=("create",),
        usd=0.05,
        default=True,
        ratios=["1:1", "16:9"],
    ),
    local_row(
        "local.image-edit", modality="image", supports=("edit",), usd=0.04, images_required=True
    ),
    local_row(
        "local.video", modality="video", supports=("create",), usd=0.10, ratios=["1:1", "9:16"]
    ),
    local_row("local.audio", modality="audio", supports=("create",), usd=0.04),
    local_row(
        "local.image-to-3d",
        modality="3d",
        supports=("variation", "edit"),
        usd=0.02,
        images_required=True,
    ),
    local_row(
        "xai.grok-imagine-image-quality",
        modality="image",
        supports=("create",),
        usd=0.09,
        executable=False,
    ),
]


def build(**overrides: Any):
    """Run the guide on the §12.1 snapshots, probing (writable) when the stage asks for it."""
    from dataclasses import replace

    from image_skill.guide.build import (
        ConfigWriteStatus,
        GuideInputs,
        build_guide,
        needs_config_probe,
    )

    fields: dict[str, Any] = {
        "prompt": PROMPT,
        "api_base_url": API,
        "health": HEALTH,
        "models": MODELS,
        "payments": PAYMENTS,
        "saved_config_path": CONFIG_PATH,
        "idempotency_key": KEY,
    }
    fields.update(overrides)
    inputs = GuideInputs(**fields)
    if needs_config_probe(inputs) and inputs.config_write is None:
        inputs = replace(inputs, config_write=ConfigWriteStatus(CONFIG_PATH, writable=True))
    return build_guide(inputs)


#: Every price field of ``priced_row`` has its own value, so the output shows which one the
#: guide used at each fallback step (the hosted fixtures give several fields one value).
PRICES = {
    "credits": 23,
    "unit": 0.02,
    "revenue": 0.11,
    "usd": 0.05,
    "provider": 0.04,
    "fallback": 0.03,
}


def priced_row(
    model_id: str = "fal.priced-image",
    *,
    drop: tuple[str, ...] = (),
    modality: str = "image",
    supports: tuple[str, ...] = ("create",),
    media_input: dict | None = None,
    **prices: Any,
) -> dict:
    """A hosted-like row with the ``PRICES`` (overridden by ``prices``); the fields named in
    ``drop`` are left out (``"pricing"`` leaves out the whole ``credit_pricing`` object)."""
    p = PRICES | prices
    credit_pricing = {
        "credits_required": p["credits"],
        "credit_unit_usd": p["unit"],
        "estimated_revenue_usd": p["revenue"],
        "estimated_provider_cost_usd": p["provider"],
        "fallback_provider_cost_usd": p["fallback"],
        "pricing_confidence": "estimated",
    }
    names = {
        "credits": "credits_required",
        "unit": "credit_unit_usd",
        "revenue": "estimated_revenue_usd",
        "provider": "estimated_provider_cost_usd",
        "fallback": "fallback_provider_cost_usd",
    }
    for name in drop:
        credit_pricing.pop(names.get(name, name), None)
    economics: dict[str, Any] = {"estimated_usd_per_image": p["usd"], "cost_known": True}
    if "usd" in drop:
        del economics["estimated_usd_per_image"]
    if "pricing" not in drop:
        economics["credit_pricing"] = credit_pricing
    return {
        "id": model_id,
        "display_name": model_id,
        "provider_id": model_id.split(".")[0],
        "status": "available",
        "modality": modality,
        "supports": list(supports),
        "execution": {
            "model_execution_status": "executable",
            "artifact_storage": "image_skill_owned",
        },
        "economics": economics,
        "media": {"input": media_input or {}, "output": {"max_outputs_per_request": 1}},
    }


def compact_row(full: dict) -> dict:
    """The compact row a 0.1.41+ server returns for ``full`` (0.1.70 digest §3.3 keys, plus
    ``accepts_input_images`` / ``aspect_ratios`` that servers add for routing, §0.3)."""
    economics = full.get("economics") or {}
    pricing = economics.get("credit_pricing") or {}
    images = ((full.get("media") or {}).get("input") or {}).get("images") or {}
    ratios = ((full.get("media") or {}).get("input") or {}).get("aspect_ratios") or {}
    row = {
        "id": full["id"],
        "default": full.get("default") is True,
        "display_name": full.get("display_name", full["id"]),
        "provider_id": full.get("provider_id", full["id"].split(".")[0]),
        "mode": "create",
        "status": full.get("status"),
        "availability_reason": None,
        "modality": full.get("modality", "image"),
        "supports": list(full.get("supports") or []),
        "operations": [],
        "task_tags": [],
        "estimated_usd_per_image": economics.get("estimated_usd_per_image"),
        "credits_required": pricing.get("credits_required"),
        "pricing_confidence": pricing.get("pricing_confidence"),
        "cost_known": economics.get("cost_known", False),
        "budget_required_for_live": False,
        "max_outputs_per_request": 1,
        "max_resolution": None,
        "artifact_storage": "image_skill_owned",
        "model_execution_status": (full.get("execution") or {}).get("model_execution_status"),
        "grants_required": [],
        "show_command": f"image-skill models show {full['id']} --json",
    }
    if images.get("required") is True:
        row["accepts_input_images"] = True
    if isinstance(ratios.get("values"), list) and full.get("modality") == "video":
        row["aspect_ratios"] = list(ratios["values"])
    return row


COMPACT_HOSTED_ROWS = [compact_row(row) for row in HOSTED_ROWS]
COMPACT_LOCAL_ROWS = [compact_row(row) for row in LOCAL_ROWS]
