"""``GET /v1/credit-purchases/status``: the durable state of a payment by any reference."""

from __future__ import annotations

import sqlite3
from typing import Any

from image_skill.local.billing import ledger
from image_skill.local.billing.catalog import X402
from image_skill.local.billing.next_actions import recommended_buy, recommended_settlement
from image_skill.local.billing.quotes import DOCS, OPEN_STATES, api_error
from image_skill.local.billing.top_up import with_top_up
from image_skill.local.billing.views import (
    attempt_brief,
    credit_event_public,
    next_block,
    quote_brief,
    quote_state,
    receipt_public,
)
from image_skill.local.errors import invalid_arguments
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor

_REFERENCE_ORDER = ("quote_id", "payment_attempt_id", "checkout_session_id", "receipt_id")


def status(
    conn: sqlite3.Connection,
    actor: Actor,
    settings: LocalSettings,
    references: dict[str, str],
    *,
    base_url: str,
) -> dict[str, Any]:
    """``GET /v1/credit-purchases/status`` data for at most one reference."""
    given = [name for name in _REFERENCE_ORDER if name in references]
    if not given:
        return with_top_up(ledger.quota_snapshot(conn, actor, settings), base_url)
    if len(given) > 1:
        raise invalid_arguments(
            "pass at most one of quote_id, payment_attempt_id, checkout_session_id, receipt_id",
            recovery={"docs_url": DOCS},
        )
    name = given[0]
    value = references[name]
    org = actor.organization_id
    quote: sqlite3.Row | None = None
    attempt: sqlite3.Row | None = None
    if name == "quote_id":
        quote = conn.execute(
            "SELECT * FROM quotes WHERE quote_id = ? AND organization_id = ?", (value, org)
        ).fetchone()
        if quote is None:
            raise api_error(404, "QUOTE_NOT_FOUND", f"no quote {value} for this agent")
        attempt = conn.execute(
            "SELECT * FROM payment_attempts WHERE quote_id = ? ORDER BY created_at LIMIT 1",
            (value,),
        ).fetchone()
    else:
        column = "payment_attempt_id" if name == "payment_attempt_id" else "checkout_session_id"
        if name == "receipt_id":
            receipt_row = conn.execute(
                "SELECT payment_attempt_id FROM receipts WHERE receipt_id = ?"
                " AND organization_id = ?",
                (value, org),
            ).fetchone()
            if receipt_row is None:
                raise api_error(404, "RECEIPT_NOT_FOUND", f"no receipt {value} for this agent")
            column, value = "payment_attempt_id", receipt_row["payment_attempt_id"]
        attempt = conn.execute(
            f"SELECT * FROM payment_attempts WHERE {column} = ? AND organization_id = ?",
            (value, org),
        ).fetchone()
        if attempt is None:
            raise api_error(
                404, "PAYMENT_ATTEMPT_NOT_FOUND", f"no payment attempt for {name} {value}"
            )
        quote = conn.execute(
            "SELECT * FROM quotes WHERE quote_id = ?", (attempt["quote_id"],)
        ).fetchone()
    assert quote is not None
    receipt = conn.execute(
        "SELECT * FROM receipts WHERE quote_id = ?", (quote["quote_id"],)
    ).fetchone()
    event = None
    if receipt is not None:
        event = conn.execute(
            "SELECT * FROM credit_events WHERE credit_event_id = ?", (receipt["credit_event_id"],)
        ).fetchone()
    if receipt is not None:
        state = "succeeded"
    elif attempt is not None and attempt["status"] == "requires_action":
        state = "expired" if quote_state(quote) == "expired" else "action_required"
    elif attempt is not None:
        state = str(attempt["status"])
    else:
        state = quote_state(quote)
        state = "created" if state == "action_required" else state
    data: dict[str, Any] = {
        "state": state,
        "reference": {"type": name, "id": references[name]},
        "quote": quote_brief(quote),
        "payment_attempt": attempt_brief(attempt, quote, base_url) if attempt else None,
        "receipt": receipt_public(receipt) if receipt else None,
        "credit_event": credit_event_public(event) if event else None,
        "provider_event": (
            {
                "type": "local.simulated_settlement",
                "verified": True,
                "simulated": True,
                "received_at": attempt["settled_at"] if attempt else None,
            }
            if receipt
            else None
        ),
        "limits": ledger.quota_snapshot(conn, actor, settings)["limits"],
        "live_money": False,
        "simulated": True,
        "next": next_block(state, attempt, base_url),
    }
    actions = _next_actions(name, state, quote, attempt, base_url)
    if actions:
        data["next_actions"] = actions
    return data


def _next_actions(
    reference: str,
    state: str,
    quote: sqlite3.Row,
    attempt: sqlite3.Row | None,
    base_url: str,
) -> dict[str, Any]:
    """0.1.70 §7.7: the buy step again for an open quote looked up by ``quote_id``, and the
    settlement step for an x402 attempt that still needs it."""
    actions: dict[str, Any] = {}
    if reference == "quote_id" and state in OPEN_STATES:
        actions["recommended_buy"] = recommended_buy(quote, base_url)
    if state == "action_required" and attempt is not None and attempt["payment_method"] == X402:
        path = "data.payment_attempt.stripe_x402.payable_instructions"
        actions["recommended_settlement"] = recommended_settlement(attempt, quote, base_url, path)
    return actions
