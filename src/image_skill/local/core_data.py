"""What the core read-only routes answer (health, whoami, quota), free of the web framework.

:mod:`image_skill.local.routes.core` (the FastAPI routes) and :mod:`image_skill.local.direct`
(the in-process fast path, which never imports FastAPI) both build these replies from here:
one definition of each reply's data and command label.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from image_skill._constants import CONTRACT_VERSION, __version__
from image_skill.local.billing.ledger import quota_snapshot
from image_skill.local.billing.top_up import with_top_up
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import DEFAULT_GRANTS, Actor, now_iso, redact_contact

API_VERSION = "v1"
SERVICE_NAME = "image-skill-local"

#: Envelope ``command`` labels of the routes.
HEALTH_COMMAND = "image-skill doctor"
WHOAMI_COMMAND = "image-skill whoami"
QUOTA_COMMAND = "image-skill usage quota"


def health() -> dict[str, Any]:
    """``GET /healthz``."""
    return {
        "status": "ok",
        "api_version": API_VERSION,
        "service": SERVICE_NAME,
        "version": __version__,
        "contract_version": CONTRACT_VERSION,
        "time": now_iso(),
        "offline": True,
        "live_money": False,
    }


def identity(actor: Actor) -> dict[str, Any]:
    """``GET /v1/whoami``: the token's agent."""
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


def quota(
    conn: sqlite3.Connection, actor: Actor, settings: LocalSettings, base: str
) -> dict[str, Any]:
    """``GET /v1/quota``: balances and limits, with top-up commands aimed at ``base``."""
    return with_top_up(quota_snapshot(conn, actor, settings), base)


def parse_bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header value, else ``None``."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None
