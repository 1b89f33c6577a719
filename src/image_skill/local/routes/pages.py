"""Browser pages of the local backend: the Checkout handoff, a simulated Checkout, its receipt.

``GET /pay/{payment_attempt_id}`` redirects (302) to the attempt's ``checkout_url``,
``#`` fragment included. ``GET /_local/checkout/c/pay/{session}`` shows the amount and a
"complete payment" button; posting it settles the attempt exactly once (the same action as
``image-skill local settle``) and redirects (303) to ``.../receipt``, so a reload of the
result re-posts nothing. A second post (another tab, the back button) grants nothing and
says so on the receipt. Possession of the unguessable session id in the URL is what
authorizes these pages, as with a hosted Checkout link. No card data is asked for or
accepted.

:func:`html_response` is the one way every HTML page (this module and the gallery) answers:
``no-store``, no referrer, and a content security policy that allows no script at all.
"""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from image_skill.local.billing import ledger
from image_skill.local.billing.payments import attempt_by_session, settle
from image_skill.local.billing.views import checkout_urls, status_command
from image_skill.local.deps import Conn, public_base_url
from image_skill.local.errors import ApiError, trace_id_of
from image_skill.local.pages import checkout as pages

router = APIRouter(include_in_schema=False)

_CHECKOUT = "/_local/checkout/c/pay/"


def html_response(
    html: str,
    status: int = 200,
    *,
    media_origin: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """An HTML page: never cached, sends no referrer, runs no script, loads only our media."""
    media = f"'self' {media_origin}".strip()
    policy = (
        f"default-src 'none'; img-src {media}; media-src {media}; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
            "content-security-policy": policy,
            **(headers or {}),
        },
    )


def _not_found() -> HTMLResponse:
    return html_response(pages.not_found_page(), 404)


@router.get("/pay/{payment_attempt_id}")
def handoff(request: Request, payment_attempt_id: str, conn: Conn) -> Response:
    attempt = conn.execute(
        "SELECT * FROM payment_attempts WHERE payment_attempt_id = ?", (payment_attempt_id,)
    ).fetchone()
    if attempt is None or not attempt["checkout_session_id"]:
        return _not_found()
    _handoff, url = checkout_urls(attempt, public_base_url(request))
    assert url is not None
    return RedirectResponse(url, status_code=302)


def _purchase(conn: sqlite3.Connection, attempt: sqlite3.Row) -> pages.Purchase:
    quote = conn.execute(
        "SELECT credits, price_amount_cents, currency, pack_id FROM quotes WHERE quote_id = ?",
        (attempt["quote_id"],),
    ).fetchone()
    return pages.Purchase(
        payment_attempt_id=attempt["payment_attempt_id"],
        credits=int(quote["credits"]),
        amount_cents=int(quote["price_amount_cents"]),
        currency=quote["currency"] or "USD",
        pack_id=quote["pack_id"],
    )


def _receipt(conn: sqlite3.Connection, attempt: sqlite3.Row) -> pages.Receipt | None:
    row = conn.execute(
        "SELECT * FROM receipts WHERE quote_id = ?", (attempt["quote_id"],)
    ).fetchone()
    if row is None:
        return None
    balances = ledger.balances(conn, attempt["organization_id"])
    paid, free = balances["payment_backed"].balance, balances["free_preview"].balance
    return pages.Receipt(
        receipt_id=row["receipt_id"],
        credits_granted=int(row["credits_granted"]),
        amount_cents=int(row["amount_cents"]),
        currency=row["currency"],
        paid_at=row["created_at"],
        total_balance=paid + free,
        paid_balance=paid,
        free_balance=free,
    )


@router.get(_CHECKOUT + "{session_id}")
def checkout_page(session_id: str, conn: Conn) -> HTMLResponse:
    attempt = attempt_by_session(conn, session_id)
    if attempt is None:
        return _not_found()
    purchase = _purchase(conn, attempt)
    if _receipt(conn, attempt) is not None:
        return html_response(pages.already_paid_page(purchase, _CHECKOUT + session_id + "/receipt"))
    return html_response(pages.checkout_page(purchase, _CHECKOUT + session_id + "/complete"))


@router.post(_CHECKOUT + "{session_id}/complete")
def checkout_complete(request: Request, session_id: str, conn: Conn) -> Response:
    attempt = attempt_by_session(conn, session_id)
    if attempt is None:
        return _not_found()
    try:
        _receipt_row, granted = settle(
            conn,
            attempt["payment_attempt_id"],
            organization_id=None,
            trace_id=trace_id_of(request),
        )
    except ApiError as exc:  # an attempt that can no longer be paid (expired, failed ...)
        return html_response(pages.refused_page(exc.message), exc.status)
    receipt = _CHECKOUT + session_id + "/receipt" + ("" if granted else "?again=1")
    return RedirectResponse(receipt, status_code=303)


@router.get(_CHECKOUT + "{session_id}/receipt")
def receipt_page(request: Request, session_id: str, conn: Conn) -> HTMLResponse:
    attempt = attempt_by_session(conn, session_id)
    if attempt is None:
        return _not_found()
    receipt = _receipt(conn, attempt)
    if receipt is None:
        return html_response(pages.unpaid_receipt_page(_CHECKOUT + session_id), 404)
    command = status_command(attempt["payment_attempt_id"], public_base_url(request))
    again = request.query_params.get("again") == "1"
    page = pages.receipt_page(
        _purchase(conn, attempt), receipt, again=again, status_command=command
    )
    return html_response(page)
