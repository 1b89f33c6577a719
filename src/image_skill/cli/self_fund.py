"""``next_actions.self_fund`` derived from a quota reply's ``top_up`` (contract 0.1.70 §7.1).

``usage quota`` / ``quota``: when ``data.top_up`` says a top-up is available, names all
seven ``commands`` and has a ``workflow`` object, the CLI sets ``data.next_actions`` to
``{"self_fund": ...}`` built from it (replacing whatever ``next_actions`` the server sent,
at the same key position). The urgency trio comes from
:func:`image_skill.payments.urgency_fields` (§7.2); the derivation itself is
:func:`image_skill.payments.self_fund_action`, shared with the local backend.

The step itself is :func:`image_skill.payments.with_self_fund` (the MCP server's quota tool
runs it too); this module keeps the CLI's names. Every command it copies is made runnable
afterwards with the rest of the reply (:mod:`image_skill.reply_commands`). Pure.
"""

from __future__ import annotations

from typing import Any

from image_skill.payments import (
    INSPECT_METHODS_EFFECT,
    SELF_FUND_WARNING,
    self_fund_action,
    with_self_fund,
)

__all__ = ["FIRST_SAFE_COMMAND_EFFECT", "SELF_FUND_WARNING", "self_fund", "with_self_fund"]

FIRST_SAFE_COMMAND_EFFECT: dict[str, Any] = INSPECT_METHODS_EFFECT


def self_fund(top_up: dict[str, Any]) -> dict[str, Any] | None:
    """The ``self_fund`` action for ``top_up``, or None when it does not qualify (§7.1)."""
    return self_fund_action(top_up, warning=SELF_FUND_WARNING)
