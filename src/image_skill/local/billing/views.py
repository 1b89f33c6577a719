"""Wire shapes of quotes, payment attempts, receipts and credit events (local backend).

Pure functions over ``sqlite3.Row``-like mappings plus the base URL the request came in
on. URLs are derived at render time, so a data dir served on another port still gives
working links, and the commands they hold are aimed at the same backend (see
:mod:`.cli_commands`). Every shape says ``live_money: false`` and ``simulated: true``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from image_skill.local.billing.catalog import CHECKOUT, CURRENCY, SETTLEMENT, X402, get_pack, usd
from image_skill.local.billing.next_actions import recommended_settlement
from image_skill.local.cli_commands import cli_command
from image_skill.local.store.db import loads, now_iso

Row = sqlite3.Row
QUOTE_HELP_COMMAND = "image-skill credits quote --help"


def status_command(attempt_id: str, base: str) -> str:
    return cli_command(base, ["credits", "status", "--payment-attempt-id", attempt_id, "--json"])


def settle_command(attempt_id: str, base: str) -> str:
    return cli_command(base, ["local", "settle", "--payment-attempt-id", attempt_id, "--json"])


def after_payment(attempt_id: str, base: str) -> str:
    """The Checkout ``next.after_payment`` sentence; its commands run against ``base``."""
    return (
        "open checkout_handoff_url (or checkout_compact_url); use the full checkout_url only "
        "when no handoff URL is available and keep its # fragment. Then poll "
        f"{status_command(attempt_id, base)} or "
        f"{cli_command(base, 'image-skill usage quota --json')}; credits are granted only once "
        "the payment is settled (locally: the checkout page's complete button or "
        f"{settle_command(attempt_id, base)})"
    )


def quote_state(row: Row) -> str:
    state = str(row["state"])
    if state in ("created", "action_required") and str(row["expires_at"]) <= now_iso():
        return "expired"
    return state


#: The fields every quote shape starts with.
_QUOTE_HEAD = ("quote_id", "state", "credits", "price_amount_cents", "currency")


def _quote_fields(row: Row, keys: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a quote ``row``, in the order given (``state`` as it is now,
    ``accepted_payment_method`` from the stored method, the rest as stored)."""
    derived = {"state": quote_state(row), "accepted_payment_method": row["payment_method"]}
    return {key: derived[key] if key in derived else row[key] for key in keys}


def quote_public(row: Row) -> dict[str, Any]:
    """``POST /v1/credit-quotes`` data."""
    pack_id = row["pack_id"]
    head = (*_QUOTE_HEAD, "expires_at", "accepted_payment_method", "idempotency_key", "pack_id")
    return {
        **_quote_fields(row, head),
        "pack": get_pack(pack_id) if pack_id else None,
        "live_money": False,
        "simulated": True,
        "created_at": row["created_at"],
    }


def _x402_quote_terms(row: Row) -> dict[str, Any] | None:
    if row["payment_method"] != X402:
        return None
    return {"method_id": X402, "scheme": "exact", "network": "base", "token_currency": "usdc"}


def quote_brief(row: Row) -> dict[str, Any]:
    """The ``quote`` member of a status reply."""
    head = (*_QUOTE_HEAD, "accepted_payment_method", "pack_id", "expires_at")
    return {**_quote_fields(row, head), "x402": _x402_quote_terms(row)}


def checkout_urls(attempt: Row, base_url: str) -> tuple[str | None, str | None]:
    """``(checkout_handoff_url, checkout_url)``; ``(None, None)`` for non-Checkout attempts."""
    session = attempt["checkout_session_id"]
    if not session:
        return None, None
    details = loads(attempt["details_json"]) or {}
    fragment = details.get("fragment", "")
    handoff = f"{base_url}/pay/{attempt['payment_attempt_id']}"
    return handoff, f"{base_url}/_local/checkout/c/pay/{session}#{fragment}"


def fake_address(seed: str, kind: str) -> str:
    """A well-formed but simulated ``0x`` address derived from ``seed``."""
    return "0x" + hashlib.sha256(f"{kind}:{seed}".encode()).hexdigest()[:40]


def x402_block(attempt: Row, quote: Row, base_url: str) -> dict[str, Any]:
    """Simulated Stripe crypto-deposit instructions (server digest §1.10)."""
    cents = int(quote["price_amount_cents"])
    attempt_id = attempt["payment_attempt_id"]
    return {
        "method_id": X402,
        "scheme": "exact",
        "network": "base",
        "token_currency": "usdc",
        "deposit_address_present": True,
        "simulated": True,
        "payable_instructions": {
            "kind": "stripe_crypto_deposit",
            "network": "base",
            "token_currency": "usdc",
            "token_decimals": 6,
            "token_amount": usd(cents),
            "token_amount_atomic": str(cents * 10_000),
            "amount_cents": cents,
            "amount_usd": usd(cents),
            "deposit_address": fake_address(attempt_id, "deposit"),
            "token_contract_address": fake_address("usdc", "token"),
            "supported_token_currencies": ["usdc"],
            "expires_at": quote["expires_at"],
            "exact_amount_required": True,
            "simulated": True,
            "settle_with": settle_command(attempt_id, base_url),
        },
        "redacted": {
            "payment_intent_id": "[redacted-stripe-payment-intent]",
            "deposit_address": "[redacted-stripe-crypto-deposit-address]",
            "client_secret": "[redacted-stripe-client-secret]",
        },
    }


def _common(attempt: Row, quote: Row) -> dict[str, Any]:
    return {
        "quote_id": quote["quote_id"],
        "payment_attempt_id": attempt["payment_attempt_id"],
        "provider": "stripe",
        "accepted_payment_method": attempt["payment_method"],
    }


def _money(quote: Row) -> dict[str, Any]:
    return {
        "credits": quote["credits"],
        "amount_cents": quote["price_amount_cents"],
        "currency": quote["currency"] or CURRENCY,
        "live_money": False,
        "simulated": True,
        "settlement": SETTLEMENT,
    }


def buy_view(attempt: Row, quote: Row, base_url: str) -> dict[str, Any]:
    """``POST /v1/credit-purchases/...`` data (Checkout or x402)."""
    attempt_id = attempt["payment_attempt_id"]
    state = "succeeded" if attempt["status"] == "succeeded" else "action_required"
    data: dict[str, Any] = {"state": state, **_common(attempt, quote)}
    if attempt["payment_method"] == CHECKOUT:
        handoff, url = checkout_urls(attempt, base_url)
        data["checkout_session_id"] = attempt["checkout_session_id"]
        data["checkout_handoff_url"] = handoff
        data["checkout_compact_url"] = handoff
        data["checkout_url"] = url
        data.update(_money(quote))
        data["attempt_status"] = attempt["status"]
        data["next"] = {
            "human_action": "open_checkout_url",
            "checkout_handoff_url": handoff,
            "checkout_compact_url": handoff,
            "fallback_checkout_url": url,
            "after_payment": after_payment(attempt_id, base_url),
            "local_settle_command": settle_command(attempt_id, base_url),
        }
        return data
    data.update(_money(quote))
    data["attempt_status"] = attempt["status"]
    data["stripe_x402"] = x402_block(attempt, quote, base_url)
    if state == "action_required":
        path = "data.stripe_x402.payable_instructions"
        data["next_actions"] = {
            "recommended_settlement": recommended_settlement(attempt, quote, base_url, path)
        }
    data["next"] = {
        "agent_action": "pay_stripe_crypto_deposit",
        "suggested_commands": [
            status_command(attempt_id, base_url),
            settle_command(attempt_id, base_url),
        ],
        "local_settle_command": settle_command(attempt_id, base_url),
    }
    return data


def attempt_brief(attempt: Row, quote: Row, base_url: str) -> dict[str, Any]:
    """The ``payment_attempt`` member of a status reply."""
    handoff, url = checkout_urls(attempt, base_url)
    brief: dict[str, Any] = {
        "payment_attempt_id": attempt["payment_attempt_id"],
        "provider": "stripe",
        "accepted_payment_method": attempt["payment_method"],
        "checkout_session_id": attempt["checkout_session_id"],
        "checkout_handoff_url": handoff,
        "checkout_compact_url": handoff,
        "checkout_url": url,
        "attempt_status": attempt["status"],
        "created_at": attempt["created_at"],
        "settled_at": attempt["settled_at"],
    }
    if attempt["payment_method"] == X402:
        brief["stripe_x402"] = x402_block(attempt, quote, base_url)
    return brief


def receipt_public(row: Row) -> dict[str, Any]:
    return {
        "receipt_id": row["receipt_id"],
        "quote_id": row["quote_id"],
        "payment_attempt_id": row["payment_attempt_id"],
        "credit_event_id": row["credit_event_id"],
        "credits_granted": row["credits_granted"],
        "amount_cents": row["amount_cents"],
        "currency": row["currency"],
        "accepted_payment_method": row["payment_method"],
        "live_money": False,
        "simulated": True,
        "created_at": row["created_at"],
    }


def credit_event_public(row: Row) -> dict[str, Any]:
    return {
        "credit_event_id": row["credit_event_id"],
        "bucket": row["bucket"],
        "delta_credits": row["delta"],
        "balance_after": row["balance_after"],
        "reason": row["reason"],
        "created_at": row["created_at"],
    }


def next_block(state: str, attempt: Row | None, base_url: str) -> dict[str, Any]:
    """Status ``next``: what to do from this state."""
    if state == "succeeded":
        return {"suggested_commands": [cli_command(base_url, "image-skill usage quota --json")]}
    if state == "created":
        return {
            "suggested_commands": [
                cli_command(
                    base_url,
                    "image-skill credits buy --provider PROVIDER --quote-id QUOTE_ID"
                    " --idempotency-key KEY --json",
                )
            ]
        }
    if state == "expired":
        return {"suggested_commands": [cli_command(base_url, QUOTE_HELP_COMMAND)]}
    if attempt is None:
        return {}
    attempt_id = attempt["payment_attempt_id"]
    block: dict[str, Any] = {"retry_after_seconds": 10}
    if attempt["payment_method"] == CHECKOUT:
        handoff, _url = checkout_urls(attempt, base_url)
        block["human_action"] = "open_checkout_url"
        block["checkout_handoff_url"] = handoff
        block["checkout_compact_url"] = handoff
    else:
        block["agent_action"] = "pay_stripe_crypto_deposit"
    block["local_settle_command"] = settle_command(attempt_id, base_url)
    return block
