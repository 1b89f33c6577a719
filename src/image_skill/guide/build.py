"""``create --guide``: a pure function from server snapshots to the guide's ``data``.

The caller (the CLI) does all the I/O: it sends ``GET /healthz``, ``GET /v1/models`` and
``GET /v1/payment-methods``, resolves the token, sends ``GET /v1/quota`` when a token
exists, and hands the resulting envelope dicts to :class:`GuideInputs`. A request that
failed at transport level can be passed as its failure envelope (``ok: false`` with an
``error`` such as ``HOSTED_API_REQUEST_FAILED``) or as ``None``; both are treated alike.

The config-write probe is two-step, because only the ``auth_required`` stage needs it::

    inputs = GuideInputs(...)
    if needs_config_probe(inputs):
        inputs = dataclasses.replace(inputs, config_write=probe_result)
    output = build_guide(inputs)

:func:`build_guide` raises ``ValueError`` when the stage is ``auth_required`` and no
``config_write`` status was supplied. No clocks or randomness inside: the idempotency key
is supplied by the caller.

Deliberate differences from the npm guide (digest: /work/shared/digests/guide.md):

* commands are rendered by :func:`image_skill.commands.render` with our program prefix
  (``image-skill`` or ``python -m image_skill``) instead of
  ``npm_config_update_notifier=false npx -y image-skill@latest``, and quoted with
  ``shlex.quote`` instead of JSON string quoting, so a prompt holding ``$(...)`` stays inert;
* the payment ``next_command`` and the ``self_fund_handoff.payment_commands`` the agent
  follows after it (server-provided ``image-skill credits ...`` strings) get their
  ``image-skill`` word replaced by our prefix; the config-write recovery commands are
  rendered with our prefix too (identical to the contract when the prefix is ``image-skill``);
* with an unwritable config path, ``after_next`` (and the ``rerun_guide`` wrappers) carry
  the same ``IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json"`` prefix as the signup
  command, so the rerun finds the token signup saved there (the npm guide drops it, and
  its rerun lands back at ``auth_required``);
* an explicit ``--api-base-url`` is carried into every command we render (payment
  ``next_command``, escape hatches, recovery), not only the guide/signup/create ones, so
  following any of them reaches the same server (see :mod:`image_skill.guide.commands`);
* payment rails count when live money **or** explicitly simulated (see
  :mod:`image_skill.guide.payments`); when the preferred rail is simulated,
  ``self_fund_handoff.live_money`` and ``guide_warning.live_money_action`` are false;
* model selection falls back to a model of the right modality before "first eligible row"
  (see :mod:`image_skill.guide.selection`);
* inputs that crash the npm guide (a non-array ``data.models``, ``daily_jobs: null``) are
  handled instead: no models, and no daily-job limit respectively.
"""

from __future__ import annotations

import posixpath
from typing import Any

from image_skill.commands import with_env_token, with_stdin_token
from image_skill.guide import fields as f
from image_skill.guide import text
from image_skill.guide.commands import GuideCommands
from image_skill.guide.js import coalesce, display, get, truthy
from image_skill.guide.payments import (
    first_payment_action,
    local_settle_command,
    payment_summary,
    self_fund_handoff,
    self_fund_label,
)
from image_skill.guide.placeholders import placeholders_in
from image_skill.guide.selection import selection_object
from image_skill.guide.state import (
    ConfigWriteStatus,
    Envelope,
    GuideInputs,
    GuideOutput,
    GuideState,
    compute_state,
    guide_idempotency_key,
    guide_stage,
    needs_config_probe,
    remaining_credits,
)

__all__ = [
    "ConfigWriteStatus",
    "GuideInputs",
    "GuideOutput",
    "build_guide",
    "guide_idempotency_key",
    "guide_stage",
    "needs_config_probe",
]


def _blocker(st: GuideState, inputs: GuideInputs, remaining: Any, credits: Any) -> Any:
    stage = st.stage
    if stage == f.READY_TO_CREATE:
        return None
    if stage == f.PROMPT_REQUIRED:
        message: Any = text.B_PROMPT
    elif stage == f.NO_EXECUTABLE_MODEL:
        if inputs.model is None:
            message = text.B_NO_MODEL
        else:
            message = f"{text.B_REQ_MODEL}: {inputs.model}"
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


def build_guide(inputs: GuideInputs) -> GuideOutput:
    """The guide's ``data`` (keys in contract order) and the envelope ``actor``."""
    st = compute_state(inputs)
    stage = st.stage
    if stage == f.AUTH_REQUIRED and inputs.config_write is None:
        raise ValueError("stage auth_required needs a config_write probe result")
    cmds = GuideCommands(inputs, st)
    pricing = cmds.pricing
    credits, debit = pricing.estimated_credits, pricing.debit_usd
    source = inputs.token_source if inputs.token_source not in (None, "anonymous") else "none"
    assert source is not None
    quota_data = get(st.quota, "data")
    authenticated = get(quota_data, "authenticated") is True
    remaining = remaining_credits(quota_data)
    payments = payment_summary(get(st.payments, "data"))

    probe = inputs.config_write if stage == f.AUTH_REQUIRED else None
    writable = probe.writable if probe is not None else True
    recovery = cmds.recovery() if probe is not None and not probe.writable else None
    config_write = None
    if probe is not None:
        config_write = f.config_write(
            config_path=probe.config_path,
            parent_path=coalesce(probe.parent_path, posixpath.dirname(probe.config_path)),
            writable=probe.writable,
            prepared=coalesce(probe.parent_directories_prepared, probe.writable),
            error_message=probe.error_message,
            recovery=recovery,
        )

    if stage == f.PROMPT_REQUIRED:
        next_command = cmds.guide("PROMPT")
    elif stage == f.AUTH_REQUIRED:
        next_command = cmds.signup(writable)
    elif stage == f.QUOTA_REQUIRED:
        next_command = cmds.pay(first_payment_action(payments["suggested_commands"]))
    elif stage == f.READY_TO_CREATE:
        next_command = cmds.media(dry_run=False)
    else:
        next_command = cmds.simple("models", "list", "--json")
    hatches = cmds.escape_hatches()
    after_next = None
    if stage in (f.AUTH_REQUIRED, f.QUOTA_REQUIRED):
        after_next = cmds.guide(st.prompt, config_fallback=not writable)
    effect = f.next_command_effect(stage, credits, debit)
    summary = payments["preferred_method_summary"]
    top_up = get(summary, "top_up_path")

    ready = stage == f.READY_TO_CREATE
    no_spend = hatches["dry_run"] if ready else None
    no_spend_label = f.DRY_RUN_LABEL if ready else None
    no_spend_effect = f.no_spend_effect(credits, debit) if ready else None

    token_next = None
    if stage in (f.QUOTA_REQUIRED, f.READY_TO_CREATE):
        token_next = f.token_commands(
            source, with_env_token(next_command), with_stdin_token(next_command)
        )
    auth_handoff = None
    if stage == f.AUTH_REQUIRED:
        assert probe is not None and after_next is not None
        signup = f.signup_handoff(
            config_path=inputs.saved_config_path,
            writable=writable,
            signup_command=next_command,
            recovery=recovery,
        )
        rerun = {"with_env": with_env_token(after_next), "with_stdin": with_stdin_token(after_next)}
        auth_handoff = f.auth_handoff(
            token_source="none", signup=signup, rerun_guide=rerun, next_command=None
        )
    elif token_next is not None:
        auth_handoff = f.auth_handoff(
            token_source=source, signup=None, rerun_guide=None, next_command=token_next
        )
    self_fund = None
    if stage == f.QUOTA_REQUIRED:
        assert token_next is not None
        self_fund = self_fund_handoff(
            payments,
            after_next=after_next,
            token_source=source,
            auth_next_command=token_next,
            local_settle_command=local_settle_command(
                get(st.payments, "data"), payments["preferred_method"]
            ),
            render=cmds.pay,
        )

    quota_env = st.quota
    data: dict[str, Any] = {
        "schema": f.SCHEMA,
        "ready": ready,
        "stage": stage,
        "checks": {
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
                "checked": quota_env is not None,
                "authenticated": authenticated,
                "remaining_credits": remaining,
                "required_credits": credits,
                "daily_jobs_remaining": get(quota_data, "daily_jobs", "remaining"),
                "reason": _quota_reason(quota_env),
            },
            "payments": payments,
        },
        "selection": selection_object(
            st.model, requested=inputs.model is not None, prompt=st.prompt, intent=st.intent
        ),
        "cost": pricing.cost(),
        "blocker": _blocker(st, inputs, remaining, credits),
        "guide_warning": f.guide_warning(
            stage, effect, top_up, simulated_rail=get(summary, "live_money") is False
        ),
        "auth_ready": f.auth_ready(
            stage,
            authenticated=authenticated,
            source=source,
            saved_config_path=inputs.saved_config_path,
        ),
        "next_command": next_command,
        "next_command_effect": effect,
        "no_spend_next_command": no_spend,
        "no_spend_next_command_label": no_spend_label,
        "no_spend_next_command_effect": no_spend_effect,
        "no_spend_evaluation": f.no_spend_evaluation(no_spend, no_spend_label, no_spend_effect),
        "recommended_no_spend_command": no_spend,
        "recommended_no_spend_command_label": no_spend_label,
        "recommended_no_spend_command_effect": dict(no_spend_effect) if no_spend_effect else None,
        "self_fund_next_command": next_command if stage == f.QUOTA_REQUIRED else None,
        "self_fund_next_command_label": self_fund_label(payments)
        if stage == f.QUOTA_REQUIRED
        else None,
        "self_fund_handoff": self_fund,
        "after_next": after_next,
        "auth_handoff": auth_handoff,
        "escape_hatches": hatches,
        "mutation": dict(f.MUTATION),
    }
    # Ours: what to substitute for each placeholder word in the commands handed out.
    payment_steps = get(self_fund, "payment_commands")
    data["placeholders"] = placeholders_in(
        [
            next_command,
            after_next,
            *(payment_steps.values() if isinstance(payment_steps, dict) else ()),
        ]
    )
    actor = get(quota_env, "actor")
    return GuideOutput(data=data, actor=actor, stage=stage)


def _quota_reason(quota: Envelope | None) -> Any:
    if quota is None:
        return "auth_required"
    if truthy(quota.get("ok")):
        return None
    return coalesce(get(quota, "error", "code"), "quota_unavailable")
