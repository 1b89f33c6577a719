"""Quota ``top_up``, urgency and the guide's pre-wall top-up preparation (§4.12, §4.14, §7.1-7.2).

* :func:`normalize_top_up` makes the command strings of a server ``top_up`` object runnable
  with our prefix (§7.1 step 1) and sets the urgency trio (§7.2);
* :func:`urgency_fields` (from :mod:`image_skill.payments`) derives ``urgency``,
  ``urgency_score`` and ``urgency_reasons``;
* :func:`self_fund_preparation` is the ``ready_to_create`` affordance that lets an agent open
  a quote before the free allowance runs out, and :func:`pre_wall_label` names it.

``render`` is the caller's function that turns a server ``image-skill ...`` command into one
that runs here (applied once to each server string). Pure; no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from image_skill._js import get
from image_skill.guide import text
from image_skill.guide.placeholders import copy_runnable
from image_skill.payments import TOP_UP_COMMANDS_KEYS, urgency_fields

#: Makes a server command runnable here; None when it is refused (never offered).
Render = Callable[[str], str | None]

TOP_UP_COMMAND_KEYS = ("first_command", "quote_command")
SELF_FUND_PATH = "browserless_agent_self_fund"
HUMAN_PATH = "human_payment_handoff"


def runnable_top_up(top_up: dict[str, Any], render: Render) -> dict[str, Any]:
    """A copy of ``top_up`` whose command strings run here; other values are kept (§7.1)."""
    out = copy.deepcopy(top_up)
    for key in TOP_UP_COMMAND_KEYS:
        if isinstance(out.get(key), str):
            out[key] = render(out[key])
    commands = out.get("commands")
    if isinstance(commands, dict):
        for key in TOP_UP_COMMANDS_KEYS:
            if isinstance(commands.get(key), str):
                commands[key] = render(commands[key])
    steps = get(out, "workflow", "steps")
    if isinstance(steps, list):
        for step in steps:
            if isinstance(step, dict) and isinstance(step.get("command"), str):
                step["command"] = render(step["command"])
    return out


def normalize_top_up(top_up: Any, render: Render) -> dict[str, Any] | None:
    """``checks.quota.top_up``: None without a ``top_up`` object, else runnable + urgency."""
    if not isinstance(top_up, dict):
        return None
    out = runnable_top_up(top_up, render)
    out.update(urgency_fields(top_up))
    return out


def no_urgency() -> dict[str, Any]:
    return {"urgency": None, "urgency_score": None, "urgency_reasons": []}


def _quote_effect(top_up_path: Any, max_amount_cents: Any) -> dict[str, Any]:
    return {
        "label": "live_money_quote_no_charge",
        "no_spend": True,
        "live_money": True,
        "provider_call": False,
        "hosted_create": False,
        "payment_object": True,
        "credit_debit": False,
        "media_write": False,
        "requires_wallet_for_buy": top_up_path == SELF_FUND_PATH,
        "max_amount_cents": max_amount_cents,
        "warning": text.SP_QUOTE_EFFECT,
    }


def self_fund_preparation(
    payments: dict[str, Any],
    top_up: dict[str, Any] | None,
    *,
    quote_command: str | None,
    inspect_methods_command: str | None,
    inspect_packs_command: str | None,
    token_source: str,
) -> dict[str, Any]:
    """``self_fund_preparation`` at ``ready_to_create`` (§4.14).

    ``quote_command`` comes from ``checks.payments.suggested_commands`` (already runnable).
    ``top_up`` is the normalized ``checks.quota.top_up`` (or None).
    """
    summary = payments["preferred_method_summary"]
    available = (
        payments["preferred_method"] is not None and summary is not None and bool(quote_command)
    )
    path = get(summary, "top_up_path")
    urgency = urgency_fields(top_up) if available and top_up is not None else no_urgency()
    # (top_up is already normalized, so urgency_fields returns its own trio unchanged)
    reason = get(top_up, "recommendation_reason")
    shown_quote = quote_command if available else None
    max_cents = get(summary, "max_amount_cents")
    return {
        "available": available,
        "recommended": get(top_up, "recommended") is True,
        "recommendation_reason": reason,
        **urgency,
        "preferred_method": payments["preferred_method"],
        "top_up_path": path,
        "inspect_methods_command": inspect_methods_command,
        "inspect_packs_command": inspect_packs_command,
        "quote_command": shown_quote,
        "quote_command_copy_runnable": shown_quote is not None and copy_runnable(shown_quote),
        "quote_command_effect": _quote_effect(path, max_cents) if available else None,
        "after_next": None,
        "auth": {
            "quote_command_requires_auth": True,
            "token_source": token_source,
            "secret_value_included": False,
            "accepted_methods": ["IMAGE_SKILL_TOKEN", "--token-stdin", "config"],
        },
        "warning": text.SP_READY if available else text.SP_UNAVAILABLE,
    }


def pre_wall_command(preparation: dict[str, Any]) -> str | None:
    """The ready-stage ``self_fund_next_command``: the quote, when it is recommended and runs."""
    if (
        preparation["available"] is True
        and preparation["recommended"] is True
        and preparation["quote_command_copy_runnable"] is True
    ):
        command = preparation["quote_command"]
        return command if isinstance(command, str) else None
    return None


def pre_wall_label(payments: dict[str, Any]) -> str:
    """``self_fund_next_command_label`` for a pre-wall quote."""
    summary = payments["preferred_method_summary"]
    path = get(summary, "top_up_path")
    method = payments["preferred_method"]
    if (
        path == SELF_FUND_PATH
        and method in payments["browserless_methods"]
        and method in payments["agent_settleable_methods"]
    ):
        return "pre_wall_browserless_agent_payable_quote"
    if path == HUMAN_PATH:
        return "pre_wall_human_handoff_payment_quote"
    return "pre_wall_payment_or_quota_action"
