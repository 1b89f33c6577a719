"""``checks``, ``blocker`` and the ready-stage self-fund fields of the guide's ``data``.

Pure helpers of :func:`image_skill.guide.build.build_guide`; keys in contract order.
"""

from __future__ import annotations

import posixpath
from typing import Any

from image_skill._js import coalesce, display, get, truthy
from image_skill.guide import fields as f
from image_skill.guide import text
from image_skill.guide.payments import command_by_kind
from image_skill.guide.state import ConfigWriteStatus, Envelope, GuideInputs, GuideState
from image_skill.guide.topup import pre_wall_command, pre_wall_label, self_fund_preparation


def blocker(st: GuideState, inputs: GuideInputs, remaining: Any, credits: Any) -> Any:
    stage = st.stage
    if stage == f.READY_TO_CREATE:
        return None
    if stage == f.PROMPT_REQUIRED:
        message: Any = text.B_PROMPT
    elif stage == f.NO_EXECUTABLE_MODEL:
        edit = inputs.edit_guide
        if inputs.model is None:
            message = text.B_NO_EDIT_MODEL if edit else text.B_NO_MODEL
        else:
            message = f"{text.B_REQ_EDIT_MODEL if edit else text.B_REQ_MODEL}: {inputs.model}"
    elif stage == f.AUTH_REQUIRED:
        message = text.B_AUTH
    elif stage == f.QUOTA_REQUIRED:
        message = text.b_quota(
            "unknown" if credits is None else display(credits),
            "unknown" if remaining is None else display(remaining),
        )
    else:
        message = coalesce(get(st.quota, "error", "message"), text.B_SERVICE)
    return {"code": stage, "message": message}


def quota_reason(quota: Envelope | None) -> Any:
    if quota is None:
        return "auth_required"
    if truthy(quota.get("ok")):
        return None
    return coalesce(get(quota, "error", "code"), "quota_unavailable")


def config_write(probe: ConfigWriteStatus | None, recovery: Any) -> dict[str, Any] | None:
    if probe is None:
        return None
    return f.config_write(
        config_path=probe.config_path,
        parent_path=coalesce(probe.parent_path, posixpath.dirname(probe.config_path)),
        writable=probe.writable,
        prepared=coalesce(probe.parent_directories_prepared, probe.writable),
        error_message=probe.error_message,
        recovery=recovery,
    )


def checks(
    st: GuideState,
    inputs: GuideInputs,
    *,
    source: str,
    authenticated: bool,
    remaining: Any,
    config_write: dict[str, Any] | None,
    top_up: dict[str, Any] | None,
    payments: dict[str, Any],
) -> dict[str, Any]:
    quota_data = get(st.quota, "data")
    return {
        "hosted_api": {
            "reachable": st.health.get("ok"),
            "status": get(st.health, "data", "status"),
            "api_base_url": inputs.api_base_url,
            "error_code": get(st.health, "error", "code"),
        },
        "auth": {
            "source": source,
            "authenticated": authenticated,
            "claim_state": get(quota_data, "claim_state"),
            "token_status": get(quota_data, "token_status"),
            "saved_config_path": inputs.saved_config_path,
            "config_write": config_write,
        },
        "models": {
            "reachable": st.models.get("ok"),
            "executable_count": coalesce(get(st.models, "data", "summary", "executable"), 0),
            "cataloged_not_wired_count": coalesce(
                get(st.models, "data", "summary", "cataloged_not_wired"), 0
            ),
            "error_code": get(st.models, "error", "code"),
        },
        "quota": {
            "checked": st.quota is not None,
            "authenticated": authenticated,
            "remaining_credits": remaining,
            "required_credits": st.pricing.estimated_credits,
            "daily_jobs_remaining": get(quota_data, "daily_jobs", "remaining"),
            "top_up": top_up,
            "reason": quota_reason(st.quota),
        },
        "payments": payments,
    }


def ready_self_fund(
    payments: dict[str, Any], top_up: dict[str, Any] | None, token_source: str
) -> tuple[dict[str, Any], str | None, str | None]:
    """``self_fund_preparation`` at ready, with the pre-wall command and its label."""
    commands = payments["suggested_commands"]
    preparation = self_fund_preparation(
        payments,
        top_up,
        quote_command=command_by_kind(commands, "quote"),
        inspect_methods_command=command_by_kind(commands, "methods"),
        inspect_packs_command=command_by_kind(commands, "packs"),
        token_source=token_source,
    )
    command = pre_wall_command(preparation)
    label = pre_wall_label(payments) if command is not None else None
    return preparation, command, label
