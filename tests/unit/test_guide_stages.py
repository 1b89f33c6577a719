"""The guide's stage matrix (0.1.30 digest §2.4, §6, §9.10, §12): one case per row and failure.

Updated for contract 0.1.70 (digest contract-0.1.70.md): where a value differs from 0.1.30 the
constant below cites the section that changed it. The hosted fixture's default model is
``xai.grok-imagine-image-quality``, which 0.1.70 re-prices with its ``resolution=2k`` default
(§4.4): 12 credits and a 0.12 guard instead of 0.1.30's 9 and 0.09.
"""

from __future__ import annotations

import copy
import json
import shlex
from dataclasses import replace
from typing import Any

import pytest
from guide_fixtures import (
    ACTOR,
    API,
    CHECKOUT_METHOD,
    CONFIG_PATH,
    EXPECTED_SUGGESTED_COMMANDS,
    HEALTH,
    KEY,
    MODELS,
    NON_JSON_502,
    PAYMENTS,
    PROMPT,
    QUOTA_BROKE,
    QUOTA_INVALID,
    QUOTA_RICH,
    REQUEST_FAILED,
    X402_METHOD,
    build,
    envelope,
    failure,
    payments_envelope,
    quota_envelope,
)

from image_skill.commands import CommandContext
from image_skill.guide import text as T
from image_skill.guide.build import (
    ConfigWriteStatus,
    GuideInputs,
    build_guide,
    guide_stage,
    needs_config_probe,
)
from image_skill.guide.placeholders import PLACEHOLDERS, TABLE

QUALITY = "xai.grok-imagine-image-quality"
QP = shlex.quote(PROMPT)
GUIDE_P = f"image-skill create --guide --prompt {QP} --json"
# §1.1/§4.7: signup is anonymous (no contact). Ours: real name and runtime, no placeholder.
# Ours: the guide's prompt rides along, so signup's next_step reruns the guide with it.
SIGNUP = (
    f"IMAGE_SKILL_GUIDE_PROMPT={QP} "
    "image-skill signup --agent --agent-name image-skill-python-agent --runtime python --json"
)
# §4.4: the re-priced guard 0.12.
DRY = (
    f"image-skill create --dry-run --model {QUALITY} --prompt {QP} --intent explore "
    "--max-estimated-usd-per-image 0.12 --json"
)
# Ours: the live command saves the result in the working directory (--output .).
LIVE = (
    f"image-skill create --model {QUALITY} --prompt {QP} --intent explore "
    "--max-estimated-usd-per-image 0.12 --idempotency-key create-guide-1780000000000-1a2b3c4d "
    "--output . --json"
)
QUOTE_X402 = EXPECTED_SUGGESTED_COMMANDS[2]
QUOTE_CHECKOUT = EXPECTED_SUGGESTED_COMMANDS[5]
MODELS_LIST = "image-skill models list --json"
GENERIC_DRY = "image-skill create --dry-run --prompt PROMPT --json"
# §4.13 (since 0.1.49): the default quote command has no KEY.
DEFAULT_QUOTE = (
    "image-skill credits quote --pack starter-500 --payment-method stripe_x402.exact.usdc --json"
)

# §4.6: emission order in 0.1.70 (``placeholders`` is ours, last).
DATA_KEYS = [
    "schema",
    "agent_skill",
    "ready",
    "stage",
    "checks",
    "selection",
    "cost",
    "blocker",
    "guide_warning",
    "auth_ready",
    "next_command",
    "next_command_copy_runnable",
    "next_command_missing_inputs",
    "next_command_effect",
    "no_spend_next_command",
    "no_spend_next_command_label",
    "no_spend_next_command_effect",
    "no_spend_evaluation",
    "guide_recovery",
    "recommended_no_spend_command",
    "recommended_no_spend_command_label",
    "recommended_no_spend_command_effect",
    "self_fund_next_command",
    "self_fund_next_command_label",
    "self_fund_handoff",
    "self_fund_preparation",
    "after_next",
    "auth_handoff",
    "escape_hatches",
    "mutation",
    "placeholders",
]
# §9.1, rendered with our prefix.
AGENT_SKILL = {
    "url": "https://image-skill.com/skill.md",
    "llms_url": "https://image-skill.com/llms.txt",
    "cli_docs_url": "https://image-skill.com/cli.md",
    "read_command": "curl -fsSL https://image-skill.com/skill.md",
    "recommended_start_command": "image-skill create --guide --prompt PROMPT --json",
    "model_discovery_command": (
        "image-skill models list --available --operation image.generate --json"
    ),
    "model_inspection_command": "image-skill models show MODEL_ID --json",
    "no_spend": True,
    "purpose": T.AGENT_SKILL_PURPOSE,
}


def missing(token: str) -> dict[str, Any]:
    """One ``next_command_missing_inputs`` entry (§0.2)."""
    row = next(r for r in TABLE if r.token == token)
    return {
        "flag": row.flag,
        "placeholder": token,
        "value_description": PLACEHOLDERS[token],
        "example": row.example,
    }


def effect_placeholder(token: str) -> dict[str, Any]:
    row = next(r for r in TABLE if r.token == token)
    return {"token": token, "description": row.description, "required": True}


PAYMENTS_CHECK = {
    "checked": True,
    "live_money_methods": ["stripe_checkout", "stripe_x402.exact.usdc"],
    "requires_browser": False,
    "browserless_methods": ["stripe_x402.exact.usdc"],
    "agent_initiated_methods": ["stripe_checkout", "stripe_x402.exact.usdc"],
    "agent_payable_methods": ["stripe_x402.exact.usdc"],
    "agent_settleable_methods": ["stripe_x402.exact.usdc"],
    "human_handoff_methods": ["stripe_checkout"],
    "preferred_method": "stripe_x402.exact.usdc",
    "preferred_method_summary": {
        "method_id": "stripe_x402.exact.usdc",
        "live_money": True,
        "requires_browser": False,
        "browserless": True,
        "agent_initiated": True,
        "agent_settleable": True,
        "human_handoff_required": False,
        "buyer_modes": ["agent_only", "hybrid"],
        "settlement_blocker": None,
        "default_pack_id": "starter-500",
        "min_amount_cents": 50,
        "max_amount_cents": 50000,
        "top_up_path": "browserless_agent_self_fund",
        "next_step": "quote_buy_status_then_rerun_after_next",
        "warning": T.W_PM_SELF_FUND,
    },
    "buyer_modes": ["hybrid", "human_only", "agent_only"],
    "suggested_commands": EXPECTED_SUGGESTED_COMMANDS,
}
EMPTY_PAYMENTS_CHECK = {
    "checked": False,
    "live_money_methods": [],
    "requires_browser": False,
    "browserless_methods": [],
    "agent_initiated_methods": [],
    "agent_payable_methods": [],
    "agent_settleable_methods": [],
    "human_handoff_methods": [],
    "preferred_method": None,
    "preferred_method_summary": None,
    "buyer_modes": [],
    "suggested_commands": [
        "image-skill credits methods --json",
        "image-skill credits packs list --json",
        DEFAULT_QUOTE,
        EXPECTED_SUGGESTED_COMMANDS[3],
        EXPECTED_SUGGESTED_COMMANDS[4],
    ],
}
SELECTION_QUALITY = {
    "operation": "create",
    "model_id": QUALITY,
    "model_status": "available",
    "model_execution_status": "executable",
    "modality": "image",
    "suggested_aspect_ratio": None,
    "reason": T.R_QUALITY,
}
# §4.4 (verified there): the xAI quality model re-priced at its 2k default.
COST_12 = {
    "estimated_credits": 12,
    "estimated_usd_per_image": 0.12,
    "estimated_debit_usd_per_image": 0.12,
    "estimated_provider_usd_per_image": 0.07,
    "credit_unit_usd": 0.01,
    "pricing_confidence": "known",
    "pricing_source": "model_parameters",
    "model_parameter_defaults_applied": ["resolution=2k"],
}
COST_NONE = {
    "estimated_credits": None,
    "estimated_usd_per_image": None,
    "estimated_debit_usd_per_image": None,
    "estimated_provider_usd_per_image": None,
    "credit_unit_usd": 0.01,
    "pricing_confidence": None,
    "pricing_source": None,
    "model_parameter_defaults_applied": [],
}
MUTATION = dict.fromkeys(
    ["provider_call", "hosted_create", "hosted_signup", "payment_object", "credit_debit"], False
) | {"media_write": False}
INERT_EVALUATION = {
    "stop_here": False,
    "stop_stage": "ready_to_create",
    "stop_reason": None,
    "next_command_is_live_create": False,
    "live_create_command_field": None,
    "live_create_allowed_when": None,
    "recommended_command_field": None,
    "recommended_command": None,
    "recommended_command_label": None,
    "recommended_command_effect": None,
    "warning": None,
}
NO_SPEND_EFFECT = {
    "label": "dry_run_planned_job_no_provider_call_no_credit_debit_no_media_write",
    "no_spend": True,
    "provider_call": False,
    "hosted_create": False,
    "hosted_create_dry_run": True,
    "hosted_signup": False,
    "payment_object": False,
    "credit_debit": False,
    "media_write": False,
    "planned_job": True,
    "plan_receipt": True,
    "activity_event": "job.planned",
    "estimated_credits": 12,
    "estimated_debit_usd_per_image": 0.12,
    "warning": T.NS_EFFECT,
}
DRY_LABEL = "dry_run_plan_no_provider_call_no_credit_debit_no_media_write"
HANDOFF_METHODS = ["IMAGE_SKILL_TOKEN", "--token-stdin", "config"]


def effect(label: str, *tokens: str, **changes: Any) -> dict[str, Any]:
    """A ``next_command_effect``; ``tokens`` are the placeholders of its command (§4.10)."""
    base = {
        "label": label,
        "no_spend": True,
        "provider_call": False,
        "hosted_create": False,
        "hosted_signup": False,
        "payment_object": False,
        "credit_debit": False,
        "media_write": False,
        "estimated_credits": None,
        "estimated_debit_usd_per_image": None,
        "copy_runnable": not tokens,
        "requires_placeholder_substitution": bool(tokens),
        "placeholders": [effect_placeholder(t) for t in tokens],
        "warning": None,
    }
    base.update(changes)
    return base


def warning(stage: str, safety: str, field: str, text: str, **changes: Any) -> dict[str, Any]:
    base = {
        "stage": stage,
        "no_spend_safe": True,
        "live_money_action": False,
        "spend_required": False,
        "provider_call": False,
        "payment_object": False,
        "credit_debit": False,
        "media_write": False,
        "payment_top_up_path": None,
        "next_command_safety": safety,
        "recommended_command_field": field,
        "warning": text,
    }
    base.update(changes)
    return base


def auth_ready(ready: bool, source: str, requires: bool, text: str | None) -> dict[str, Any]:
    return {
        "ready": ready,
        "authenticated": ready,
        "source": source,
        "saved_config_path": CONFIG_PATH,
        "next_command_requires_auth": requires,
        "next_command_auth_ready": ready if requires else None,
        "secret_value_included": False,
        "accepted_methods": ["config", "IMAGE_SKILL_TOKEN", "--token-stdin"],
        "warning": text,
    }


def hatches(model: str | None = QUALITY, dry_run: str = DRY) -> dict[str, str]:
    return {
        "doctor": "image-skill doctor --json",
        "model_inspection": f"image-skill models show {model} --json" if model else MODELS_LIST,
        "payment_methods": "image-skill credits methods --json",
        "quota": "image-skill usage quota --json",
        "dry_run": dry_run,
    }


def checks(
    *,
    source: str = "none",
    quota: dict[str, Any] | None = None,
    config_write: Any = None,
    payments: dict[str, Any] | None = None,
    authenticated: bool = False,
    claim_state: Any = None,
    token_status: Any = None,
) -> dict[str, Any]:
    return {
        "hosted_api": {"reachable": True, "status": "ok", "api_base_url": API, "error_code": None},
        "auth": {
            "source": source,
            "authenticated": authenticated,
            "claim_state": claim_state,
            "token_status": token_status,
            "saved_config_path": CONFIG_PATH,
            "config_write": config_write,
        },
        "models": {
            "reachable": True,
            "executable_count": 6,
            "cataloged_not_wired_count": 12,
            "error_code": None,
        },
        "quota": quota
        or {
            "checked": False,
            "authenticated": False,
            "remaining_credits": None,
            "required_credits": 12,
            "daily_jobs_remaining": None,
            "top_up": None,
            "reason": "auth_required",
        },
        "payments": payments or PAYMENTS_CHECK,
    }


def data(stage: str, **fields: Any) -> dict[str, Any]:
    """A full expected ``data`` object: the fields common to non-ready stages, overridden."""
    base: dict[str, Any] = {
        "schema": "image-skill.create-guide.v1",
        "agent_skill": AGENT_SKILL,
        "ready": False,
        "stage": stage,
        "checks": checks(),
        "selection": SELECTION_QUALITY,
        "cost": COST_12,
        "blocker": None,
        "guide_warning": None,
        "auth_ready": auth_ready(False, "none", False, None),
        "next_command": None,
        "next_command_copy_runnable": True,
        "next_command_missing_inputs": [],
        "next_command_effect": None,
        "no_spend_next_command": None,
        "no_spend_next_command_label": None,
        "no_spend_next_command_effect": None,
        "no_spend_evaluation": INERT_EVALUATION,
        "guide_recovery": None,
        "recommended_no_spend_command": None,
        "recommended_no_spend_command_label": None,
        "recommended_no_spend_command_effect": None,
        "self_fund_next_command": None,
        "self_fund_next_command_label": None,
        "self_fund_handoff": None,
        "self_fund_preparation": None,
        "after_next": None,
        "auth_handoff": None,
        "escape_hatches": hatches(),
        "mutation": MUTATION,
        "placeholders": {},
    }
    unknown = set(fields) - set(base)
    assert not unknown, unknown
    base.update(fields)
    if base["guide_recovery"] is None:
        base["guide_recovery"] = recovery_of(base)
    return base


GUARD_WARNINGS = {
    "ready_to_create": T.GR_LIVE_CREATE,
    "quota_required": T.GR_LIVE_PAYMENT,
}


def recovery_of(expected: dict[str, Any]) -> dict[str, Any]:
    """The §4.11 table applied to an expected ``data`` object."""
    stage = expected["stage"]
    if stage == "ready_to_create":
        field, command = "recommended_no_spend_command", expected["recommended_no_spend_command"]
        live = ("next_command", None)
    elif stage == "quota_required":
        field, command = "escape_hatches.quota", expected["escape_hatches"]["quota"]
        live = (None, "self_fund_next_command")
    else:
        field, command = "next_command", expected["next_command"]
        live = (None, None)
    blocker = expected["blocker"]
    inputs = [missing(t) for t in PLACEHOLDERS if f" {t} " in f" {command} "]
    return {
        "schema": "image-skill.guide-recovery.v1",
        "stage": stage,
        "precondition_code": blocker["code"] if blocker else None,
        "precondition_message": blocker["message"] if blocker else None,
        "no_spend_command": command,
        "no_spend_command_field": field,
        "no_spend_command_copy_runnable": not inputs,
        "no_spend_command_missing_inputs": inputs,
        "after_success_command": expected["after_next"],
        "after_success_command_field": "after_next" if expected["after_next"] else None,
        "live_create_command_field": live[0],
        "live_payment_command_field": live[1],
        "double_spend_guard": {
            "required": stage in GUARD_WARNINGS,
            "safe_rerun_command_field": field,
            "warning": GUARD_WARNINGS.get(stage, T.GR_NOTHING_LIVE),
        },
    }


def ph(*words: str) -> dict[str, str]:
    """The expected placeholders block: these words, in this order."""
    return {word: PLACEHOLDERS[word] for word in words}


def assert_data(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(actual) == DATA_KEYS
    for key in DATA_KEYS:
        assert actual[key] == expected[key], key


def with_env(cmd: str) -> str:
    return 'IMAGE_SKILL_TOKEN="$IMAGE_SKILL_TOKEN" ' + cmd


def with_stdin(cmd: str) -> str:
    return "printf '%s\\n' \"$IMAGE_SKILL_TOKEN\" | " + cmd + " --token-stdin"


# --- prompt_required -------------------------------------------------------------------


def test_prompt_required_example_a() -> None:
    out = build(prompt="")
    expected = data(
        "prompt_required",
        blocker={"code": "prompt_required", "message": T.B_PROMPT},
        # §4.10: a command with placeholders gets the template variant of the warning
        guide_warning=warning(
            "prompt_required",
            "rerun_guide_no_spend",
            "next_command",
            T.template_variant(T.GW_PROMPT),
        ),
        next_command="image-skill create --guide --prompt PROMPT --json",
        next_command_copy_runnable=False,
        next_command_missing_inputs=[missing("PROMPT")],
        next_command_effect=effect("rerun_guide_with_prompt", "PROMPT"),
        escape_hatches=hatches(dry_run=GENERIC_DRY),
        placeholders=ph("PROMPT"),
    )
    assert_data(out.data, expected)
    assert out.actor is None
    assert out.stage == "prompt_required"


def test_prompt_required_wins_over_unreachable_api_and_keeps_valid_token_ready() -> None:
    out = build(
        prompt=" \u00a0\ufeff",
        health=REQUEST_FAILED,
        models=REQUEST_FAILED,
        payments=REQUEST_FAILED,
    )
    assert out.data["stage"] == "prompt_required"
    assert out.data["selection"] is None
    assert out.data["checks"]["hosted_api"]["reachable"] is False
    # A valid token at prompt_required still reports auth as ready.
    ready = build(prompt="", token_source="config", quota=QUOTA_RICH)
    assert ready.data["stage"] == "prompt_required"
    # §4.10: next_command holds PROMPT, so the template variant of the warning.
    ready_text = T.template_variant(T.AR_READY)
    assert ready.data["auth_ready"] == auth_ready(True, "config", False, ready_text)
    assert ready.actor == ACTOR


# --- service_unreachable ---------------------------------------------------------------


def unreachable_checks(**kw: Any) -> dict[str, Any]:
    out = checks(payments=EMPTY_PAYMENTS_CHECK, **kw)
    out["hosted_api"] = {
        "reachable": False,
        "status": None,
        "api_base_url": API,
        "error_code": "HOSTED_API_REQUEST_FAILED",
    }
    out["models"] = {
        "reachable": False,
        "executable_count": 0,
        "cataloged_not_wired_count": 0,
        "error_code": "HOSTED_API_REQUEST_FAILED",
    }
    out["quota"]["required_credits"] = None
    return out


READONLY_WARNING = warning(
    "service_unreachable", "read_only_inspection_no_spend", "next_command", T.GW_READONLY
)


@pytest.mark.parametrize("down", [None, REQUEST_FAILED], ids=["none", "failure-envelope"])
def test_service_unreachable_api_down_without_token(down: Any) -> None:
    out = build(health=down, models=down, payments=down)
    expected = data(
        "service_unreachable",
        checks=unreachable_checks(),
        selection=None,
        cost=COST_NONE,
        blocker={"code": "service_unreachable", "message": T.B_SERVICE},
        guide_warning=READONLY_WARNING,
        next_command=MODELS_LIST,
        next_command_effect=effect("read_only_or_no_media_setup"),
        escape_hatches=hatches(None, GENERIC_DRY),
    )
    assert_data(out.data, expected)
    assert out.actor is None


def test_service_unreachable_api_down_with_env_token_surfaces_quota_message() -> None:
    out = build(
        health=REQUEST_FAILED,
        models=REQUEST_FAILED,
        payments=REQUEST_FAILED,
        token_source="env",
        quota=REQUEST_FAILED,
    )
    quota = {
        "checked": True,
        "authenticated": False,
        "remaining_credits": None,
        "required_credits": None,
        "daily_jobs_remaining": None,
        "top_up": None,
        "reason": "HOSTED_API_REQUEST_FAILED",
    }
    expected = data(
        "service_unreachable",
        checks=unreachable_checks(source="env", quota=quota),
        selection=None,
        cost=COST_NONE,
        blocker={"code": "service_unreachable", "message": "fetch failed"},
        guide_warning=READONLY_WARNING,
        auth_ready=auth_ready(False, "env", False, None),
        next_command=MODELS_LIST,
        next_command_effect=effect("read_only_or_no_media_setup"),
        escape_hatches=hatches(None, GENERIC_DRY),
    )
    assert_data(out.data, expected)
    # A quota call that produced nothing at all is a transport failure too.
    none_quota = build(health=None, models=None, payments=None, token_source="env", quota=None)
    assert none_quota.data["checks"]["quota"]["reason"] == "HOSTED_API_REQUEST_FAILED"
    assert none_quota.data["blocker"]["message"] == T.REQUEST_FAILED


def test_service_unreachable_models_non_json_502() -> None:
    out = build(models=NON_JSON_502)
    assert out.data["stage"] == "service_unreachable"
    assert out.data["checks"]["hosted_api"] == {
        "reachable": True,
        "status": "ok",
        "api_base_url": API,
        "error_code": None,
    }
    assert out.data["checks"]["models"] == {
        "reachable": False,
        "executable_count": 0,
        "cataloged_not_wired_count": 0,
        "error_code": "HOSTED_API_NON_JSON_RESPONSE",
    }
    assert out.data["checks"]["payments"] == PAYMENTS_CHECK
    assert out.data["selection"] is None
    assert out.data["cost"] == COST_NONE
    assert out.data["next_command"] == MODELS_LIST
    assert out.data["blocker"] == {"code": "service_unreachable", "message": T.B_SERVICE}
    assert out.data["escape_hatches"] == hatches(None, GENERIC_DRY)


def test_service_unreachable_health_not_ok_still_reads_status() -> None:
    health = envelope({"status": "degraded"}, ok=False, error={"code": "UNHEALTHY"})
    out = build(health=health, token_source="env", quota=QUOTA_RICH)
    assert out.data["stage"] == "service_unreachable"
    assert out.data["checks"]["hosted_api"] == {
        "reachable": False,
        "status": "degraded",
        "api_base_url": API,
        "error_code": "UNHEALTHY",
    }
    # The model was still selected, so the dry-run escape hatch is the full one.
    assert out.data["selection"] == SELECTION_QUALITY
    assert out.data["escape_hatches"] == hatches()
    # Quota was fine, so the blocker falls back to our own sentence.
    assert out.data["blocker"]["message"] == T.B_SERVICE
    assert out.data["auth_ready"] == auth_ready(True, "env", False, T.AR_READY)
    assert out.actor == ACTOR


@pytest.mark.parametrize(
    ("quota", "reason", "message"),
    [
        (failure("QUOTA_STORE_DOWN", "quota store down"), "QUOTA_STORE_DOWN", "quota store down"),
        (failure("UNAUTHORIZED", "nope"), "UNAUTHORIZED", "nope"),
        (
            failure("HOSTED_API_NON_JSON_RESPONSE", "HTTP 503 without envelope"),
            "HOSTED_API_NON_JSON_RESPONSE",
            "HTTP 503 without envelope",
        ),
        (envelope(None, ok=False, error={}), "quota_unavailable", T.B_SERVICE),
    ],
)
def test_service_unreachable_quota_errors(quota: Any, reason: str, message: str) -> None:
    out = build(token_source="env", quota=quota)
    assert out.data["stage"] == "service_unreachable"
    assert out.data["checks"]["quota"] == {
        "checked": True,
        "authenticated": False,
        "remaining_credits": None,
        "required_credits": 12,
        "daily_jobs_remaining": None,
        "top_up": None,
        "reason": reason,
    }
    assert out.data["blocker"] == {"code": "service_unreachable", "message": message}
    assert out.data["next_command"] == MODELS_LIST
    assert out.data["auth_handoff"] is None
    assert out.data["guide_warning"] == READONLY_WARNING
    assert out.actor is None


# --- no_executable_model ---------------------------------------------------------------


def test_no_executable_model_unknown_requested_model() -> None:
    out = build(model="nope.model", token_source="env", quota=QUOTA_RICH)
    quota = {
        "checked": True,
        "authenticated": True,
        "remaining_credits": 100,
        "required_credits": None,
        "daily_jobs_remaining": 4,
        "top_up": None,
        "reason": None,
    }
    expected = data(
        "no_executable_model",
        checks=checks(
            source="env",
            quota=quota,
            authenticated=True,
            claim_state="unclaimed",
            token_status="active",
        ),
        selection=None,
        cost=COST_NONE,
        blocker={"code": "no_executable_model", "message": f"{T.B_REQ_MODEL}: nope.model"},
        guide_warning=warning(
            "no_executable_model", "read_only_inspection_no_spend", "next_command", T.GW_READONLY
        ),
        auth_ready=auth_ready(True, "env", False, T.AR_READY),
        next_command=MODELS_LIST,
        next_command_effect=effect("read_only_or_no_media_setup"),
        escape_hatches=hatches(None, GENERIC_DRY),
    )
    assert_data(out.data, expected)
    assert out.actor == ACTOR


def test_no_executable_model_requested_but_unavailable() -> None:
    out = build(model="openai.gpt-image-2")
    assert out.data["stage"] == "no_executable_model"
    assert out.data["blocker"]["message"] == f"{T.B_REQ_MODEL}: openai.gpt-image-2"


@pytest.mark.parametrize(
    "models_data",
    [
        {"summary": {"executable": 0}},
        {"models": None},
        {"models": []},
        {"models": {"not": "a list"}},
        {"models": [{"id": "x", "status": "available", "supports": ["create"]}]},
    ],
    ids=["missing", "null", "empty", "object", "not-executable"],
)
def test_no_executable_model_from_the_registry(models_data: dict[str, Any]) -> None:
    out = build(models=envelope(models_data))
    assert out.data["stage"] == "no_executable_model"
    assert out.data["selection"] is None
    assert out.data["blocker"] == {"code": "no_executable_model", "message": T.B_NO_MODEL}
    assert out.data["next_command"] == MODELS_LIST
    assert out.data["checks"]["models"]["reachable"] is True
    assert out.data["cost"] == COST_NONE


# --- auth_required ---------------------------------------------------------------------


def auth_required_expected(
    *, source: str = "none", quota: dict[str, Any] | None = None, config_write: Any = None
) -> dict[str, Any]:
    config_write = config_write or {
        "writable": True,
        "config_path": CONFIG_PATH,
        "parent_path": "/home/agent/.config/image-skill",
        "parent_directories_prepared": True,
        "error_message": None,
        "recovery": None,
    }
    return data(
        "auth_required",
        checks=checks(source=source, quota=quota, config_write=config_write),
        blocker={"code": "auth_required", "message": T.B_AUTH},
        guide_warning=warning(
            "auth_required", "hosted_signup_no_spend_setup", "next_command", T.GW_SIGNUP
        ),
        auth_ready=auth_ready(False, source, False, T.AR_NOT_READY),
        next_command=SIGNUP,
        next_command_effect=effect(
            "hosted_signup_restricted_agent_identity", hosted_signup=True, warning=T.EF_SIGNUP
        ),
        after_next=GUIDE_P,
        auth_handoff={
            "required": True,
            "token_source": "none",
            "secret_value_included": False,
            "accepted_methods": HANDOFF_METHODS,
            "signup": {
                "returns_token_once": True,
                "public_cli_saves_config": True,
                "store_token_in": "public_cli_config_by_default",
                "config_path": CONFIG_PATH,
                "config_writable": True,
                "preferred_save_config": None,
                "recovery": None,
            },
            "rerun_guide": {"with_env": with_env(GUIDE_P), "with_stdin": with_stdin(GUIDE_P)},
            "next_command": None,
        },
        # ours: the signup command runs as printed, so it holds no placeholder
        placeholders={},
    )


def test_auth_required_example_b_writable() -> None:
    out = build()
    assert_data(out.data, auth_required_expected())
    assert out.actor is None


FALLBACK = 'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" '
# §4.9 keeps the keys; the signup in it is the anonymous one (§1.1). Ours: filled-in name and
# runtime (0.1.70 prints NAME / RUNTIME), so both recovery commands run as printed.
RECOVERY = {
    "config_path_env": "IMAGE_SKILL_CONFIG_PATH",
    "suggested_config_path": "$PWD/.image-skill/config.json",
    "suggested_command": FALLBACK + SIGNUP,
    "fallback_command": SIGNUP + " --show-token --no-save",
    "fallback_auth_method": "--token-stdin",
    "docs_url": "https://image-skill.com/cli.md#local-config-and-install",
}


def test_auth_required_variant_b_prime_config_not_writable() -> None:
    message = "EACCES: permission denied, mkdir '/home/agent/.config'"
    status = ConfigWriteStatus(CONFIG_PATH, writable=False, error_message=message)
    out = build(config_write=status)
    signup = FALLBACK + SIGNUP
    expected = auth_required_expected(
        config_write={
            "writable": False,
            "config_path": CONFIG_PATH,
            "parent_path": "/home/agent/.config/image-skill",
            "parent_directories_prepared": False,
            "error_message": message,
            "recovery": RECOVERY,
        }
    )
    expected["next_command"] = signup
    expected["auth_handoff"] = copy.deepcopy(expected["auth_handoff"])
    expected["auth_handoff"]["signup"] = {
        "returns_token_once": True,
        "public_cli_saves_config": True,
        "store_token_in": "public_cli_config_after_setting_IMAGE_SKILL_CONFIG_PATH",
        "config_path": CONFIG_PATH,
        "config_writable": False,
        "preferred_save_config": {
            "config_path_env": "IMAGE_SKILL_CONFIG_PATH",
            "config_path": "$PWD/.image-skill/config.json",
            "command": signup,
        },
        "recovery": RECOVERY,
    }
    # §4.9 (0.1.31+): every guide command carries the fallback path, so the rerun reads the
    # config where signup saved it.
    rerun = FALLBACK + GUIDE_P
    expected["after_next"] = rerun
    expected["auth_handoff"]["rerun_guide"] = {
        "with_env": 'IMAGE_SKILL_TOKEN="$IMAGE_SKILL_TOKEN" ' + rerun,
        "with_stdin": "printf '%s\\n' \"$IMAGE_SKILL_TOKEN\" | " + rerun + " --token-stdin",
    }
    expected["escape_hatches"] = {k: FALLBACK + v for k, v in hatches().items()}
    expected["agent_skill"] = {
        k: FALLBACK + v if k.endswith("_command") and k != "read_command" else v
        for k, v in AGENT_SKILL.items()
    }
    expected["guide_recovery"] = recovery_of(expected)
    expected["checks"]["payments"] = copy.deepcopy(PAYMENTS_CHECK)
    expected["checks"]["payments"]["suggested_commands"] = [
        FALLBACK + c for c in EXPECTED_SUGGESTED_COMMANDS
    ]
    assert_data(out.data, expected)


def test_auth_required_variant_b_second_invalid_token() -> None:
    out = build(token_source="env", quota=QUOTA_INVALID)
    quota = {
        "checked": True,
        "authenticated": False,
        "remaining_credits": None,
        "required_credits": 12,
        "daily_jobs_remaining": None,
        "top_up": None,
        "reason": "AUTH_REQUIRED",
    }
    assert_data(out.data, auth_required_expected(source="env", quota=quota))
    assert out.data["auth_handoff"]["token_source"] == "none"
    assert out.actor is None


def test_config_probe_protocol() -> None:
    base = GuideInputs(
        prompt=PROMPT,
        health=HEALTH,
        models=MODELS,
        payments=PAYMENTS,
        saved_config_path=CONFIG_PATH,
        idempotency_key=KEY,
    )
    assert guide_stage(base) == "auth_required"
    assert needs_config_probe(base)
    with pytest.raises(ValueError, match="config_write"):
        build_guide(base)
    for other in (
        replace(base, prompt=""),
        replace(base, token_source="env", quota=QUOTA_RICH),
        replace(base, token_source="env", quota=QUOTA_BROKE),
        replace(base, models=None),
    ):
        assert not needs_config_probe(other)
        # A probe result supplied at another stage is ignored.
        probed = replace(other, config_write=ConfigWriteStatus(CONFIG_PATH, writable=False))
        assert build_guide(probed).data["checks"]["auth"]["config_write"] is None


# --- quota_required --------------------------------------------------------------------


def quota_check(remaining: Any, daily: Any = 4) -> dict[str, Any]:
    return {
        "checked": True,
        "authenticated": True,
        "remaining_credits": remaining,
        "required_credits": 12,
        "daily_jobs_remaining": daily,
        "top_up": None,
        "reason": None,
    }


WALLET = {
    "method_id": "stripe_x402.exact.usdc",
    "wallet_required": True,
    "browser_required": False,
    "network": "base",
    "token_currency": "usdc",
    "exact_amount_required": True,
    "secret_value_included": False,
    "payable_instructions_fields": {
        "buy_response": "data.stripe_x402.payable_instructions",
        "status_response": "data.payment_attempt.stripe_x402.payable_instructions",
    },
    "amount_atomic_field": "token_amount_atomic",
    "destination_field": "deposit_address",
    "status_command_after_payment": EXPECTED_SUGGESTED_COMMANDS[4],
    "next_step": T.WS_NEXT_STEP,
    "credential_boundary": T.WS_BOUNDARY,
    "warning": T.WS_WARNING,
}


def test_quota_required_example_c_x402_preferred() -> None:
    out = build(token_source="env", quota=QUOTA_BROKE)
    token_next = {
        "requires_auth": True,
        "reuse_current_auth_context": "env",
        "with_env": with_env(QUOTE_X402),
        "with_stdin": with_stdin(QUOTE_X402),
    }
    expected = data(
        "quota_required",
        checks=checks(
            source="env",
            quota=quota_check(0),
            authenticated=True,
            claim_state="unclaimed",
            token_status="active",
        ),
        blocker={"code": "quota_required", "message": T.b_quota("12", "0")},
        # the server's quote command holds KEY: template variants (§4.10)
        guide_warning=warning(
            "quota_required",
            "live_money_payment_action",
            "escape_hatches",
            T.template_variant(T.GW_QUOTA_SELF_FUND),
            no_spend_safe=False,
            live_money_action=True,
            spend_required=True,
            payment_object=True,
            payment_top_up_path="browserless_agent_self_fund",
        ),
        auth_ready=auth_ready(True, "env", True, T.template_variant(T.AR_READY)),
        next_command=QUOTE_X402,
        next_command_copy_runnable=False,
        next_command_missing_inputs=[missing("KEY")],
        next_command_effect=effect(
            "payment_or_quota_action",
            "KEY",
            no_spend=False,
            payment_object=True,
            warning=T.EF_QUOTA,
        ),
        self_fund_next_command=QUOTE_X402,
        self_fund_next_command_label="browserless_agent_payable_quote",
        # §4.13: new key order, urgency trio (no top_up here), first_safe_command
        self_fund_handoff={
            "required": True,
            "preferred_method": "stripe_x402.exact.usdc",
            "urgency": None,
            "urgency_score": None,
            "urgency_reasons": [],
            "live_money": True,
            "browserless": True,
            "agent_initiated": True,
            "agent_settleable": True,
            "human_handoff_required": False,
            "first_safe_command": "image-skill credits methods --json",
            "first_safe_command_effect": {
                "label": "inspect_payment_methods_no_spend",
                "no_spend": True,
                "live_money": False,
                "provider_call": False,
                "hosted_create": False,
                "payment_object": False,
                "credit_debit": False,
                "media_write": False,
            },
            "inspect_methods_command": "image-skill credits methods --json",
            "inspect_packs_command": "image-skill credits packs list --json",
            "payment_commands": {
                "quote": QUOTE_X402,
                "buy": EXPECTED_SUGGESTED_COMMANDS[3],
                "status": EXPECTED_SUGGESTED_COMMANDS[4],
            },
            "wallet_settlement": WALLET,
            "after_next": GUIDE_P,
            "auth": {
                "token_source": "env",
                "secret_value_included": False,
                "accepted_methods": HANDOFF_METHODS,
                "next_command": token_next,
            },
            "warning": T.SF_AGENT,
        },
        after_next=GUIDE_P,
        auth_handoff={
            "required": True,
            "token_source": "env",
            "secret_value_included": False,
            "accepted_methods": HANDOFF_METHODS,
            "signup": None,
            "rerun_guide": None,
            "next_command": token_next,
        },
        placeholders=ph("KEY", "QUOTE_ID", "PAYMENT_ATTEMPT_ID"),
    )
    assert_data(out.data, expected)
    assert out.actor == ACTOR


def test_quota_required_variant_c_prime_checkout_only() -> None:
    out = build(
        token_source="stdin", quota=QUOTA_BROKE, payments=payments_envelope([CHECKOUT_METHOD])
    )
    summary = out.data["checks"]["payments"]["preferred_method_summary"]
    assert summary == {
        "method_id": "stripe_checkout",
        "live_money": True,
        "requires_browser": True,
        "browserless": False,
        "agent_initiated": True,
        "agent_settleable": False,
        "human_handoff_required": True,
        "buyer_modes": ["hybrid", "human_only"],
        "settlement_blocker": "checkout must be completed by a human in a browser",
        "default_pack_id": "starter-500",
        "min_amount_cents": 50,
        "max_amount_cents": 50000,
        "top_up_path": "human_payment_handoff",
        "next_step": "quote_buy_open_checkout_status_then_rerun_after_next",
        "warning": T.W_PM_HUMAN,
    }
    assert out.data["checks"]["payments"]["requires_browser"] is True
    assert out.data["next_command"] == QUOTE_CHECKOUT
    assert out.data["self_fund_next_command_label"] == "human_handoff_payment_quote"
    handoff = out.data["self_fund_handoff"]
    assert handoff["payment_commands"] == {
        "quote": QUOTE_CHECKOUT,
        "buy": EXPECTED_SUGGESTED_COMMANDS[6],
        "status": EXPECTED_SUGGESTED_COMMANDS[4],
    }
    assert handoff["wallet_settlement"] is None
    assert handoff["human_handoff_required"] is True
    assert handoff["warning"] == T.SF_HANDOFF
    assert handoff["auth"]["token_source"] == "stdin"
    assert out.data["guide_warning"]["payment_top_up_path"] == "human_payment_handoff"
    # the checkout quote holds KEY: template variant (§4.10)
    assert out.data["guide_warning"]["warning"] == T.template_variant(T.GW_QUOTA_HUMAN)


def test_quota_required_variant_c_second_payment_methods_500() -> None:
    payments = envelope(None, ok=False, error={"code": "INTERNAL", "message": "boom"})
    out = build(token_source="env", quota=QUOTA_BROKE, payments=payments)
    assert out.data["stage"] == "quota_required"
    assert out.data["checks"]["payments"] == EMPTY_PAYMENTS_CHECK
    # §4.13: the default quote has no KEY, so it runs as printed
    assert out.data["next_command"] == DEFAULT_QUOTE
    assert out.data["next_command_copy_runnable"] is True
    assert out.data["next_command_missing_inputs"] == []
    assert out.data["self_fund_next_command_label"] == "payment_or_quota_action"
    handoff = out.data["self_fund_handoff"]
    assert handoff["preferred_method"] is None
    assert [handoff[k] for k in ("live_money", "browserless", "agent_initiated")] == [False] * 3
    assert handoff["agent_settleable"] is False
    assert handoff["human_handoff_required"] is False
    assert handoff["payment_commands"] == {
        "quote": DEFAULT_QUOTE,
        "buy": EXPECTED_SUGGESTED_COMMANDS[3],
        "status": EXPECTED_SUGGESTED_COMMANDS[4],
    }
    assert handoff["wallet_settlement"] is None
    assert handoff["warning"] == T.SF_HANDOFF
    assert out.data["guide_warning"]["payment_top_up_path"] is None
    assert out.data["guide_warning"]["warning"] == T.GW_QUOTA_OTHER


def test_payment_methods_failure_with_data_is_still_read() -> None:
    payments = payments_envelope([X402_METHOD])
    payments["ok"] = False
    out = build(token_source="env", quota=QUOTA_BROKE, payments=payments)
    assert out.data["checks"]["payments"]["preferred_method"] == "stripe_x402.exact.usdc"
    assert out.data["checks"]["payments"]["checked"] is True


@pytest.mark.parametrize("daily", [0, None, -1], ids=["zero", "null", "negative"])
def test_quota_required_variant_c_third_daily_jobs(daily: Any) -> None:
    out = build(token_source="env", quota=quota_envelope(100, daily_remaining=daily))
    assert out.data["stage"] == "quota_required"
    assert out.data["checks"]["quota"] == quota_check(100, daily)
    assert out.data["blocker"] == {"code": "quota_required", "message": T.b_quota("12", "100")}


def test_quota_required_when_ok_quota_has_no_limits() -> None:
    quota = envelope({"authenticated": True}, actor=ACTOR)
    out = build(token_source="flag", quota=quota)
    assert out.data["stage"] == "quota_required"
    assert out.data["checks"]["quota"]["remaining_credits"] == 0
    assert out.data["checks"]["quota"]["daily_jobs_remaining"] is None


def test_paid_credits_count_towards_remaining() -> None:
    quota = quota_envelope(0)
    quota["data"]["limits"]["payment_backed_remaining_credits"] = 12
    out = build(token_source="env", quota=quota)
    assert out.data["stage"] == "ready_to_create"
    assert out.data["checks"]["quota"]["remaining_credits"] == 12
    # the re-priced 12 credits (§4.4) are what the quota is compared with: 11 is too few
    quota["data"]["limits"]["payment_backed_remaining_credits"] = 11
    assert build(token_source="env", quota=quota).data["stage"] == "quota_required"


# --- ready_to_create -------------------------------------------------------------------

# §4.14 without a quota top_up: a quote is possible (preferred rail + quote command), not
# recommended, and the server's quote holds KEY, so no pre-wall self_fund_next_command.
PREPARATION = {
    "available": True,
    "recommended": False,
    "recommendation_reason": None,
    "urgency": None,
    "urgency_score": None,
    "urgency_reasons": [],
    "preferred_method": "stripe_x402.exact.usdc",
    "top_up_path": "browserless_agent_self_fund",
    "inspect_methods_command": "image-skill credits methods --json",
    "inspect_packs_command": "image-skill credits packs list --json",
    "quote_command": QUOTE_X402,
    "quote_command_copy_runnable": False,
    "quote_command_effect": {
        "label": "live_money_quote_no_charge",
        "no_spend": True,
        "live_money": True,
        "provider_call": False,
        "hosted_create": False,
        "payment_object": True,
        "credit_debit": False,
        "media_write": False,
        "requires_wallet_for_buy": True,
        "max_amount_cents": 50000,
        "warning": T.SP_QUOTE_EFFECT,
    },
    "after_next": None,
    "auth": {
        "quote_command_requires_auth": True,
        "token_source": "env",
        "secret_value_included": False,
        "accepted_methods": ["IMAGE_SKILL_TOKEN", "--token-stdin", "config"],
    },
    "warning": T.SP_READY,
}


def test_ready_to_create_example_d() -> None:
    out = build(token_source="env", quota=QUOTA_RICH)
    token_next = {
        "requires_auth": True,
        "reuse_current_auth_context": "env",
        "with_env": with_env(LIVE),
        "with_stdin": with_stdin(LIVE),
    }
    evaluation = {
        "stop_here": True,
        "stop_stage": "ready_to_create",
        "stop_reason": T.NS_STOP_REASON,
        "next_command_is_live_create": True,
        "live_create_command_field": "next_command",
        "live_create_allowed_when": "media_spend_allowed",
        "recommended_command_field": "recommended_no_spend_command",
        "recommended_command": DRY,
        "recommended_command_label": DRY_LABEL,
        "recommended_command_effect": NO_SPEND_EFFECT,
        "warning": T.NS_WARNING,
    }
    expected = data(
        "ready_to_create",
        ready=True,
        checks=checks(
            source="env",
            quota=quota_check(100),
            authenticated=True,
            claim_state="unclaimed",
            token_status="active",
        ),
        guide_warning=warning(
            "ready_to_create",
            "live_media_create_credit_debit",
            "recommended_no_spend_command",
            T.GW_READY,
            no_spend_safe=False,
            spend_required=True,
            provider_call=True,
            credit_debit=True,
            media_write=True,
        ),
        auth_ready=auth_ready(True, "env", True, T.AR_READY),
        next_command=LIVE,
        next_command_effect=effect(
            "live_media_create_credit_debit",
            no_spend=False,
            provider_call=True,
            hosted_create=True,
            credit_debit=True,
            media_write=True,
            estimated_credits=12,
            estimated_debit_usd_per_image=0.12,
            warning=T.EF_READY,
        ),
        no_spend_next_command=DRY,
        no_spend_next_command_label=DRY_LABEL,
        no_spend_next_command_effect=NO_SPEND_EFFECT,
        no_spend_evaluation=evaluation,
        recommended_no_spend_command=DRY,
        recommended_no_spend_command_label=DRY_LABEL,
        recommended_no_spend_command_effect=NO_SPEND_EFFECT,
        auth_handoff={
            "required": True,
            "token_source": "env",
            "secret_value_included": False,
            "accepted_methods": HANDOFF_METHODS,
            "signup": None,
            "rerun_guide": None,
            "next_command": token_next,
        },
        self_fund_preparation=PREPARATION,
    )
    assert_data(out.data, expected)
    assert out.actor == ACTOR
    # The two no-spend effects are equal but not the same object.
    data_ = out.data
    assert data_["recommended_no_spend_command_effect"] is not data_["no_spend_next_command_effect"]


def with_flag(command: str, api: str) -> str:
    """``command`` with ``--api-base-url api`` before its trailing ``--json``."""
    assert command.endswith(" --json")
    return command[: -len(" --json")] + f" --api-base-url {api} --json"


def test_ready_variant_d_prime_explicit_api_base_url() -> None:
    # Our difference (see image_skill.guide.commands): the escape hatches carry the flag too.
    out = build(token_source="env", quota=QUOTA_RICH, explicit_api_base_url=API)
    assert out.data["checks"]["hosted_api"]["api_base_url"] == API
    assert out.data["next_command"] == with_flag(LIVE, API)
    assert out.data["no_spend_next_command"] == with_flag(DRY, API)
    assert out.data["escape_hatches"] == {
        key: with_flag(value, API) for key, value in hatches().items()
    }


def test_api_base_url_flag_reaches_every_rendered_command() -> None:
    local = "http://127.0.0.1:8787"
    signup = build(
        explicit_api_base_url=local,
        config_write=ConfigWriteStatus(CONFIG_PATH, writable=False, error_message="EACCES"),
    )
    assert signup.data["next_command"] == (
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" ' + with_flag(SIGNUP, local)
    )
    assert signup.data["after_next"] == (
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" ' + with_flag(GUIDE_P, local)
    )
    recovery = signup.data["checks"]["auth"]["config_write"]["recovery"]
    assert recovery == {
        **RECOVERY,
        "suggested_command": with_flag(RECOVERY["suggested_command"], local),
        "fallback_command": RECOVERY["fallback_command"] + f" --api-base-url {local}",
    }
    prompt = build(prompt="", explicit_api_base_url=local)
    assert prompt.data["next_command"] == (
        f"image-skill create --guide --prompt PROMPT --api-base-url {local} --json"
    )
    assert prompt.data["escape_hatches"]["dry_run"] == with_flag(GENERIC_DRY, local)
    quota = build(explicit_api_base_url=local, token_source="env", quota=QUOTA_BROKE)
    # the payment next_command, the handoff steps and (since 0.1.32, §4.13) the summary's
    # suggested commands all reach the same server
    assert quota.data["next_command"] == with_flag(QUOTE_X402, local)
    assert quota.data["self_fund_handoff"]["payment_commands"]["quote"] == with_flag(
        QUOTE_X402, local
    )
    assert quota.data["checks"]["payments"]["suggested_commands"] == [
        with_flag(c, local) for c in EXPECTED_SUGGESTED_COMMANDS
    ]
    # The context's own api_base_url is used when no explicit value is given.
    ctx = build(
        command_ctx=CommandContext(api_base_url="local"), token_source="env", quota=QUOTA_RICH
    )
    assert ctx.data["next_command"].endswith(" --api-base-url local --json")
    assert ctx.data["escape_hatches"]["doctor"] == "image-skill doctor --api-base-url local --json"
    # An env-provided base URL (api_base_url only) is shown but never written into commands.
    env_only = build(api_base_url=local, token_source="env", quota=QUOTA_RICH)
    assert env_only.data["checks"]["hosted_api"]["api_base_url"] == local
    assert "--api-base-url" not in json.dumps(env_only.data)


def test_ready_variant_video() -> None:
    prompt = "a 5 second video clip of waves at dusk"
    out = build(prompt=prompt, token_source="env", quota=QUOTA_RICH)
    assert out.data["selection"] == {
        "operation": "create",
        "model_id": "fal.ltx-video-13b-distilled",
        "model_status": "available",
        "model_execution_status": "executable",
        "modality": "video",
        "suggested_aspect_ratio": "16:9",
        "reason": T.R_VIDEO,
    }
    assert out.data["cost"] == {
        "estimated_credits": 25,
        "estimated_usd_per_image": 0.25,
        "estimated_debit_usd_per_image": 0.25,
        "estimated_provider_usd_per_image": 0.2,
        "credit_unit_usd": 0.01,
        "pricing_confidence": "known",
        "pricing_source": None,
        "model_parameter_defaults_applied": [],
    }
    qp = shlex.quote(prompt)
    assert out.data["next_command"] == (
        f"image-skill create --model fal.ltx-video-13b-distilled --prompt {qp} --intent explore "
        "--aspect-ratio 16:9 --max-estimated-usd-per-image 0.25 "
        "--idempotency-key create-guide-1780000000000-1a2b3c4d --output . --json"
    )
    assert out.data["no_spend_next_command"] == (
        f"image-skill create --dry-run --model fal.ltx-video-13b-distilled --prompt {qp} "
        "--intent explore --aspect-ratio 16:9 --max-estimated-usd-per-image 0.25 --json"
    )


def test_ready_variant_3d_uses_edit_and_edit_key() -> None:
    out = build(prompt="a textured 3D model of a chair", token_source="env", quota=QUOTA_RICH)
    assert out.data["selection"] == {
        "operation": "edit",
        "model_id": "fal.trellis-image-to-3d",
        "model_status": "available",
        "model_execution_status": "executable",
        "modality": "3d",
        "suggested_aspect_ratio": None,
        "reason": T.R_3D,
    }
    assert out.data["cost"]["estimated_credits"] == 3
    assert out.data["next_command"] == (
        "image-skill edit --input image_... --model fal.trellis-image-to-3d "
        "--max-estimated-usd-per-image 0.03 "
        "--idempotency-key edit-guide-1780000000000-1a2b3c4d --output . --json"
    )
    assert out.data["no_spend_next_command"] == (
        "image-skill edit --dry-run --input image_... --model fal.trellis-image-to-3d "
        "--max-estimated-usd-per-image 0.03 --json"
    )


def test_ready_with_unauthenticated_quota_reports_auth_not_ready() -> None:
    quota = quota_envelope(100, authenticated=False)
    out = build(token_source="config", quota=quota)
    assert out.data["stage"] == "ready_to_create"
    assert out.data["auth_ready"] == auth_ready(False, "config", True, None)
    assert out.data["checks"]["auth"]["authenticated"] is False


def test_daily_jobs_null_does_not_crash_and_is_ignored() -> None:
    quota = quota_envelope(100)
    quota["data"]["daily_jobs"] = None
    out = build(token_source="env", quota=quota)
    assert out.data["stage"] == "ready_to_create"
    assert out.data["checks"]["quota"]["daily_jobs_remaining"] is None


def test_provider_flag_and_budget_render_into_create_commands() -> None:
    out = build(
        token_source="env",
        quota=QUOTA_RICH,
        provider="xai",
        intent="final",
        max_usd_per_image="0.125",
    )
    assert out.data["next_command"] == (
        f"image-skill create --provider xai --model {QUALITY} --prompt {QP} --intent final "
        "--max-estimated-usd-per-image 0.13 "
        "--idempotency-key create-guide-1780000000000-1a2b3c4d --output . --json"
    )
    empty_budget = build(token_source="env", quota=QUOTA_RICH, max_usd_per_image="")
    assert "--max-estimated-usd-per-image 0 " in empty_budget.data["next_command"]
    impossible = build(token_source="env", quota=QUOTA_RICH, max_usd_per_image="0.01")
    assert impossible.data["selection"]["model_id"] == QUALITY
    assert "--max-estimated-usd-per-image 0.01 " in impossible.data["next_command"]


def test_custom_prefix_and_env_reach_every_rendered_command() -> None:
    ctx = CommandContext(prefix=("/opt/py 3/bin/python", "-m", "image_skill"))
    out = build(token_source="env", quota=QUOTA_BROKE, command_ctx=ctx)
    prefix = "'/opt/py 3/bin/python' -m image_skill "
    assert out.data["next_command"] == prefix + QUOTE_X402.removeprefix("image-skill ")
    assert out.data["after_next"] == prefix + GUIDE_P.removeprefix("image-skill ")
    for command in out.data["escape_hatches"].values():
        assert command.startswith(prefix)
    # Since 0.1.32 (§4.13) the summary's server strings run with the prefix too.
    assert out.data["checks"]["payments"]["suggested_commands"] == [
        prefix + c.removeprefix("image-skill ") for c in EXPECTED_SUGGESTED_COMMANDS
    ]
    env_ctx = CommandContext(env=(("IMAGE_SKILL_CONFIG_PATH", "/tmp/a b.json"),))
    ready = build(token_source="env", quota=QUOTA_RICH, command_ctx=env_ctx)
    assert ready.data["next_command"] == "IMAGE_SKILL_CONFIG_PATH='/tmp/a b.json' " + LIVE
    assert ready.data["auth_handoff"]["next_command"]["with_env"] == with_env(
        "IMAGE_SKILL_CONFIG_PATH='/tmp/a b.json' " + LIVE
    )


def test_stage_matrix_quick_reference() -> None:
    """§9.10: the per-stage booleans in one table."""
    cases = {
        "prompt_required": build(prompt=""),
        "service_unreachable": build(health=None, models=None, payments=None),
        "no_executable_model": build(model="nope"),
        "auth_required": build(),
        "quota_required": build(token_source="env", quota=QUOTA_BROKE),
        "ready_to_create": build(token_source="env", quota=QUOTA_RICH),
    }
    rows = {
        # stage: (no_spend_safe, live_money_action, spend_required, requires_auth)
        "prompt_required": (True, False, False, False),
        "service_unreachable": (True, False, False, False),
        "no_executable_model": (True, False, False, False),
        "auth_required": (True, False, False, False),
        "quota_required": (False, True, True, True),
        "ready_to_create": (False, False, True, True),
    }
    for stage, out in cases.items():
        d = out.data
        assert d["stage"] == stage
        assert d["ready"] is (stage == "ready_to_create")
        gw = d["guide_warning"]
        assert (
            gw["no_spend_safe"],
            gw["live_money_action"],
            gw["spend_required"],
            d["auth_ready"]["next_command_requires_auth"],
        ) == rows[stage]
        assert (d["blocker"] is None) is (stage == "ready_to_create")
        assert (d["checks"]["auth"]["config_write"] is not None) is (stage == "auth_required")
        assert (d["after_next"] is not None) is (stage in ("auth_required", "quota_required"))
        assert (d["self_fund_handoff"] is not None) is (stage == "quota_required")
        assert (d["no_spend_next_command"] is not None) is (stage == "ready_to_create")
        assert d["mutation"] == MUTATION
        assert d["schema"] == "image-skill.create-guide.v1"


def test_idempotency_key_is_required_and_caller_made() -> None:
    with pytest.raises(TypeError):
        GuideInputs(saved_config_path=CONFIG_PATH)  # type: ignore[call-arg]
    out = build(token_source="env", quota=QUOTA_RICH, idempotency_key="my-own-key")
    assert out.data["next_command"].endswith(" --idempotency-key my-own-key --output . --json")
    out3d = build(
        prompt="a glb of a lamp", token_source="env", quota=QUOTA_RICH, idempotency_key="k-1"
    )
    assert out3d.data["next_command"].endswith(" --idempotency-key k-1 --output . --json")


def test_quota_required_lists_the_local_settle_step_when_the_rail_offers_it() -> None:
    settle = "image-skill local settle --payment-attempt-id PAYMENT_ATTEMPT_ID --json"
    x402 = copy.deepcopy(X402_METHOD)
    x402["recovery"]["local_settle_command"] = settle
    out = build(
        token_source="env", quota=QUOTA_BROKE, payments=payments_envelope([CHECKOUT_METHOD, x402])
    )
    commands = out.data["self_fund_handoff"]["payment_commands"]
    assert commands == {
        "quote": QUOTE_X402,
        "buy": EXPECTED_SUGGESTED_COMMANDS[3],
        "status": EXPECTED_SUGGESTED_COMMANDS[4],
        "local_settle": settle,
    }
    # only the preferred rail's settle command counts
    checkout = copy.deepcopy(CHECKOUT_METHOD)
    checkout["recovery"]["local_settle_command"] = settle
    other = build(
        token_source="env",
        quota=QUOTA_BROKE,
        payments=payments_envelope([checkout, X402_METHOD]),
    )
    assert "local_settle" not in other.data["self_fund_handoff"]["payment_commands"]


def test_free_only_daily_cap_does_not_block_paid_credits() -> None:
    quota = quota_envelope(0, daily_remaining=0)
    quota["data"]["daily_jobs"]["applies_to"] = "free_preview_funded_jobs"
    quota["data"]["limits"]["payment_backed_remaining_credits"] = 500
    assert build(token_source="env", quota=quota).data["stage"] == "ready_to_create"
    quota["data"]["limits"]["payment_backed_remaining_credits"] = 3
    assert build(token_source="env", quota=quota).data["stage"] == "quota_required"
    # without the applies_to marker the npm rule holds: the cap blocks whatever the balance
    del quota["data"]["daily_jobs"]["applies_to"]
    quota["data"]["limits"]["payment_backed_remaining_credits"] = 500
    assert build(token_source="env", quota=quota).data["stage"] == "quota_required"


def test_self_fund_steps_run_with_our_prefix_and_reach_the_same_server() -> None:
    # The agent follows payment_commands after next_command: raw "image-skill credits ..."
    # strings would not run when our prefix is "python -m image_skill", and without the
    # explicit --api-base-url they would buy from the default hosted API instead.
    settle = "image-skill local settle --payment-attempt-id PAYMENT_ATTEMPT_ID --json"
    x402 = copy.deepcopy(X402_METHOD)
    x402["recovery"]["local_settle_command"] = settle
    ctx = CommandContext(prefix=("/venv/bin/python", "-m", "image_skill"), api_base_url="local")
    out = build(
        token_source="config",
        quota=QUOTA_BROKE,
        payments=payments_envelope([CHECKOUT_METHOD, x402]),
        command_ctx=ctx,
    )

    def ours(raw: str) -> str:
        return with_flag(
            "/venv/bin/python -m image_skill " + raw.removeprefix("image-skill "), "local"
        )

    handoff = out.data["self_fund_handoff"]
    assert handoff["payment_commands"] == {
        "quote": ours(QUOTE_X402),
        "buy": ours(EXPECTED_SUGGESTED_COMMANDS[3]),
        "status": ours(EXPECTED_SUGGESTED_COMMANDS[4]),
        "local_settle": ours(settle),
    }
    assert handoff["wallet_settlement"]["status_command_after_payment"] == ours(
        EXPECTED_SUGGESTED_COMMANDS[4]
    )
    assert out.data["next_command"] == handoff["payment_commands"]["quote"]
    # §4.13 (0.1.32+): the summary is made runnable the same way
    assert out.data["checks"]["payments"]["suggested_commands"] == [
        ours(c) for c in EXPECTED_SUGGESTED_COMMANDS
    ]
    assert handoff["first_safe_command"] == ours("image-skill credits methods --json")
    assert handoff["inspect_packs_command"] == ours("image-skill credits packs list --json")


def test_ready_effect_says_where_the_created_file_goes() -> None:
    # Ours: next_command saves the file in the working directory (--output .); the effect
    # says so, and how to download it again later.
    out = build(token_source="env", quota=QUOTA_RICH)
    assert shlex.split(out.data["next_command"])[-3:] == ["--output", ".", "--json"]
    text = out.data["next_command_effect"]["warning"]
    assert "data.assets[].asset_id" in text and "assets get ASSET_ID --output PATH" in text
    assert "working directory" in text and "data.downloads" in text
    # a caller may leave --output off
    bare = build(token_source="env", quota=QUOTA_RICH, output=None)
    assert bare.data["next_command"] == LIVE.replace(" --output .", "")


def test_placeholders_in_lists_words_in_first_seen_order() -> None:
    from image_skill.guide.placeholders import placeholders_in

    cmds = [
        "image-skill edit --input image_... --model local.image-to-3d --json",
        None,
        "image-skill credits buy --quote-id QUOTE_ID --idempotency-key KEY --json",
        "image-skill create --prompt 'KEY is a word here' --json",
    ]
    assert list(placeholders_in(cmds)) == ["image_...", "QUOTE_ID", "KEY"]
    assert placeholders_in(["image-skill models list --json"]) == {}
