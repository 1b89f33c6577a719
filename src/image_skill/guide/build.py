"""``create --guide`` / ``edit --guide``: a pure function from server snapshots to ``data``.

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
``config_write`` status was supplied. No clocks, randomness or environment reads inside: the
idempotency key, the signup identity and the carried environment are supplied by the caller.

Model rows may be compact (the 0.1.41+ default of ``GET /v1/models``) or full; both select
alike (:mod:`image_skill.guide.rows`).

Deliberate differences from the npm guide (the contract digests: guide.md for the 0.1.30
base, contract-0.1.70.md §4-§5 for what changed since):

* commands are rendered by :func:`image_skill.commands.render` with our program prefix
  (``image-skill`` or ``python -m image_skill``) instead of
  ``npm_config_update_notifier=false npx -y image-skill@latest``, and quoted with
  ``shlex.quote`` instead of JSON string quoting, so a prompt holding ``$(...)`` stays inert;
  the environment the npm prefix carries (a set ``IMAGE_SKILL_CONFIG_PATH``,
  ``IMAGE_SKILL_DISCOVERY_SOURCE``) comes in as ``command_ctx.env`` assignments;
* the ``auth_required`` signup command names a real agent name and runtime (no
  ``AGENT_NAME`` / ``RUNTIME_NAME`` placeholders), so it runs as printed and
  ``next_command_copy_runnable`` is true there; the config-write recovery commands too;
* the ``ready_to_create`` command carries ``--output .``, so running it leaves the file in
  the working directory (a free name; never over an existing file);
* an explicit ``--api-base-url`` is carried into every command we render (payment commands,
  escape hatches, recovery, ``agent_skill``), not only the guide/signup/create ones, so
  following any of them reaches the same server (see :mod:`image_skill.guide.commands`);
* payment rails count when live money **or** explicitly simulated (see
  :mod:`image_skill.guide.payments`); when the preferred rail is simulated,
  ``self_fund_handoff.live_money`` and ``guide_warning.live_money_action`` are false;
* model selection falls back to a model of the right modality before "first eligible row"
  (see :mod:`image_skill.guide.selection`), and ``--model`` aliases resolve as 0.1.70
  intends (its own lookup crashes, §4.1);
* inputs that crash the npm guide (a non-array ``data.models``, ``daily_jobs: null``) are
  handled instead: no models, and no daily-job limit respectively;
* ``data.placeholders`` (ours, last key) maps each placeholder word of the handed-out
  commands to what to substitute.
"""

from __future__ import annotations

from typing import Any

from image_skill._js import get
from image_skill.commands import with_env_token, with_stdin_token
from image_skill.guide import checks as c
from image_skill.guide import fields as f
from image_skill.guide.commands import GuideCommands
from image_skill.guide.payments import (
    first_payment_action,
    local_settle_command,
    payment_summary,
    self_fund_handoff,
    self_fund_label,
)
from image_skill.guide.placeholders import copy_runnable, missing_inputs, placeholders_in
from image_skill.guide.recovery import agent_skill, guide_recovery
from image_skill.guide.selection import selection_object
from image_skill.guide.state import (
    ConfigWriteStatus,
    GuideInputs,
    GuideOutput,
    compute_state,
    guide_stage,
    needs_config_probe,
    remaining_credits,
)
from image_skill.guide.topup import normalize_top_up
from image_skill.payments import urgency_fields

__all__ = [
    "ConfigWriteStatus",
    "GuideInputs",
    "GuideOutput",
    "build_guide",
    "guide_stage",
    "needs_config_probe",
]


def build_guide(inputs: GuideInputs) -> GuideOutput:
    """The guide's ``data`` (keys in contract order) and the envelope ``actor``."""
    st = compute_state(inputs)
    stage = st.stage
    if stage == f.AUTH_REQUIRED and inputs.config_write is None:
        raise ValueError("stage auth_required needs a config_write probe result")
    probe = inputs.config_write if stage == f.AUTH_REQUIRED else None
    writable = probe.writable if probe is not None else True
    cmds = GuideCommands(inputs, st, config_fallback=not writable)
    pricing = st.pricing
    credits, debit = pricing.estimated_credits, pricing.debit_usd
    source = inputs.token_source if inputs.token_source not in (None, "anonymous") else "none"
    assert source is not None
    quota_data = get(st.quota, "data")
    authenticated = get(quota_data, "authenticated") is True
    remaining = remaining_credits(quota_data)
    payments = payment_summary(get(st.payments, "data"), cmds.pay)
    top_up = normalize_top_up(get(quota_data, "top_up"), cmds.env_pay)
    recovery = cmds.recovery() if not writable else None
    config_write = c.config_write(probe, recovery)

    if stage == f.PROMPT_REQUIRED:
        next_command = cmds.guide("PROMPT")
    elif stage == f.AUTH_REQUIRED:
        next_command = cmds.signup()
    elif stage == f.QUOTA_REQUIRED:
        next_command = first_payment_action(payments["suggested_commands"])
    elif stage == f.READY_TO_CREATE:
        next_command = cmds.media(dry_run=False)
    else:
        next_command = cmds.simple("models", "list", "--json")
    runnable = copy_runnable(next_command)
    hatches = cmds.escape_hatches()
    after_next = None
    if stage in (f.AUTH_REQUIRED, f.QUOTA_REQUIRED):
        after_next = cmds.guide(st.prompt)
    effect = f.next_command_effect(stage, credits, debit, next_command)
    summary = payments["preferred_method_summary"]
    top_up_path = get(summary, "top_up_path")

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
    self_fund_command = self_fund_command_label = preparation = None
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
            urgency=urgency_fields(top_up) if top_up is not None else None,
        )
        self_fund_command, self_fund_command_label = next_command, self_fund_label(payments)
    elif ready:
        preparation, self_fund_command, self_fund_command_label = c.ready_self_fund(
            payments, top_up, source
        )

    blocker = c.blocker(st, inputs, remaining, credits)
    data: dict[str, Any] = {
        "schema": f.EDIT_SCHEMA if inputs.edit_guide else f.SCHEMA,
        "agent_skill": agent_skill(lambda words: cmds.simple(*words)),
        "ready": ready,
        "stage": stage,
        "checks": c.checks(
            st,
            inputs,
            source=source,
            authenticated=authenticated,
            remaining=remaining,
            config_write=config_write,
            top_up=top_up,
            payments=payments,
        ),
        "selection": selection_object(
            st.model,
            requested=inputs.model is not None,
            prompt=st.prompt,
            intent=st.intent,
            edit_guide=inputs.edit_guide,
        ),
        "cost": pricing.cost(),
        "blocker": blocker,
        "guide_warning": f.guide_warning(
            stage,
            effect,
            top_up_path,
            simulated_rail=get(summary, "live_money") is False,
            copy_runnable=runnable,
        ),
        "auth_ready": f.auth_ready(
            stage,
            authenticated=authenticated,
            source=source,
            saved_config_path=inputs.saved_config_path,
            copy_runnable=runnable,
        ),
        "next_command": next_command,
        "next_command_copy_runnable": runnable,
        "next_command_missing_inputs": missing_inputs(next_command),
        "next_command_effect": effect,
        "no_spend_next_command": no_spend,
        "no_spend_next_command_label": no_spend_label,
        "no_spend_next_command_effect": no_spend_effect,
        "no_spend_evaluation": f.no_spend_evaluation(no_spend, no_spend_label, no_spend_effect),
        "guide_recovery": guide_recovery(
            stage,
            blocker=blocker,
            next_command=next_command,
            recommended_no_spend_command=no_spend,
            quota_hatch=hatches["quota"],
            after_next=after_next,
        ),
        "recommended_no_spend_command": no_spend,
        "recommended_no_spend_command_label": no_spend_label,
        "recommended_no_spend_command_effect": dict(no_spend_effect) if no_spend_effect else None,
        "self_fund_next_command": self_fund_command,
        "self_fund_next_command_label": self_fund_command_label,
        "self_fund_handoff": self_fund,
        "self_fund_preparation": preparation,
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
    actor = get(st.quota, "actor")
    return GuideOutput(data=data, actor=actor, stage=stage)
