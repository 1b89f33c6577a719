"""Pure helpers for the `credits` commands (and the local backend's credit routes).

Standard library only, no I/O:

* the payment-credential flag guard (contract §7): credits commands refuse any flag that
  looks like a payment credential, before anything is sent;
* :func:`with_checkout_compact_url` (contract §10.6): adds the copy-safe
  ``checkout_compact_url`` next to Checkout URLs without ever rewriting them (a ``#``
  fragment survives untouched);
* status-reference validation;
* :func:`new_idempotency_key`, the one minting of idempotency keys (also used outside credits).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

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
    return f"{kind}-{int(time.time() * 1000)}-{secrets.token_hex(random_bytes)}"
