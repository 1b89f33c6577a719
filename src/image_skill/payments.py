"""Pure helpers for the `credits` commands (and the local backend's credit routes).

Standard library only, no I/O:

* the payment-credential flag guard (contract §7): credits commands refuse any flag that
  looks like a payment credential, before anything is sent;
* :func:`with_checkout_compact_url` (contract §10.6): adds the copy-safe
  ``checkout_compact_url`` next to Checkout URLs without ever rewriting them (a ``#``
  fragment survives untouched);
* status-reference validation;
* :func:`new_idempotency_key`, the one minting of idempotency keys (also used outside credits);
* the self-fund handoff (0.1.70 §7): :func:`urgency_fields` and :func:`self_fund_action`,
  shared by the CLI, the guide and the local backend; :func:`with_self_fund`, the quota
  reply's ``next_actions.self_fund`` as the CLI and the MCP server print it.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from image_skill._js import get, is_number

#: Flag names (without ``--``) that credits commands reject whatever their value.
CREDENTIAL_FLAGS: tuple[str, ...] = (
    "payment-token",
    "payment-secret",
    "payment-required",
    "payment-signature",
    "payment-response",
    "authorization",
    "bearer-token",
    "wallet-private-key",
    "private-key",
    "mnemonic",
    "seed-phrase",
    "card",
    "card-number",
    "card-token",
    "stripe-secret-key",
    "stripe-webhook-secret",
    "provider-key",
    "provider-receipt",
)
_CREDENTIAL_SET = frozenset(CREDENTIAL_FLAGS)
#: The same names as request-body fields (``card_number``), refused by the local backend.
CREDENTIAL_FIELDS: frozenset[str] = frozenset(name.replace("-", "_") for name in CREDENTIAL_FLAGS)

CREDENTIAL_DOCS_URL = "https://image-skill.com/cli.md#image-skill-credits-buy"
CREDITS_DOCS_URL = "https://image-skill.com/cli.md#image-skill-credits"

#: ``--payment-method`` values `credits quote` sends.
QUOTE_PAYMENT_METHODS: tuple[str, ...] = ("stripe_checkout", "stripe_x402.exact.usdc")
#: ``--provider`` values of `credits buy`.
BUY_PROVIDERS: tuple[str, ...] = ("stripe", "stripe_x402")
#: Status reference flags and their query names, in the order they are sent.
STATUS_REFERENCES: tuple[tuple[str, str], ...] = (
    ("--quote-id", "quote_id"),
    ("--payment-attempt-id", "payment_attempt_id"),
    ("--checkout-session-id", "checkout_session_id"),
    ("--receipt-id", "receipt_id"),
)


def normalise_flag_name(name: str) -> str:
    """Lower-case, ``_`` read as ``-``: ``--Card_Number`` is caught like ``--card-number``."""
    return name.strip().lower().replace("_", "-")


def is_credential_flag(name: str) -> bool:
    return normalise_flag_name(name) in _CREDENTIAL_SET


def credential_flag_in(args: Iterable[str]) -> str | None:
    """The first credential-looking flag in raw ``args`` (as typed, without ``--``), or None.

    Every token starting with ``--`` is a flag, in both ``--name`` and ``--name=value``
    forms, wherever it sits (also after a flag that expects a value). A bare ``--`` ends
    option parsing, so what follows it is not looked at.
    """
    for token in args:
        if token == "--":
            return None
        if not token.startswith("--"):
            continue
        name = token[2:].split("=", 1)[0]
        if is_credential_flag(name):
            return name
    return None


def credential_message(name: str) -> str:
    return f"Image Skill credits commands never take payment credentials; --{name} was refused"


def credential_fields_in(body: Mapping[str, Any]) -> list[str]:
    """Request-body keys that look like payment credentials (sorted)."""
    return sorted(
        key for key in body if normalise_flag_name(key).replace("-", "_") in CREDENTIAL_FIELDS
    )


# ------------------------------------------------------------------ checkout compact URL


def _fill(record: dict[str, Any]) -> bool:
    """Set ``checkout_compact_url`` on ``record``; True when it changed something."""
    handoff = record.get("checkout_handoff_url")
    if isinstance(handoff, str) and handoff != "":
        value = handoff
    else:
        raw = record.get("checkout_url")
        if not isinstance(raw, str):
            raw = record.get("fallback_checkout_url")
        if not isinstance(raw, str) or raw == "":
            return False
        value = raw.strip() or raw
    if record.get("checkout_compact_url") == value and "checkout_compact_url" in record:
        return False
    record["checkout_compact_url"] = value
    return True


def with_checkout_compact_url(data: Any) -> Any:
    """Add ``checkout_compact_url`` copies to a buy/status ``data`` object (contract §10.6).

    Works on shallow copies and returns the original object when nothing changes. URLs
    are only copied (a trimmed copy at most), never shortened: the ``#`` fragment Stripe
    needs stays intact.
    """
    if not isinstance(data, dict):
        return data
    out = dict(data)
    changed = _fill(out)
    nxt = out.get("next")
    if isinstance(nxt, dict):
        nxt = dict(nxt)
        next_changed = _fill(nxt)
        own = out.get("checkout_compact_url")
        if isinstance(own, str) and not isinstance(nxt.get("checkout_compact_url"), str):
            nxt["checkout_compact_url"] = own
            next_changed = True
        if next_changed:
            out["next"] = nxt
            changed = True
    attempt = out.get("payment_attempt")
    if isinstance(attempt, dict):
        attempt = dict(attempt)
        if _fill(attempt):
            out["payment_attempt"] = attempt
            changed = True
        nxt = out.get("next")
        compact = attempt.get("checkout_compact_url")
        if (
            isinstance(nxt, dict)
            and nxt.get("human_action") == "open_checkout_url"
            and not isinstance(nxt.get("checkout_compact_url"), str)
            and isinstance(compact, str)
        ):
            out["next"] = {**nxt, "checkout_compact_url": compact}
            changed = True
    return out if changed else data


# ------------------------------------------------------------------ status references


def status_params(references: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """Query pairs for `credits status`, in the contract order (empty strings included).

    ``references`` maps flag names (``--quote-id``...) to values (``None`` = not given).
    Raises ``ValueError`` naming the flags when more than one reference was given.
    """
    params = [
        (query, value)
        for flag, query in STATUS_REFERENCES
        if (value := references.get(flag)) is not None
    ]
    if len(params) > 1:
        given = [flag for flag, _ in STATUS_REFERENCES if references.get(flag) is not None]
        raise ValueError("credits status takes at most one reference flag, got " + ", ".join(given))
    return params


#: Random bytes in the key of a live create or edit: ``<op>-<ms>-<12 hex>`` (0.1.70 §6.1).
SPEND_KEY_BYTES = 6


def new_idempotency_key(kind: str, *, random_bytes: int = 4) -> str:
    """A fresh idempotency key: ``<kind>-<epoch ms>-<hex>``, 8 hex digits by default
    (``quote-1763776000000-1a2b3c4d``), 12 for a live create or edit
    (``random_bytes=SPEND_KEY_BYTES``: ``create-1763776000000-1a2b3c4d5e6f``, as 0.1.70 mints
    them). Keys of any other shape are still accepted wherever a key is taken.

    The one place keys are minted: the client and the CLI for creates, edits and credit
    requests, the guide's commands (``create-guide``), the local backend for server-made keys.
    """
    return f"{kind}-{int(time.time() * 1000)}-{os.urandom(random_bytes).hex()}"


# ------------------------------------------------------------------ self-fund handoff

#: ``recommendation_reason`` -> ``(urgency, urgency_score)`` (contract 0.1.70 §7.2); a reason
#: not listed here reads as ``("available", 0)``.
URGENCY: dict[str, tuple[str, int]] = {
    "credits_depleted": ("blocked", 100),
    "daily_job_cap_reached": ("blocked", 100),
    "low_remaining_credits": ("near_wall", 80),
    "self_fund_setup_missing": ("setup_recommended", 60),
    "available": ("available", 0),
}

#: The keys of a ``top_up.commands`` object, each a command string (0.1.70 §7.3).
TOP_UP_COMMANDS_KEYS: tuple[str, ...] = (
    "inspect_methods",
    "inspect_packs",
    "quote",
    "buy",
    "status",
    "fallback_quote",
    "fallback_buy",
)

#: What the first safe command (listing the payment methods) does: nothing that spends.
INSPECT_METHODS_EFFECT: dict[str, Any] = {
    "label": "inspect_payment_methods_no_spend",
    "no_spend": True,
    "live_money": False,
    "provider_call": False,
    "hosted_create": False,
    "payment_object": False,
    "credit_debit": False,
    "media_write": False,
}


def urgency_fields(top_up: Any) -> dict[str, Any]:
    """``urgency``, ``urgency_score`` and ``urgency_reasons`` of a ``top_up`` object (§7.2).

    Values the object states are kept; missing ones are derived from its
    ``recommendation_reason`` (``available`` when it has none).
    """
    reason = get(top_up, "recommendation_reason")
    if reason is None:
        reason = "available"
    known = URGENCY.get(reason) if isinstance(reason, str) else None
    derived, score = known if known is not None else URGENCY["available"]
    urgency = get(top_up, "urgency")
    given_score = get(top_up, "urgency_score")
    reasons = get(top_up, "urgency_reasons")
    if isinstance(reasons, list):
        reason_list = [r for r in reasons if isinstance(r, str) and r != ""]
    else:
        reason_list = [] if reason == "available" else [reason]
    return {
        "urgency": urgency if isinstance(urgency, str) and urgency != "" else derived,
        "urgency_score": given_score if is_number(given_score) else score,
        "urgency_reasons": reason_list,
    }


def self_fund_action(
    top_up: dict[str, Any], *, warning: str, simulated: bool = False
) -> dict[str, Any] | None:
    """``next_actions.self_fund`` derived from a ``top_up`` object (0.1.70 §7.1).

    None when the object does not qualify (not available, a command missing, no
    ``workflow``). The CLI derives it from a quota reply and the local backend adds it to
    its read replies; ``simulated`` adds the backend's ``simulated: true`` after
    ``live_money``. ``live_money`` is true unless the object states a boolean.
    """
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
            "first_safe_command_effect": dict(INSPECT_METHODS_EFFECT),
            "inspect_methods_command": commands["inspect_methods"],
            "inspect_packs_command": commands["inspect_packs"],
            "quote_command": commands["quote"],
            "quote_command_copy_runnable": True,
            "quote_idempotency_key_source": "public_cli_generated_if_missing",
            "buy_command": commands["buy"],
            "status_command": commands["status"],
            "fallback_quote_command": commands["fallback_quote"],
            "fallback_buy_command": commands["fallback_buy"],
            "live_money": live if isinstance(live, bool) else True,
        }
    )
    if simulated:
        action["simulated"] = True
    action.update(
        {
            "payment_method": top_up.get("preferred_payment_method"),
            "workflow": copy.deepcopy(workflow),
            "warning": warning,
        }
    )
    return action


#: The warning of the client's own ``next_actions.self_fund`` on a quota reply.
SELF_FUND_WARNING = (
    "begin with first_safe_command, which only lists payment methods; the quote command "
    "creates a payment object but moves no money; buying, checking its status and settling "
    "need an agent that is allowed to spend"
)


def with_self_fund(data: dict[str, Any]) -> bool:
    """Set a quota reply's ``data.next_actions`` to ``{"self_fund": ...}`` derived from its
    ``data.top_up`` (0.1.70 §7.1; replacing what the server sent, at the same key
    position), in place; whether it was set."""
    top_up = data.get("top_up")
    if not isinstance(top_up, dict):
        return False
    action = self_fund_action(top_up, warning=SELF_FUND_WARNING)
    if action is None:
        return False
    data["next_actions"] = {"self_fund": action}
    return True
