"""``checks.payments`` and the quota-stage payment handoff of ``create --guide`` (digest §5, §9.8).

Deliberate difference from the npm guide: a payment method is usable when it is live money
**or** explicitly simulated (``simulated: true``). The npm guide drops every rail that is not
live money; our offline local backend reports its rails honestly as ``live_money: false,
simulated: true``, and those rails must still be offered so an agent can rehearse the
top-up flow. Server-provided command strings (they start with ``image-skill``) are made
runnable here by the caller's ``render`` before they are listed in
``checks.payments.suggested_commands`` (0.1.32+; de-duplicated on the server's text first),
so ``next_command``, ``self_fund_handoff.payment_commands`` and the wallet status command
use them as they are. When the preferred rail offers a ``recovery.local_settle_command``
(the local backend's simulated settlement), the quota-stage handoff lists it as
``payment_commands.local_settle``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from image_skill._js import get, is_number, js_blanks, truthy
from image_skill.guide import text
from image_skill.payments import INSPECT_METHODS_EFFECT

DEFAULT_METHODS_COMMAND = "image-skill credits methods --json"
DEFAULT_PACKS_COMMAND = "image-skill credits packs list --json"
#: Since 0.1.49 without ``--idempotency-key KEY``: ``credits quote`` generates one.
DEFAULT_QUOTE_COMMAND = (
    "image-skill credits quote --pack starter-500 --payment-method stripe_x402.exact.usdc --json"
)
DEFAULT_PURCHASE_COMMAND = (
    "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID "
    "--idempotency-key KEY --json"
)
DEFAULT_STATUS_COMMAND = "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json"
X402_METHOD_ID = "stripe_x402.exact.usdc"
SELF_FUND = "browserless_agent_self_fund"
HUMAN_HANDOFF = "human_payment_handoff"
INSPECT = "payment_method_inspection"

#: Matched against :func:`js_blanks` text: ``" +"`` stands for ``WS_CLASS + "+"``.
_KIND_PATTERNS = {
    kind: re.compile(r"\bcredits +" + kind + r"\b", re.ASCII)
    for kind in ("quote", "buy", "status", "methods")
}
_KIND_PATTERNS["packs"] = re.compile(r"\bcredits +packs +list\b", re.ASCII)
#: Makes a server command runnable here; None when it is refused (never offered).
Render = Callable[[str], str | None]


def _verbatim(command: str) -> str:
    return command


_RECOVERY_KEYS = ("quote_command", "purchase_command", "status_command")


def usable(method: dict[str, Any]) -> bool:
    """Live money, or a rail the server explicitly marks as simulated (our addition)."""
    return truthy(method.get("live_money")) or method.get("simulated") is True


def _buyer_modes(method: dict[str, Any]) -> list[Any]:
    modes = method.get("buyer_modes")
    return modes if isinstance(modes, list) else []


def _ids(methods: list[dict[str, Any]]) -> list[Any]:
    return [m.get("method_id") for m in methods]


def _top_up_path(method: dict[str, Any], human_handoff_required: bool) -> str:
    if method.get("agent_settleable") is True and method.get("requires_browser") is False:
        return SELF_FUND
    if human_handoff_required:
        return HUMAN_HANDOFF
    return INSPECT


_NEXT_STEPS = {
    SELF_FUND: ("quote_buy_status_then_rerun_after_next", text.W_PM_SELF_FUND),
    HUMAN_HANDOFF: ("quote_buy_open_checkout_status_then_rerun_after_next", text.W_PM_HUMAN),
    INSPECT: ("inspect_credits_methods", text.W_PM_INSPECT),
}


def _method_summary(method: dict[str, Any]) -> dict[str, Any]:
    modes = [mode for mode in _buyer_modes(method) if isinstance(mode, str)]
    requires_browser = method.get("requires_browser") is True
    human = requires_browser or "human_only" in modes
    path = _top_up_path(method, human)
    next_step, warning = _NEXT_STEPS[path]
    limits = method.get("limits")

    def limit(key: str) -> Any:
        value = get(limits, key)
        return value if is_number(value) else None

    def string(key: str) -> str | None:
        value = method.get(key)
        return value if isinstance(value, str) else None

    return {
        "method_id": method.get("method_id"),
        "live_money": method.get("live_money") is not False,
        "requires_browser": requires_browser,
        "browserless": method.get("requires_browser") is False,
        "agent_initiated": method.get("agent_initiated") is True,
        "agent_settleable": method.get("agent_settleable") is True,
        "human_handoff_required": human,
        "buyer_modes": modes,
        "settlement_blocker": string("settlement_blocker"),
        "default_pack_id": string("default_pack_id"),
        "min_amount_cents": limit("min_amount_cents"),
        "max_amount_cents": limit("max_amount_cents"),
        "top_up_path": path,
        "next_step": next_step,
        "warning": warning,
    }


def payment_summary(data: Any, render: Render = _verbatim) -> dict[str, Any]:
    """``checks.payments`` from ``/v1/payment-methods`` data (read even when ``ok`` is false).

    ``render`` makes each suggested server command runnable here (identity by default).
    """
    raw_methods = get(data, "methods")
    rows = [m for m in raw_methods if isinstance(m, dict)] if isinstance(raw_methods, list) else []
    methods = [m for m in rows if usable(m)]
    available = [m for m in methods if truthy(m.get("available"))]
    browserless = [m for m in available if m.get("requires_browser") is False]
    agent_payable = [
        m
        for m in browserless
        if m.get("agent_settleable") is True
        and any(mode in ("agent_only", "hybrid") for mode in _buyer_modes(m))
    ]
    agent_initiated = [m for m in available if m.get("agent_initiated") is True]
    human_handoff = [
        m for m in available if m.get("requires_browser") is True or "human_only" in _buyer_modes(m)
    ]
    preferred: dict[str, Any] | None = None
    for group in (agent_payable, human_handoff, browserless, available):
        if group:
            preferred = group[0]
            break
    buyer_modes: list[Any] = []
    for method in methods:
        for mode in _buyer_modes(method):
            if mode not in buyer_modes:
                buyer_modes.append(mode)
    return {
        "checked": isinstance(data, dict | list),
        # simulated rails are usable here, but they move no money: not listed as live
        "live_money_methods": _ids([m for m in available if truthy(m.get("live_money"))]),
        "requires_browser": bool(available)
        and all(m.get("requires_browser") is True for m in available),
        "browserless_methods": _ids(browserless),
        "agent_initiated_methods": _ids(agent_initiated),
        "agent_payable_methods": _ids(agent_payable),
        "agent_settleable_methods": _ids(agent_payable),
        "human_handoff_methods": _ids(human_handoff),
        "preferred_method": preferred.get("method_id") if preferred is not None else None,
        "preferred_method_summary": _method_summary(preferred) if preferred is not None else None,
        "buyer_modes": buyer_modes,
        "suggested_commands": [
            runnable
            for runnable in map(render, _suggested_commands(preferred, available))
            if runnable is not None
        ],
    }


def _suggested_commands(
    preferred: dict[str, Any] | None, available: list[dict[str, Any]]
) -> list[str]:
    commands = [DEFAULT_METHODS_COMMAND, DEFAULT_PACKS_COMMAND]
    defaults = (DEFAULT_QUOTE_COMMAND, DEFAULT_PURCHASE_COMMAND, DEFAULT_STATUS_COMMAND)
    for key, default in zip(_RECOVERY_KEYS, defaults, strict=True):
        value = get(preferred, "recovery", key)
        commands.append(value if isinstance(value, str) else default)
    for method in available:
        if method is preferred:
            continue
        for key in _RECOVERY_KEYS:
            value = get(method, "recovery", key)
            if isinstance(value, str) and value not in commands:
                commands.append(value)
    return commands


def local_settle_command(methods_data: Any, preferred_method: Any) -> str | None:
    """``recovery.local_settle_command`` of the preferred method, when it is a string."""
    rows = get(methods_data, "methods")
    if preferred_method is None or not isinstance(rows, list):
        return None
    for row in rows:
        if isinstance(row, dict) and row.get("method_id") == preferred_method:
            value = get(row, "recovery", "local_settle_command")
            return value if isinstance(value, str) else None
    return None


def command_by_kind(commands: list[str], kind: str) -> str | None:
    pattern = _KIND_PATTERNS[kind]
    for command in commands:
        if pattern.search(js_blanks(command)):
            return command
    return None


def first_payment_action(commands: list[str]) -> str:
    for kind in ("quote", "buy", "methods"):
        found = command_by_kind(commands, kind)
        if found is not None:
            return found
    return commands[0] if commands else DEFAULT_METHODS_COMMAND


def self_fund_label(payments: dict[str, Any]) -> str:
    pm = payments["preferred_method"]
    if pm is not None:
        if pm in payments["browserless_methods"] and pm in payments["agent_settleable_methods"]:
            return "browserless_agent_payable_quote"
        if pm in payments["human_handoff_methods"]:
            return "human_handoff_payment_quote"
    return "payment_or_quota_action"


def self_fund_handoff(
    payments: dict[str, Any],
    *,
    after_next: str | None,
    token_source: str,
    auth_next_command: dict[str, Any],
    local_settle_command: str | None = None,
    render: Render = _verbatim,
    urgency: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The quota-stage handoff (0.1.30 digest §9.8, 0.1.70 §4.13).

    The commands come from ``payments["suggested_commands"]``, already runnable (see
    :func:`payment_summary`). Our addition: ``payment_commands.local_settle`` (only when the
    server's preferred method offers ``recovery.local_settle_command``, as the offline local
    backend's simulated rails do) is the step that stands in for the real payment there;
    ``render`` makes that server string runnable. ``urgency`` is the urgency trio of the
    normalized quota ``top_up`` (all null/empty without one).
    """
    pm = payments["preferred_method"]
    simulated = get(payments["preferred_method_summary"], "live_money") is False

    def member(key: str) -> bool:
        return pm is not None and pm in payments[key]

    commands = payments["suggested_commands"]
    payment_commands = {
        "quote": command_by_kind(commands, "quote"),
        "buy": command_by_kind(commands, "buy"),
        "status": command_by_kind(commands, "status"),
    }
    settle = render(local_settle_command) if local_settle_command is not None else None
    if settle is not None:
        payment_commands["local_settle"] = settle
    inspect_methods = command_by_kind(commands, "methods")
    trio = urgency or {"urgency": None, "urgency_score": None, "urgency_reasons": []}
    browserless = member("browserless_methods")
    agent_settleable = member("agent_settleable_methods")
    wallet = None
    if pm == X402_METHOD_ID and browserless and agent_settleable:
        wallet = wallet_settlement(payment_commands["status"], simulated=simulated)
    return {
        "required": True,
        "preferred_method": pm,
        "urgency": trio["urgency"],
        "urgency_score": trio["urgency_score"],
        "urgency_reasons": list(trio["urgency_reasons"]),
        # a simulated rail is listed with the live ones but moves no money: say so
        "live_money": member("live_money_methods")
        and get(payments["preferred_method_summary"], "live_money") is True,
        "browserless": browserless,
        "agent_initiated": member("agent_initiated_methods"),
        "agent_settleable": agent_settleable,
        "human_handoff_required": member("human_handoff_methods"),
        "first_safe_command": inspect_methods,
        "first_safe_command_effect": dict(INSPECT_METHODS_EFFECT),
        "inspect_methods_command": inspect_methods,
        "inspect_packs_command": command_by_kind(commands, "packs"),
        "payment_commands": payment_commands,
        "wallet_settlement": wallet,
        "after_next": after_next,
        "auth": {
            "token_source": token_source,
            "secret_value_included": False,
            "accepted_methods": ["IMAGE_SKILL_TOKEN", "--token-stdin", "config"],
            "next_command": auth_next_command,
        },
        "warning": _self_fund_warning(agent_settleable, simulated),
    }


def _self_fund_warning(agent_settleable: bool, simulated: bool) -> str:
    if simulated:
        return text.SF_SIMULATED
    return text.SF_AGENT if agent_settleable else text.SF_HANDOFF


def wallet_settlement(status_command: str | None, *, simulated: bool = False) -> dict[str, Any]:
    """How to pay an x402 deposit. On a simulated rail (offline backend) nothing is paid:
    the sentences say so instead of warning about real money."""
    return {
        "method_id": X402_METHOD_ID,
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
        "status_command_after_payment": status_command,
        "next_step": text.WS_NEXT_STEP_SIMULATED if simulated else text.WS_NEXT_STEP,
        "credential_boundary": text.WS_BOUNDARY,
        "warning": text.WS_WARNING_SIMULATED if simulated else text.WS_WARNING,
    }
