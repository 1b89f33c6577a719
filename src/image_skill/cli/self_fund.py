"""``next_actions.self_fund`` derived from a quota reply's ``top_up`` (contract 0.1.70 §7.1).

``usage quota`` / ``quota``: when ``data.top_up`` says a top-up is available, names all
seven ``commands`` and has a ``workflow`` object, the CLI sets ``data.next_actions`` to
``{"self_fund": ...}`` built from it (replacing whatever ``next_actions`` the server sent,
at the same key position). The urgency trio comes from
:func:`image_skill.guide.topup.urgency_fields` (§7.2), shared with the guide.

Run it on a ``top_up`` whose commands were already made runnable
(:mod:`image_skill.cli.reply_commands`): the derived commands are copies of those. Pure.
"""

from __future__ import annotations

import copy
from typing import Any

from image_skill.guide.topup import TOP_UP_COMMANDS_KEYS, urgency_fields

__all__ = ["FIRST_SAFE_COMMAND_EFFECT", "SELF_FUND_WARNING", "self_fund", "with_self_fund"]

FIRST_SAFE_COMMAND_EFFECT: dict[str, Any] = {
    "label": "inspect_payment_methods_no_spend",
    "no_spend": True,
    "live_money": False,
    "provider_call": False,
    "hosted_create": False,
    "payment_object": False,
    "credit_debit": False,
    "media_write": False,
}

SELF_FUND_WARNING = (
    "begin with first_safe_command, which only lists payment methods; the quote command "
    "creates a payment object but moves no money; buying, checking its status and settling "
    "need an agent that is allowed to spend"
)


def self_fund(top_up: dict[str, Any]) -> dict[str, Any] | None:
    """The ``self_fund`` action for ``top_up``, or None when it does not qualify (§7.1)."""
    commands = top_up.get("commands")
    workflow = top_up.get("workflow")
    if top_up.get("available") is not True or not isinstance(commands, dict):
        return None
    if not all(isinstance(commands.get(key), str) for key in TOP_UP_COMMANDS_KEYS):
        return None
    if not isinstance(workflow, dict):
        return None
    reason = top_up.get("recommendation_reason")
    live = top_up.get("live_money")
    action: dict[str, Any] = {
        "purpose": "open_browserless_top_up_path",
        "available": True,
        "recommended": top_up.get("recommended") is True,
        "recommendation_reason": reason if reason is not None else "available",
        **urgency_fields(top_up),
    }
    if "path" in top_up:
        action["path"] = top_up["path"]
    action.update(
        {
            "first_safe_command": commands["inspect_methods"],
            "first_safe_command_effect": dict(FIRST_SAFE_COMMAND_EFFECT),
            "inspect_methods_command": commands["inspect_methods"],
            "inspect_packs_command": commands["inspect_packs"],
            "quote_command": commands["quote"],
            "quote_command_copy_runnable": True,
            "quote_idempotency_key_source": "public_cli_generated_if_missing",
            "buy_command": commands["buy"],
            "status_command": commands["status"],
            "fallback_quote_command": commands["fallback_quote"],
            "fallback_buy_command": commands["fallback_buy"],
            # 0.1.70 always says true; a server that states it (our local backend: false,
            # simulated) is believed.
            "live_money": live if isinstance(live, bool) else True,
            "payment_method": top_up.get("preferred_payment_method"),
            "workflow": copy.deepcopy(workflow),
            "warning": SELF_FUND_WARNING,
        }
    )
    return action


def with_self_fund(data: dict[str, Any]) -> bool:
    """Set ``data.next_actions`` from ``data.top_up`` (in place); whether it was set."""
    top_up = data.get("top_up")
    if not isinstance(top_up, dict):
        return False
    action = self_fund(top_up)
    if action is None:
        return False
    data["next_actions"] = {"self_fund": action}
    return True
