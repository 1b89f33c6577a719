"""What ``POST /v1/agent-signups`` answers, free of the web framework.

The FastAPI route (:mod:`image_skill.local.routes.core`) and the in-process fast path
(:mod:`image_skill.local.direct`) both run :func:`signup_reply` on a body validated as
:class:`~image_skill.api.requests.SignupRequest` (refusals use :func:`signup_recovery` and
:data:`SIGNUP_MESSAGES`), so a signup answers alike on both.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from image_skill.api.requests import (
    DISCOVERY_SOURCE_PATTERN,
    EMAIL_PATTERN,
    MAX_SIGNUP_TEXT,
    SignupRequest,
)
from image_skill.local.agents import signup_agent
from image_skill.local.billing.ledger import quota_snapshot
from image_skill.local.errors import SIGNUP_DOCS_URL, invalid_arguments, signup_command
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import DEFAULT_GRANTS, Actor

SIGNUP_COMMAND = "image-skill signup"

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
EMAIL = re.compile(EMAIL_PATTERN)
#: The self-reported discovery channel slug (contract 0.1.70 §1.2).
DISCOVERY_SOURCE = re.compile(DISCOVERY_SOURCE_PATTERN)
_MAX_TEXT = MAX_SIGNUP_TEXT


def signup_recovery(base: str) -> dict[str, Any]:
    """What a refused signup needs (0.1.70: the contact is optional)."""
    return {
        "required_flags": ["--agent-name", "--runtime"],
        "optional_flags": ["--agent-contact", "--discovery-source"],
        "suggested_command": signup_command(base),
        "docs_url": SIGNUP_DOCS_URL,
    }


#: What a signup body refused for its shape says, when the contract fixes the message.
SIGNUP_MESSAGES = {
    "agent_contact": MSG_AGENT_CONTACT,
    "human_email": MSG_HUMAN_EMAIL,
    "agent_name": "agent_name is required and must be a non-empty string",
    "runtime": "runtime is required and must be a non-empty string",
    "discovery_source": MSG_DISCOVERY_SOURCE,
}


def _normalise_contact(body: SignupRequest, base: str) -> tuple[str | None, bool]:
    """The trimmed, lower-cased contact (``None``: anonymous) and whether it came from the
    legacy alias."""
    contact, alias = body.agent_contact, body.human_email
    if contact is None and alias is None:
        return None, False
    if contact is not None:
        if not isinstance(contact, str) or not EMAIL.match(contact.strip()):
            raise invalid_arguments(MSG_AGENT_CONTACT, signup_recovery(base))
        value = contact.strip().lower()
        if alias is not None and (not isinstance(alias, str) or alias.strip().lower() != value):
            raise invalid_arguments(
                "agent_contact and human_email must name the same inbox when both are sent",
                signup_recovery(base),
            )
        return value, False
    if not isinstance(alias, str):
        raise invalid_arguments(MSG_HUMAN_EMAIL, signup_recovery(base))
    if not EMAIL.match(alias.strip()):
        raise invalid_arguments(MSG_HUMAN_EMAIL_ALIAS, signup_recovery(base))
    return alias.strip().lower(), True


def _discovery_source(value: Any, base: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not DISCOVERY_SOURCE.fullmatch(value):
        raise invalid_arguments(MSG_DISCOVERY_SOURCE, signup_recovery(base))
    return value


def _required_text(value: Any, field: str, base: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_arguments(
            f"{field} is required and must be a non-empty string", signup_recovery(base)
        )
    if len(value) > _MAX_TEXT:
        raise invalid_arguments(
            f"{field} must be at most {_MAX_TEXT} characters", signup_recovery(base)
        )
    return value


def signup_reply(
    conn: sqlite3.Connection,
    settings: LocalSettings,
    body: SignupRequest,
    *,
    base: str,
    trace_id: str,
) -> tuple[dict[str, Any], Actor, list[str]]:
    """Sign the agent up (or rotate its token): the reply's data, its actor and warnings.
    Raises :class:`~image_skill.local.errors.ApiError` for a refused field."""
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
        trace_id=trace_id,
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
    return data, actor, warnings
