"""Core routes: health, agent signup, whoami, quota."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from image_skill._constants import CONTRACT_VERSION, __version__
from image_skill.local.agents import signup_agent
from image_skill.local.billing.ledger import quota_snapshot
from image_skill.local.billing.top_up import with_top_up
from image_skill.local.deps import Conn, CurrentActor, Settings, cli_base_of, command
from image_skill.local.errors import (
    SIGNUP_DOCS_URL,
    envelope_doc,
    envelope_response,
    invalid_arguments,
    signup_command,
    trace_id_of,
)
from image_skill.local.store.db import DEFAULT_GRANTS, Actor, now_iso, redact_contact

router = APIRouter()

API_VERSION = "v1"
SERVICE_NAME = "image-skill-local"

#: Sent with every signup reply that carries the raw token (the client filters it out
#: when it saved the token itself, so it must match exactly).
TOKEN_RETURNED_WARNING = (
    "hosted restricted token is returned once; store it in the agent runtime secret store"
    " and never paste it into prompts, logs, issues, or product feedback"
)
MSG_AGENT_CONTACT = "agent_contact must be an email-shaped durable contact inbox"
MSG_HUMAN_EMAIL = "human_email must be a valid email address"
MSG_HUMAN_EMAIL_ALIAS = (
    "human_email is a legacy alias for agent_contact and must be an email-shaped durable"
    " contact inbox"
)
MSG_DISCOVERY_SOURCE = (
    "discovery_source must be a channel slug of lowercase letters, digits, '.', '_' or '-'"
    " (1 to 64 characters); omit it when the channel is not known"
)
#: An email-shaped inbox: what ``agent_contact`` and a claim request's ``contact`` must be.
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
#: The self-reported discovery channel slug (contract 0.1.70 §1.2).
DISCOVERY_SOURCE = re.compile(r"^[a-z0-9._-]{1,64}$")
_MAX_TEXT = 200


def _signup_recovery(base: str) -> dict[str, Any]:
    """What a refused signup needs (0.1.70: the contact is optional)."""
    return {
        "required_flags": ["--agent-name", "--runtime"],
        "optional_flags": ["--agent-contact", "--discovery-source"],
        "suggested_command": signup_command(base),
        "docs_url": SIGNUP_DOCS_URL,
    }


# Fields are typed ``Any`` so the handler can answer bad values with the contract's own
# messages; ``json_schema_extra`` documents what it accepts.
_Contact = Annotated[
    Any, Field(default=None, json_schema_extra={"type": "string", "pattern": EMAIL.pattern})
]
_Slug = Annotated[
    Any,
    Field(default=None, json_schema_extra={"type": "string", "pattern": DISCOVERY_SOURCE.pattern}),
]
_Text = Annotated[
    Any,
    Field(
        default=None,
        json_schema_extra={
            "type": "string",
            "minLength": 1,
            "maxLength": _MAX_TEXT,
            "pattern": r"\S",
        },
    ),
]


class SignupRequest(BaseModel):
    """Body of ``POST /v1/agent-signups``.

    Without ``agent_contact`` (and its legacy alias ``human_email``) the signup is anonymous
    and creates a new agent every time (contract 0.1.70 §1.1).
    """

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"required": ["agent_name", "runtime"]}
    )

    agent_contact: _Contact = None
    human_email: _Contact = None
    agent_name: _Text = None
    runtime: _Text = None
    return_token: bool = True
    discovery_source: _Slug = None


@router.get("/healthz", openapi_extra=command("image-skill doctor"), responses=envelope_doc())
def healthz(request: Request) -> JSONResponse:
    return envelope_response(
        request,
        {
            "status": "ok",
            "api_version": API_VERSION,
            "service": SERVICE_NAME,
            "version": __version__,
            "contract_version": CONTRACT_VERSION,
            "time": now_iso(),
            "offline": True,
            "live_money": False,
        },
    )


def _normalise_contact(body: SignupRequest, base: str) -> tuple[str | None, bool]:
    """The trimmed, lower-cased contact (``None``: anonymous) and whether it came from the
    legacy alias."""
    contact, alias = body.agent_contact, body.human_email
    if contact is None and alias is None:
        return None, False
    if contact is not None:
        if not isinstance(contact, str) or not EMAIL.match(contact.strip()):
            raise invalid_arguments(MSG_AGENT_CONTACT, _signup_recovery(base))
        value = contact.strip().lower()
        if alias is not None and (not isinstance(alias, str) or alias.strip().lower() != value):
            raise invalid_arguments(
                "agent_contact and human_email must name the same inbox when both are sent",
                _signup_recovery(base),
            )
        return value, False
    if not isinstance(alias, str):
        raise invalid_arguments(MSG_HUMAN_EMAIL, _signup_recovery(base))
    if not EMAIL.match(alias.strip()):
        raise invalid_arguments(MSG_HUMAN_EMAIL_ALIAS, _signup_recovery(base))
    return alias.strip().lower(), True


def _discovery_source(value: Any, base: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not DISCOVERY_SOURCE.fullmatch(value):
        raise invalid_arguments(MSG_DISCOVERY_SOURCE, _signup_recovery(base))
    return value


def _required_text(value: Any, field: str, base: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_arguments(
            f"{field} is required and must be a non-empty string", _signup_recovery(base)
        )
    if len(value) > _MAX_TEXT:
        raise invalid_arguments(
            f"{field} must be at most {_MAX_TEXT} characters", _signup_recovery(base)
        )
    return value


@router.post(
    "/v1/agent-signups",
    openapi_extra=command("image-skill signup"),
    responses=envelope_doc("Agent created or token rotated"),
)
def agent_signup(
    request: Request, body: SignupRequest, conn: Conn, settings: Settings
) -> JSONResponse:
    base = cli_base_of(request)
    contact, legacy = _normalise_contact(body, base)
    name = _required_text(body.agent_name, "agent_name", base)
    runtime = _required_text(body.runtime, "runtime", base)
    source = _discovery_source(body.discovery_source, base)
    result = signup_agent(
        conn,
        agent_contact=contact,
        agent_name=name,
        runtime=runtime,
        free_credits=settings.free_credits,
        revoke_previous=settings.revoke_previous_tokens_on_rotate,
        trace_id=trace_id_of(request),
        discovery_source=source,
    )
    actor = result.actor
    warnings: list[str] = []
    if body.return_token:
        warnings.append(TOKEN_RETURNED_WARNING)
    if result.revoked_token_ids:
        warnings.append("earlier tokens of this agent were revoked by this signup")
    data: dict[str, Any] = {
        "actor_id": actor.actor_id,
        "organization_id": actor.organization_id,
        "agent_contact": actor.agent_contact,
        "agent_name": actor.agent_name,
        "runtime": actor.runtime,
        "claim_state": actor.claim_state,
        "created": result.created,
        "rotated": not result.created,
        "revoked_token_count": len(result.revoked_token_ids),
        "token_class": actor.token_class,
        "token_status": actor.token_status,
        "token_prefix": actor.token_prefix,
        "token_hint": actor.token_hint,
        "token_created_at": actor.token_created_at,
        "grants": list(DEFAULT_GRANTS),
        "token": result.token if body.return_token else None,
        "quota": quota_snapshot(conn, actor, settings),
    }
    if legacy:
        data["human_email"] = actor.agent_contact
    return envelope_response(request, data, actor=actor, warnings=warnings)


def _identity(actor: Actor) -> dict[str, Any]:
    return {
        "authenticated": True,
        # The server only sees a bearer header; it cannot tell a saved config from an
        # environment variable or stdin, so it reports the documented default.
        "session_origin": "loaded_from_config",
        "token_status": actor.token_status,
        "token_created_at": actor.token_created_at,
        "token_class": actor.token_class,
        "token_prefix": actor.token_prefix,
        "token_hint": actor.token_hint,
        "actor": actor.envelope_block(),
        "organization": {"organization_id": actor.organization_id},
        "claim_state": actor.claim_state,
        "claim_request_state": actor.claim_request_state,
        "grants": list(DEFAULT_GRANTS),
        "agent_name": actor.agent_name,
        "runtime": actor.runtime,
        "agent_contact_redacted": redact_contact(actor.contact),
    }


@router.get(
    "/v1/whoami",
    openapi_extra=command("image-skill whoami"),
    responses=envelope_doc("Identity of the token's agent", auth=True),
)
def whoami(request: Request, actor: CurrentActor) -> JSONResponse:
    return envelope_response(request, _identity(actor), actor=actor)


@router.get(
    "/v1/quota",
    openapi_extra=command("image-skill usage quota"),
    responses=envelope_doc("Balances and limits", auth=True),
)
def quota(request: Request, conn: Conn, settings: Settings, actor: CurrentActor) -> JSONResponse:
    data = with_top_up(quota_snapshot(conn, actor, settings), cli_base_of(request))
    return envelope_response(request, data, actor=actor)
