"""``next_actions.self_fund`` derived from a quota reply's ``top_up`` (contract 0.1.70 §7.1).

``usage quota`` / ``quota``: when ``data.top_up`` says a top-up is available, names all
seven ``commands`` and has a ``workflow`` object, the CLI sets ``data.next_actions`` to
``{"self_fund": ...}`` built from it (replacing whatever ``next_actions`` the server sent,
at the same key position). The urgency trio comes from
:func:`image_skill.payments.urgency_fields` (§7.2); the derivation itself is
:func:`image_skill.payments.self_fund_action`, shared with the local backend.

Run it on a ``top_up`` whose commands were already made runnable
(:mod:`image_skill.cli.reply_commands`): the derived commands are copies of those. Pure.
"""

from __future__ import annotations

from typing import Any

from image_skill.payments import INSPECT_METHODS_EFFECT, self_fund_action

__all__ = ["FIRST_SAFE_COMMAND_EFFECT", "SELF_FUND_WARNING", "self_fund", "with_self_fund"]

FIRST_SAFE_COMMAND_EFFECT: dict[str, Any] = INSPECT_METHODS_EFFECT

SELF_FUND_WARNING = (
    "begin with first_safe_command, which only lists payment methods; the quote command "
    "creates a payment object but moves no money; buying, checking its status and settling "
    "need an agent that is allowed to spend"
)


def self_fund(top_up: dict[str, Any]) -> dict[str, Any] | None:
    """The ``self_fund`` action for ``top_up``, or None when it does not qualify (§7.1)."""
    return self_fund_action(top_up, warning=SELF_FUND_WARNING)


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
