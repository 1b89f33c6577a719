"""Per-stage output objects of ``create --guide`` (digest §9.3-§9.9).

Every function here is a pure mapping from the stage and already-computed values to one of
the guide's ``data`` objects, with keys in the contract's emission order.
"""

from __future__ import annotations

from typing import Any

from image_skill.guide import text
from image_skill.guide.placeholders import copy_runnable, effect_placeholders

PROMPT_REQUIRED = "prompt_required"
SERVICE_UNREACHABLE = "service_unreachable"
NO_EXECUTABLE_MODEL = "no_executable_model"
AUTH_REQUIRED = "auth_required"
QUOTA_REQUIRED = "quota_required"
READY_TO_CREATE = "ready_to_create"
STAGES = (
    PROMPT_REQUIRED,
    SERVICE_UNREACHABLE,
    NO_EXECUTABLE_MODEL,
    AUTH_REQUIRED,
    QUOTA_REQUIRED,
    READY_TO_CREATE,
)

SCHEMA = "image-skill.create-guide.v1"
EDIT_SCHEMA = "image-skill.edit-guide.v1"
DRY_RUN_LABEL = "dry_run_plan_no_provider_call_no_credit_debit_no_media_write"
AUTH_READY_METHODS = ("config", "IMAGE_SKILL_TOKEN", "--token-stdin")
HANDOFF_METHODS = ("IMAGE_SKILL_TOKEN", "--token-stdin", "config")
MUTATION = {
    "provider_call": False,
    "hosted_create": False,
    "hosted_signup": False,
    "payment_object": False,
    "credit_debit": False,
    "media_write": False,
}
CONFIG_DOCS_URL = "https://image-skill.com/cli.md#local-config-and-install"


#: What ``next_command_effect`` changes from its read-only default, per stage.
_STAGE_EFFECTS: dict[str, dict[str, Any]] = {
    PROMPT_REQUIRED: {"label": "rerun_guide_with_prompt"},
    AUTH_REQUIRED: {
        "label": "hosted_signup_restricted_agent_identity",
        "hosted_signup": True,
        "warning": text.EF_SIGNUP,
    },
    QUOTA_REQUIRED: {
        "label": "payment_or_quota_action",
        "no_spend": False,
        "payment_object": True,
        "warning": text.EF_QUOTA,
    },
    READY_TO_CREATE: {
        "label": "live_media_create_credit_debit",
        "no_spend": False,
        "provider_call": True,
        "hosted_create": True,
        "credit_debit": True,
        "media_write": True,
        "warning": text.EF_READY,
    },
}


def next_command_effect(
    stage: str, estimated_credits: Any, debit_usd: Any, command: str | None = None
) -> dict[str, Any]:
    """``next_command_effect``; ``command`` is the next command (its placeholders, §4.10)."""
    runnable = copy_runnable(command)
    effect: dict[str, Any] = {
        "label": "read_only_or_no_media_setup",
        "no_spend": True,
        **MUTATION,
        "estimated_credits": None,
        "estimated_debit_usd_per_image": None,
        "copy_runnable": runnable,
        "requires_placeholder_substitution": not runnable,
        "placeholders": effect_placeholders(command),
        "warning": None,
    }
    effect.update(_STAGE_EFFECTS.get(stage, {}))
    if stage == READY_TO_CREATE:
        effect.update(estimated_credits=estimated_credits, estimated_debit_usd_per_image=debit_usd)
    return effect


def no_spend_effect(estimated_credits: Any, debit_usd: Any) -> dict[str, Any]:
    return {
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
        "estimated_credits": estimated_credits,
        "estimated_debit_usd_per_image": debit_usd,
        "warning": text.NS_EFFECT,
    }


_SAFETY = {
    PROMPT_REQUIRED: ("rerun_guide_no_spend", "next_command", text.GW_PROMPT),
    NO_EXECUTABLE_MODEL: ("read_only_inspection_no_spend", "next_command", text.GW_READONLY),
    SERVICE_UNREACHABLE: ("read_only_inspection_no_spend", "next_command", text.GW_READONLY),
    AUTH_REQUIRED: ("hosted_signup_no_spend_setup", "next_command", text.GW_SIGNUP),
    QUOTA_REQUIRED: ("live_money_payment_action", "escape_hatches", text.GW_QUOTA_OTHER),
    READY_TO_CREATE: (
        "live_media_create_credit_debit",
        "recommended_no_spend_command",
        text.GW_READY,
    ),
}
_QUOTA_WARNINGS = {
    "browserless_agent_self_fund": text.GW_QUOTA_SELF_FUND,
    "human_payment_handoff": text.GW_QUOTA_HUMAN,
}


_TEMPLATE_STAGES = (PROMPT_REQUIRED, AUTH_REQUIRED, QUOTA_REQUIRED)


def _template_warning(warning: str | None, stage: str, copy_runnable: bool) -> str | None:
    """The warning as it reads when next_command still has placeholders to fill (§4.10)."""
    if warning is not None and not copy_runnable and stage in _TEMPLATE_STAGES:
        return text.template_variant(warning)
    return warning


def guide_warning(
    stage: str,
    effect: dict[str, Any],
    top_up_path: Any,
    *,
    simulated_rail: bool = False,
    copy_runnable: bool = True,
) -> dict[str, Any]:
    """``guide_warning`` (digest §9.3). ``simulated_rail``: the preferred payment rail says
    ``live_money: false`` (the local backend's simulated rails), so the quota-stage payment
    action is not a live-money action (the npm guide only ever sees live rails).
    ``copy_runnable``: whether next_command runs as printed; when it does not, the prompt,
    auth and quota stages say to fill the missing inputs first (§4.10)."""
    safety, field, warning = _SAFETY[stage]
    no_spend_safe = bool(effect["no_spend"]) and not any(
        effect[key] for key in ("provider_call", "payment_object", "credit_debit", "media_write")
    )
    live_money_action = False
    spend_required = False
    path = None
    if stage == QUOTA_REQUIRED:
        no_spend_safe = False
        live_money_action = not simulated_rail
        spend_required = True
        path = top_up_path
        warning = _QUOTA_WARNINGS.get(path, text.GW_QUOTA_OTHER) if path else warning
        if simulated_rail:
            warning = text.GW_QUOTA_SIMULATED
    elif stage == READY_TO_CREATE:
        no_spend_safe = False
        spend_required = True
    return {
        "stage": stage,
        "no_spend_safe": no_spend_safe,
        "live_money_action": live_money_action,
        "spend_required": spend_required,
        "provider_call": effect["provider_call"],
        "payment_object": effect["payment_object"],
        "credit_debit": effect["credit_debit"],
        "media_write": effect["media_write"],
        "payment_top_up_path": path,
        "next_command_safety": safety,
        "recommended_command_field": field,
        "warning": _template_warning(warning, stage, copy_runnable),
    }


def auth_ready(
    stage: str,
    *,
    authenticated: bool,
    source: str,
    saved_config_path: str,
    copy_runnable: bool = True,
) -> dict[str, Any]:
    requires_auth = stage in (QUOTA_REQUIRED, READY_TO_CREATE)
    if authenticated:
        warning: str | None = text.AR_READY
    elif stage == AUTH_REQUIRED:
        warning = text.AR_NOT_READY
    else:
        warning = None
    return {
        "ready": authenticated,
        "authenticated": authenticated,
        "source": source,
        "saved_config_path": saved_config_path,
        "next_command_requires_auth": requires_auth,
        "next_command_auth_ready": authenticated if requires_auth else None,
        "secret_value_included": False,
        "accepted_methods": list(AUTH_READY_METHODS),
        "warning": _template_warning(warning, stage, copy_runnable),
    }


def no_spend_evaluation(
    recommended: str | None, label: str | None, effect: dict[str, Any] | None
) -> dict[str, Any]:
    """At ready (``recommended`` set) the stop object; elsewhere the inert one."""
    ready = recommended is not None
    return {
        "stop_here": ready,
        "stop_stage": READY_TO_CREATE,
        "stop_reason": text.NS_STOP_REASON if ready else None,
        "next_command_is_live_create": ready,
        "live_create_command_field": "next_command" if ready else None,
        "live_create_allowed_when": "media_spend_allowed" if ready else None,
        "recommended_command_field": "recommended_no_spend_command" if ready else None,
        "recommended_command": recommended,
        "recommended_command_label": label,
        "recommended_command_effect": dict(effect) if effect is not None else None,
        "warning": text.NS_WARNING if ready else None,
    }


def config_write_recovery(suggested_command: str, fallback_command: str) -> dict[str, Any]:
    return {
        "config_path_env": "IMAGE_SKILL_CONFIG_PATH",
        "suggested_config_path": "$PWD/.image-skill/config.json",
        "suggested_command": suggested_command,
        "fallback_command": fallback_command,
        "fallback_auth_method": "--token-stdin",
        "docs_url": CONFIG_DOCS_URL,
    }


def config_write(
    *,
    config_path: str,
    parent_path: str,
    writable: bool,
    prepared: bool,
    error_message: str | None,
    recovery: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "writable": writable,
        "config_path": config_path,
        "parent_path": parent_path,
        "parent_directories_prepared": prepared,
        "error_message": None if writable else error_message,
        "recovery": None if writable else recovery,
    }


def token_commands(source: str, with_env: str, with_stdin: str) -> dict[str, Any]:
    return {
        "requires_auth": True,
        "reuse_current_auth_context": source,
        "with_env": with_env,
        "with_stdin": with_stdin,
    }


def auth_handoff(
    *,
    token_source: str,
    signup: dict[str, Any] | None,
    rerun_guide: dict[str, Any] | None,
    next_command: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "required": True,
        "token_source": token_source,
        "secret_value_included": False,
        "accepted_methods": list(HANDOFF_METHODS),
        "signup": signup,
        "rerun_guide": rerun_guide,
        "next_command": next_command,
    }


def signup_handoff(
    *,
    config_path: str,
    writable: bool,
    signup_command: str,
    recovery: dict[str, Any] | None,
) -> dict[str, Any]:
    preferred = None
    if not writable:
        preferred = {
            "config_path_env": "IMAGE_SKILL_CONFIG_PATH",
            "config_path": "$PWD/.image-skill/config.json",
            "command": signup_command,
        }
    return {
        "returns_token_once": True,
        "public_cli_saves_config": True,
        "store_token_in": "public_cli_config_by_default"
        if writable
        else "public_cli_config_after_setting_IMAGE_SKILL_CONFIG_PATH",
        "config_path": config_path,
        "config_writable": writable,
        "preferred_save_config": preferred,
        "recovery": None if writable else recovery,
    }
