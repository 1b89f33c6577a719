"""``POST /v1/agent-claims``: attach a contact inbox after an anonymous signup (0.1.70 §1.3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.api.requests import ClaimRequest
from image_skill.local.cli_commands import cli_command
from image_skill.local.deps import Conn, CurrentActor, cli_base_of, command
from image_skill.local.errors import envelope_doc, envelope_response, invalid_arguments
from image_skill.local.routes.bodies import body_doc, json_body
from image_skill.local.signup_data import EMAIL
from image_skill.local.store.claims import request_claim
from image_skill.local.store.db import redact_contact

router = APIRouter()

CLAIM_SUGGESTED_COMMAND = "image-skill claim request --contact AGENT_OR_OPERATOR_INBOX --json"
CLAIM_DOCS_URL = "https://image-skill.com/cli.md#image-skill-claim-request"
MSG_CONTACT = "contact must be an email-shaped durable contact inbox"


def _claim_recovery(base: str) -> dict[str, Any]:
    return {
        "required_flags": ["--contact"],
        "suggested_command": cli_command(base, CLAIM_SUGGESTED_COMMAND),
        "docs_url": CLAIM_DOCS_URL,
    }


def _contact(value: str, base: str) -> str:
    if not EMAIL.match(value.strip()):
        raise invalid_arguments(MSG_CONTACT, _claim_recovery(base))
    return value.strip().lower()


_CLAIM_BODY = json_body(ClaimRequest, recovery=_claim_recovery, messages={"contact": MSG_CONTACT})


@router.post(
    "/v1/agent-claims",
    openapi_extra=body_doc(ClaimRequest, command("image-skill claim request")),
    responses=envelope_doc("Contact attached (or unchanged); the agent stays unclaimed", auth=True),
)
def agent_claim(
    request: Request, conn: Conn, actor: CurrentActor, body: ClaimRequest = _CLAIM_BODY
) -> JSONResponse:
    contact = _contact(body.contact, cli_base_of(request))
    result = request_claim(conn, actor, contact)
    data = {
        "state": result.state,
        "claim_state": result.claim_state,
        "claim_request_state": result.claim_request_state,
        "contact_redacted": redact_contact(result.contact),
        "claim_requested_at": result.claim_requested_at,
        "actor_id": actor.actor_id,
        "organization_id": actor.organization_id,
    }
    return envelope_response(request, data, actor=actor)
