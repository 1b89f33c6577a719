"""Browser pages of the local backend: the Checkout handoff and a simulated Checkout page.

``GET /pay/{payment_attempt_id}`` redirects (302) to the attempt's ``checkout_url``,
``#`` fragment included. ``GET /_local/checkout/c/pay/{session}`` shows the amount and a
"complete payment" form; posting it settles the attempt exactly once (the same action as
``image-skill local settle``) and shows the receipt. Possession of the unguessable session
id in the URL is what authorizes the page, as with a hosted Checkout link. No card data is
asked for or accepted.
"""

from __future__ import annotations

import sqlite3
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from image_skill.local.billing.payments import attempt_by_session, settle
from image_skill.local.billing.views import checkout_urls, status_command
from image_skill.local.deps import Conn, public_base_url
from image_skill.local.errors import trace_id_of

router = APIRouter(include_in_schema=False)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
    "color:#222}main{border:1px solid #ccc;border-radius:8px;padding:1.5rem}"
    ".note{background:#fff6d6;padding:.6rem;border-radius:6px}button{font-size:1rem;"
    "padding:.6rem 1.2rem}code{word-break:break-all}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><main><h1>{escape(title)}</h1>{body}"
        "<p class=note>Offline local backend: this checkout is simulated and no money moves."
        "</p></main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def _not_found() -> HTMLResponse:
    return _page("Checkout not found", "<p>This checkout link is unknown.</p>", 404)


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


def _summary(conn: sqlite3.Connection, attempt: sqlite3.Row) -> str:
    quote = conn.execute(
        "SELECT credits, price_amount_cents, pack_id FROM quotes WHERE quote_id = ?",
        (attempt["quote_id"],),
    ).fetchone()
    cents = int(quote["price_amount_cents"])
    pack = f" (pack {escape(quote['pack_id'])})" if quote["pack_id"] else ""
    return (
        f"<p><strong>{quote['credits']} Image Skill credits</strong>{pack} for "
        f"<strong>${cents // 100}.{cents % 100:02d} USD</strong>.</p>"
        f"<p>Payment attempt <code>{escape(attempt['payment_attempt_id'])}</code></p>"
    )


@router.get("/_local/checkout/c/pay/{session_id}")
def checkout_page(session_id: str, conn: Conn) -> HTMLResponse:
    attempt = attempt_by_session(conn, session_id)
    if attempt is None:
        return _not_found()
    summary = _summary(conn, attempt)
    if attempt["status"] == "succeeded":
        return _page("Payment complete", summary + "<p>This checkout is already paid.</p>")
    form = (
        f"<form method=post action='/_local/checkout/c/pay/{escape(session_id)}/complete'>"
        "<button type=submit>Complete simulated payment</button></form>"
    )
    return _page("Image Skill checkout (simulated)", summary + form)


@router.post("/_local/checkout/c/pay/{session_id}/complete")
def checkout_complete(request: Request, session_id: str, conn: Conn) -> HTMLResponse:
    attempt = attempt_by_session(conn, session_id)
    if attempt is None:
        return _not_found()
    receipt, granted = settle(
        conn,
        attempt["payment_attempt_id"],
        organization_id=None,
        trace_id=trace_id_of(request),
    )
    note = (
        f"<p>{receipt['credits_granted']} credits were added to the agent's balance.</p>"
        if granted
        else "<p>This checkout was already paid; nothing was charged or granted again.</p>"
    )
    body = (
        _summary(conn, attempt)
        + note
        + f"<p>Receipt <code>{escape(receipt['receipt_id'])}</code></p>"
        + "<p>The agent can now run <code>"
        + escape(status_command(attempt["payment_attempt_id"], public_base_url(request)))
        + "</code>.</p>"
    )
    return _page("Payment complete", body)
