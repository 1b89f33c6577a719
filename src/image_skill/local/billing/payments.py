"""The local backend's payment loop: payment attempts, settlement, the simulated purchase.

Quotes live in :mod:`.quotes`, the status view in :mod:`.payment_status`.

Invariants (server digest §5):

* quotes and payment attempts never change a balance;
* credits are granted only by :func:`settle`, exactly once per quote: inside one
  ``BEGIN IMMEDIATE`` transaction it grants the payment-backed credits, writes the receipt
  (``receipts.quote_id`` is UNIQUE), marks the attempt succeeded and records the
  ``credits.payment_backed_granted`` activity event. A second settle (sequential or
  concurrent) finds the attempt succeeded and returns the same receipt;
* idempotency keys are scoped to the agent: a quote key replays the same quote for the
  same terms and conflicts for other terms; a buy key replays the same attempt.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from image_skill.local.activity import record_activity
from image_skill.local.billing import ledger
from image_skill.local.billing.catalog import CHECKOUT
from image_skill.local.billing.quotes import (
    DOCS,
    PROVIDER_FOR_METHOD,
    api_error,
    reject_credentials,
    text_field,
)
from image_skill.local.billing.views import QUOTE_HELP_COMMAND, buy_view, quote_state
from image_skill.local.cli_commands import cli_command
from image_skill.local.errors import invalid_arguments
from image_skill.local.store.db import Actor, dumps, new_id, now_iso, transaction
from image_skill.payments import new_idempotency_key

# ------------------------------------------------------------------------ attempts


def _quote_row(
    conn: sqlite3.Connection, quote_id: str, organization_id: str, base: str
) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM quotes WHERE quote_id = ? AND organization_id = ?",
        (quote_id, organization_id),
    ).fetchone()
    if row is None:
        raise api_error(
            404,
            "QUOTE_NOT_FOUND",
            f"no quote {quote_id} for this agent",
            suggested_command=cli_command(base, QUOTE_HELP_COMMAND),
        )
    return row


def _attempt(conn: sqlite3.Connection, attempt_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM payment_attempts WHERE payment_attempt_id = ?", (attempt_id,)
    ).fetchone()
    assert row is not None
    return row


def _insert_attempt(
    conn: sqlite3.Connection, actor: Actor, quote: sqlite3.Row, key: str, trace_id: str
) -> sqlite3.Row:
    attempt_id = new_id("payatt_")
    method = quote["payment_method"]
    session = "cs_test_local_" + secrets.token_hex(12) if method == CHECKOUT else None
    details = {"fragment": "fid" + secrets.token_urlsafe(24)} if session else {}
    now = now_iso()
    conn.execute(
        "INSERT INTO payment_attempts (payment_attempt_id, organization_id, actor_id, quote_id,"
        " payment_method, provider, status, checkout_session_id, idempotency_key, details_json,"
        " trace_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'stripe', 'requires_action', ?, ?, ?, ?, ?, ?)",
        (
            attempt_id,
            actor.organization_id,
            actor.actor_id,
            quote["quote_id"],
            method,
            session,
            key,
            dumps(details),
            trace_id,
            now,
            now,
        ),
    )
    conn.execute(
        "UPDATE quotes SET state = 'action_required' WHERE quote_id = ? AND state = 'created'",
        (quote["quote_id"],),
    )
    if session is not None:
        record_activity(
            conn,
            "payment.checkout_session.created",
            organization_id=actor.organization_id,
            actor_id=actor.actor_id,
            subject_id=attempt_id,
            status="requires_action",
            trace_id=trace_id,
            links={
                "quote_id": quote["quote_id"],
                "payment_attempt_id": attempt_id,
                "checkout_session_id": session,
            },
        )
    return _attempt(conn, attempt_id)


def open_attempt(
    conn: sqlite3.Connection,
    actor: Actor,
    body: dict[str, Any],
    *,
    method: str | None,
    trace_id: str,
    base: str,
) -> tuple[sqlite3.Row, sqlite3.Row, bool]:
    """``(attempt, quote, replayed)`` for a buy (``method``) or a fake purchase (None).

    One attempt per quote: a second key for a quote that already has one returns it.
    ``base`` aims the commands in refusals (see :mod:`.cli_commands`).
    """
    reject_credentials(body)
    quote_id = text_field(body, "quote_id")
    key = text_field(body, "idempotency_key")
    if not quote_id:
        raise invalid_arguments("quote_id is required", recovery={"docs_url": DOCS})
    if not key:
        raise api_error(
            400,
            "IDEMPOTENCY_KEY_REQUIRED",
            "a purchase needs an idempotency_key so a retry cannot pay twice",
            required_flag="--idempotency-key",
        )
    with transaction(conn):
        same_key = conn.execute(
            "SELECT * FROM payment_attempts WHERE actor_id = ? AND idempotency_key = ?",
            (actor.actor_id, key),
        ).fetchone()
        if same_key is not None:
            if same_key["quote_id"] != quote_id or (
                method is not None and same_key["payment_method"] != method
            ):
                raise api_error(
                    409,
                    "IDEMPOTENCY_KEY_CONFLICT",
                    "this idempotency key already names a purchase of another quote; use a new key",
                    idempotency_key=new_idempotency_key("buy"),
                )
            return same_key, _quote_row(conn, quote_id, actor.organization_id, base), True
        quote = _quote_row(conn, quote_id, actor.organization_id, base)
        if method is not None and quote["payment_method"] != method:
            provider = PROVIDER_FOR_METHOD[quote["payment_method"]]
            raise api_error(
                400,
                "PAYMENT_METHOD_MISMATCH",
                f"quote {quote_id} was made for {quote['payment_method']}; buy it with "
                f"--provider {provider}",
                suggested_command=cli_command(
                    base,
                    ["credits", "buy", "--provider", provider, "--quote-id", quote_id]
                    + ["--idempotency-key", "KEY", "--json"],
                ),
            )
        existing = conn.execute(
            "SELECT * FROM payment_attempts WHERE quote_id = ? ORDER BY created_at LIMIT 1",
            (quote_id,),
        ).fetchone()
        if existing is not None:
            return existing, quote, True
        if quote_state(quote) == "expired":
            raise api_error(
                400,
                "QUOTE_EXPIRED",
                f"quote {quote_id} expired at {quote['expires_at']}; request a new quote",
                suggested_command=cli_command(base, QUOTE_HELP_COMMAND),
            )
        return _insert_attempt(conn, actor, quote, key, trace_id), quote, False


def buy(
    conn: sqlite3.Connection,
    actor: Actor,
    body: dict[str, Any],
    *,
    method: str,
    base_url: str,
    trace_id: str,
) -> tuple[dict[str, Any], bool]:
    """A Checkout session or an x402 deposit attempt. Grants nothing."""
    attempt, quote, replayed = open_attempt(
        conn, actor, body, method=method, trace_id=trace_id, base=base_url
    )
    return buy_view(attempt, quote, base_url), replayed


# ------------------------------------------------------------------------ settlement


def settle(
    conn: sqlite3.Connection,
    attempt_id: str,
    *,
    organization_id: str | None,
    trace_id: str | None,
) -> tuple[sqlite3.Row, bool]:
    """Settle one attempt; ``(receipt row, granted_now)``. Exactly once per quote.

    ``organization_id`` restricts the lookup to the caller's org (``None``: the checkout
    page, which holds the attempt's unguessable session id instead of a token).
    """
    with transaction(conn):
        attempt = conn.execute(
            "SELECT * FROM payment_attempts WHERE payment_attempt_id = ?"
            " AND (? IS NULL OR organization_id = ?)",
            (attempt_id, organization_id, organization_id),
        ).fetchone()
        if attempt is None:
            raise api_error(404, "PAYMENT_ATTEMPT_NOT_FOUND", f"no payment attempt {attempt_id}")
        done = conn.execute(
            "SELECT * FROM receipts WHERE quote_id = ?", (attempt["quote_id"],)
        ).fetchone()
        if done is not None:
            return done, False
        if attempt["status"] != "requires_action":
            raise api_error(
                409,
                "PAYMENT_ATTEMPT_NOT_SETTLEABLE",
                f"payment attempt {attempt_id} is {attempt['status']} and cannot be settled",
            )
        quote = conn.execute(
            "SELECT * FROM quotes WHERE quote_id = ?", (attempt["quote_id"],)
        ).fetchone()
        org = attempt["organization_id"]
        receipt_id = new_id("receipt_")
        event = ledger.grant(
            conn,
            org,
            "payment_backed",
            int(quote["credits"]),
            reason="payment_backed_grant",
            actor_id=attempt["actor_id"],
            quote_id=quote["quote_id"],
            payment_attempt_id=attempt_id,
            receipt_id=receipt_id,
            trace_id=trace_id,
        )
        now = now_iso()
        conn.execute(
            "INSERT INTO receipts (receipt_id, organization_id, quote_id, payment_attempt_id,"
            " credit_event_id, credits_granted, amount_cents, currency, payment_method,"
            " idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                receipt_id,
                org,
                quote["quote_id"],
                attempt_id,
                event.credit_event_id,
                quote["credits"],
                quote["price_amount_cents"],
                quote["currency"],
                quote["payment_method"],
                attempt["idempotency_key"],
                now,
            ),
        )
        conn.execute(
            "UPDATE payment_attempts SET status = 'succeeded', settled_at = ?, updated_at = ?"
            " WHERE payment_attempt_id = ?",
            (now, now, attempt_id),
        )
        conn.execute(
            "UPDATE quotes SET state = 'succeeded' WHERE quote_id = ?", (quote["quote_id"],)
        )
        record_activity(
            conn,
            "credits.payment_backed_granted",
            organization_id=org,
            actor_id=attempt["actor_id"],
            subject_id=event.credit_event_id,
            status="succeeded",
            trace_id=trace_id,
            links={
                "quote_id": quote["quote_id"],
                "payment_attempt_id": attempt_id,
                "checkout_session_id": attempt["checkout_session_id"],
                "receipt_id": receipt_id,
                "credit_event_id": event.credit_event_id,
            },
            details={"credits": quote["credits"], "bucket": "payment_backed", "simulated": True},
        )
        receipt = conn.execute(
            "SELECT * FROM receipts WHERE receipt_id = ?", (receipt_id,)
        ).fetchone()
    return receipt, True


def attempt_by_session(conn: sqlite3.Connection, session_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM payment_attempts WHERE checkout_session_id = ?", (session_id,)
    ).fetchone()
    return row


def fake_purchase(
    conn: sqlite3.Connection, actor: Actor, body: dict[str, Any], *, trace_id: str, base: str
) -> dict[str, Any]:
    """``POST /v1/credit-purchases``: open (or reuse) the quote's attempt and settle it."""
    with transaction(conn):
        attempt, quote, _ = open_attempt(
            conn, actor, body, method=None, trace_id=trace_id, base=base
        )
        receipt, granted = settle(
            conn,
            attempt["payment_attempt_id"],
            organization_id=actor.organization_id,
            trace_id=trace_id,
        )
        event = conn.execute(
            "SELECT * FROM credit_events WHERE credit_event_id = ?", (receipt["credit_event_id"],)
        ).fetchone()
    return {
        "state": "succeeded",
        "quote_id": quote["quote_id"],
        "payment_attempt_id": attempt["payment_attempt_id"],
        "receipt_id": receipt["receipt_id"],
        "credit_event_id": receipt["credit_event_id"],
        "credits_granted": receipt["credits_granted"],
        "granted_now": granted,
        "amount_cents": receipt["amount_cents"],
        "currency": receipt["currency"],
        "accepted_payment_method": receipt["payment_method"],
        "idempotency_key": body.get("idempotency_key"),
        "balance_after": event["balance_after"],
        "live_money": False,
        "simulated": True,
    }
