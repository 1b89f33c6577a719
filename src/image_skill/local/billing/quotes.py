"""Credit quotes of the local backend (never grant) and helpers shared by the payment loop.

A quote's idempotency key is scoped to the agent: the same key with the same terms
(credits, pack, payment method) returns the same quote; other terms give
``CREDIT_QUOTE_CONFLICT`` (409, exit 2) with a recovery holding a fresh key.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from image_skill.local.billing.catalog import (
    CHECKOUT,
    MAX_CREDITS,
    MIN_CREDITS,
    PAYMENT_METHODS,
    QUOTE_TTL_SECONDS,
    X402,
    get_pack,
    pack_ids,
)
from image_skill.local.billing.next_actions import recommended_buy
from image_skill.local.billing.views import quote_public
from image_skill.local.cli_commands import cli_command
from image_skill.local.errors import ApiError, invalid_arguments
from image_skill.local.store.db import Actor, iso, new_id, transaction, utc_now
from image_skill.payments import credential_fields_in, new_idempotency_key

DOCS = "https://image-skill.com/cli.md#image-skill-credits"
PROVIDER_FOR_METHOD = {CHECKOUT: "stripe", X402: "stripe_x402"}
#: Quote states in which the quote can still be bought.
OPEN_STATES = ("created", "action_required")


def api_error(status: int, code: str, message: str, **recovery: Any) -> ApiError:
    return ApiError(status, code, message, recovery={**recovery, "docs_url": DOCS})


def reject_credentials(body: dict[str, Any]) -> None:
    """Refuse bodies carrying card, wallet, x402-header or secret-like fields."""
    found = credential_fields_in(body)
    if found:
        raise invalid_arguments(
            "payment credentials are never accepted by Image Skill; remove: " + ", ".join(found),
            recovery={"docs_url": DOCS},
        )


def text_field(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_arguments(f"{key} must be a string")
    return value


# ------------------------------------------------------------------------ quotes


def _quote_terms(body: dict[str, Any], base: str) -> tuple[int, str | None, str]:
    """Validated ``(credits, pack_id, payment_method)`` of a quote request."""
    pack_id = text_field(body, "pack_id")
    method = text_field(body, "payment_method") or CHECKOUT
    if method not in PAYMENT_METHODS:
        raise invalid_arguments(
            f"payment_method must be one of: {', '.join(PAYMENT_METHODS)}",
            recovery={
                "suggested_command": cli_command(base, "image-skill credits methods --json"),
                "docs_url": DOCS,
            },
        )
    raw = body.get("credits")
    credits: int | None = None
    if raw is not None:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != int(raw):
            raise invalid_arguments("credits must be a whole number")
        credits = int(raw)
        if not MIN_CREDITS <= credits <= MAX_CREDITS:
            raise invalid_arguments(f"credits must be between {MIN_CREDITS} and {MAX_CREDITS}")
    if pack_id is not None:
        pack = get_pack(pack_id)
        if pack is None:
            raise invalid_arguments(
                f"unknown pack_id {pack_id!r}; packs: {', '.join(pack_ids())}",
                recovery={
                    "suggested_command": cli_command(base, "image-skill credits packs list --json")
                },
            )
        if credits is not None and credits != pack["credits"]:
            raise invalid_arguments(
                f"credits ({credits}) does not match pack {pack_id} ({pack['credits']} credits)"
            )
        credits = int(pack["credits"])
    if credits is None:
        raise invalid_arguments("a quote needs pack_id or credits")
    return credits, pack_id, method


def _quote_command(credits: int, pack_id: str | None, method: str, key: str, base: str) -> str:
    terms = ["--pack", pack_id] if pack_id else ["--credits", str(credits)]
    return cli_command(
        base,
        ["credits", "quote", *terms, "--payment-method", method]
        + ["--idempotency-key", key, "--json"],
    )


def create_quote(
    conn: sqlite3.Connection, actor: Actor, body: dict[str, Any], *, trace_id: str, base: str
) -> tuple[dict[str, Any], bool]:
    """``(quote data, replayed)``. Never grants anything.

    ``base`` aims the commands in refusals (see :mod:`.cli_commands`).
    """
    reject_credentials(body)
    credits, pack_id, method = _quote_terms(body, base)
    key = text_field(body, "idempotency_key") or new_idempotency_key("quote")
    with transaction(conn):
        row = conn.execute(
            "SELECT * FROM quotes WHERE actor_id = ? AND idempotency_key = ?",
            (actor.actor_id, key),
        ).fetchone()
        if row is not None:
            if (row["credits"], row["pack_id"], row["payment_method"]) == (
                credits,
                pack_id,
                method,
            ):
                return _with_buy(row, base), True
            fresh = new_idempotency_key("quote")
            raise api_error(
                409,
                "CREDIT_QUOTE_CONFLICT",
                "this idempotency key already names a quote with other terms; quote again "
                "with a new key",
                suggested_command=_quote_command(credits, pack_id, method, fresh, base),
                idempotency_key=fresh,
                existing_quote_id=row["quote_id"],
            )
        quote_id = new_id("quote_")
        now = utc_now()
        conn.execute(
            "INSERT INTO quotes (quote_id, organization_id, actor_id, state, credits,"
            " price_amount_cents, currency, pack_id, payment_method, idempotency_key,"
            " live_money, trace_id, expires_at, created_at)"
            " VALUES (?, ?, ?, 'created', ?, ?, 'USD', ?, ?, ?, 0, ?, ?, ?)",
            (
                quote_id,
                actor.organization_id,
                actor.actor_id,
                credits,
                credits,
                pack_id,
                method,
                key,
                trace_id,
                iso(now + timedelta(seconds=QUOTE_TTL_SECONDS)),
                iso(now),
            ),
        )
        row = conn.execute("SELECT * FROM quotes WHERE quote_id = ?", (quote_id,)).fetchone()
    return _with_buy(row, base), False


def _with_buy(row: sqlite3.Row, base: str) -> dict[str, Any]:
    """The quote plus, while it can still be bought, its ``recommended_buy`` (0.1.70 §7.6)."""
    data = quote_public(row)
    if data["state"] in OPEN_STATES:
        data["next_actions"] = {"recommended_buy": recommended_buy(row, base)}
    return data
