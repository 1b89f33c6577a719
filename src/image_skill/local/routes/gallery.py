"""The gallery at ``/`` and its login: one-time links that become an HttpOnly cookie.

* ``POST /v1/local/gallery-links`` (bearer token; ``image-skill local gallery``) answers
  an envelope whose ``data.url`` is ``{base}/login/{code}``: a random one-time code, not
  the token, valid for five minutes.
* ``GET /login/{code}`` uses the code once, sets the session cookie (``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` over https) and redirects (303) to ``/``, so the code
  does not stay in the address bar. A used or expired code gets a ``410`` page, an unknown
  one a ``404`` page; neither sets a cookie.
* ``GET /`` shows the session's agent's recent jobs and files (never another
  organization's), or, without a session, a short page naming the command to run.
* ``POST /logout`` ends the session and clears the cookie.

The cookie name carries the port, so two backends served on one host keep their own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from image_skill.local.billing import ledger
from image_skill.local.cli_commands import cli_command
from image_skill.local.deps import Conn, CurrentActor, command, media_base_url, public_base_url
from image_skill.local.errors import envelope_doc, envelope_response
from image_skill.local.pages import gallery as pages
from image_skill.local.routes.pages import html_response
from image_skill.local.store.gallery import gallery_page
from image_skill.local.store.sessions import (
    LINK_TTL,
    SESSION_TTL,
    LinkRefused,
    create_link,
    end_session,
    redeem_link,
    session_actor,
)

router = APIRouter()

COOKIE_PREFIX = "image_skill_gallery"
LOGIN_PATH = "/login/"
_MAX_PAGE = 100_000


def cookie_name(request: Request) -> str:
    port = request.url.port
    return f"{COOKIE_PREFIX}_{port}" if port else COOKIE_PREFIX


def _link_command(request: Request) -> str:
    return cli_command(public_base_url(request), ["local", "gallery"])


def _media_origin(request: Request) -> str:
    """The media host's origin when it is not this backend's (for the page's CSP)."""
    media, own = urlsplit(media_base_url(request)), urlsplit(public_base_url(request))
    if (media.scheme, media.netloc) == (own.scheme, own.netloc):
        return ""
    return f"{media.scheme}://{media.netloc}"


@router.post(
    "/v1/local/gallery-links",
    openapi_extra=command("image-skill local gallery"),
    responses=envelope_doc("A one-time login link for the gallery (local only)", auth=True),
)
def gallery_link(request: Request, conn: Conn, actor: CurrentActor) -> JSONResponse:
    link = create_link(conn, actor)
    base = public_base_url(request)
    data = {
        "url": base + LOGIN_PATH + link.code,
        "gallery_url": base + "/",
        "expires_at": link.expires_at,
        "expires_in_seconds": int(LINK_TTL.total_seconds()),
        "single_use": True,
        "session_ttl_seconds": int(SESSION_TTL.total_seconds()),
    }
    return envelope_response(request, data, actor=actor)


@router.get(LOGIN_PATH + "{code}", include_in_schema=False)
def login(request: Request, code: str, conn: Conn) -> Response:
    try:
        session = redeem_link(conn, code)
    except LinkRefused as refused:
        status = 404 if refused.reason == "unknown" else 410
        return html_response(
            pages.link_refused_page(refused.reason, _link_command(request)), status
        )
    response = RedirectResponse("/", status_code=303)
    response.headers["cache-control"] = "no-store"
    response.headers["referrer-policy"] = "no-referrer"
    response.set_cookie(
        cookie_name(request),
        session.session_id,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(int(raw), _MAX_PAGE) if raw.isdigit() and int(raw) >= 1 else 1


@router.get("/", include_in_schema=False)
def gallery(request: Request, conn: Conn) -> Response:
    actor = session_actor(conn, request.cookies.get(cookie_name(request)))
    if actor is None:
        return html_response(pages.signed_out_page(_link_command(request)))
    balances = ledger.balances(conn, actor.organization_id)
    paid, free = balances["payment_backed"].balance, balances["free_preview"].balance
    viewer = pages.Viewer(
        agent_name=actor.agent_name,
        actor_id=actor.actor_id,
        organization_id=actor.organization_id,
        total_balance=paid + free,
        paid_balance=paid,
        free_balance=free,
    )
    page = gallery_page(
        conn, actor.organization_id, media_base_url(request), page=_page_number(request)
    )
    return html_response(pages.gallery_page(viewer, page), media_origin=_media_origin(request))


@router.post("/logout", include_in_schema=False)
def logout(request: Request, conn: Conn) -> Response:
    end_session(conn, request.cookies.get(cookie_name(request)))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(cookie_name(request), path="/", httponly=True, samesite="strict")
    return response
