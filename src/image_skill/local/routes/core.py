"""Core routes: health, agent signup, whoami, quota."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.api.requests import (
    SignupRequest,
)
from image_skill.local.core_data import (
    HEALTH_COMMAND,
    QUOTA_COMMAND,
    WHOAMI_COMMAND,
    health,
    identity,
)
from image_skill.local.core_data import quota as quota_data
from image_skill.local.deps import (
    Conn,
    Settings,
    borrowed_conn,
    cli_base_of,
    command,
    settings_of,
    signed_in_caller,
)
from image_skill.local.errors import (
    envelope_doc,
    envelope_response,
    trace_id_of,
)
from image_skill.local.routes.bodies import body_doc, json_body
from image_skill.local.signup_data import (
    SIGNUP_COMMAND,
    SIGNUP_MESSAGES,
    signup_recovery,
    signup_reply,
)

router = APIRouter()


_SIGNUP_BODY = json_body(SignupRequest, recovery=signup_recovery, messages=SIGNUP_MESSAGES)


@router.get("/healthz", openapi_extra=command(HEALTH_COMMAND), responses=envelope_doc())
async def healthz(request: Request) -> JSONResponse:
    return envelope_response(request, health())


@router.post(
    "/v1/agent-signups",
    openapi_extra=body_doc(SignupRequest, command(SIGNUP_COMMAND)),
    responses=envelope_doc("Agent created or token rotated"),
)
def agent_signup(
    request: Request, conn: Conn, settings: Settings, body: SignupRequest = _SIGNUP_BODY
) -> JSONResponse:
    data, actor, warnings = signup_reply(
        conn, settings, body, base=cli_base_of(request), trace_id=trace_id_of(request)
    )
    return envelope_response(request, data, actor=actor, warnings=warnings)


@router.get(
    "/v1/whoami",
    openapi_extra=command(WHOAMI_COMMAND),
    responses=envelope_doc("Identity of the token's agent", auth=True),
)
async def whoami(request: Request) -> JSONResponse:
    # No dependencies, on the event loop: one indexed read (see routes/create.py).
    async with borrowed_conn(request) as conn:
        actor = await signed_in_caller(request, conn)
    return envelope_response(request, identity(actor), actor=actor)


@router.get(
    "/v1/quota",
    openapi_extra=command(QUOTA_COMMAND),
    responses=envelope_doc("Balances and limits", auth=True),
)
async def quota(request: Request) -> JSONResponse:
    # No dependencies, on the event loop: a few indexed reads (WAL readers never wait).
    async with borrowed_conn(request) as conn:
        actor = await signed_in_caller(request, conn)
        data = quota_data(conn, actor, settings_of(request), cli_base_of(request))
    return envelope_response(request, data, actor=actor)
