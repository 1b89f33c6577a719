"""Agent signup: a new agent with its own organization and free grant, or a new token for one.

The store (:mod:`.store.db`) keeps agents and tokens and resolves a token to its actor; the
starter grant is a ledger entry (:mod:`.billing.ledger`). Signup needs both, so it lives above
them here (the store imports nothing from billing).
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from image_skill.local.billing import ledger
from image_skill.local.store.db import (
    TOKEN_PREFIX,
    Actor,
    hash_token,
    load_actor,
    new_id,
    now_iso,
    transaction,
)

TOKEN_CLASS = "restricted"


@dataclass(frozen=True)
class SignupResult:
    actor: Actor
    token: str  # the raw token; the caller returns it once or drops it
    created: bool  # a new agent (False: same contact + name, new token issued)
    revoked_token_ids: tuple[str, ...]


def mint_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def signup_agent(
    conn: sqlite3.Connection,
    *,
    agent_contact: str | None,
    agent_name: str,
    runtime: str,
    free_credits: int,
    revoke_previous: bool = False,
    trace_id: str | None = None,
    discovery_source: str | None = None,
) -> SignupResult:
    """Create an agent (new org, free starter grant) or rotate an existing one's token.

    Same normalised contact + same agent name means the same agent: a new token is
    issued and, only when ``revoke_previous``, the older active tokens are revoked.
    Without a contact (an anonymous signup) every call creates a new agent.
    ``discovery_source`` is kept only where none was recorded yet (first touch wins).
    """
    contact = agent_contact.strip().lower() if agent_contact is not None else None
    now = now_iso()
    with transaction(conn):
        row = None
        if contact is not None:
            row = conn.execute(
                "SELECT actor_id FROM actors WHERE agent_contact = ? AND agent_name = ?",
                (contact, agent_name),
            ).fetchone()
        revoked: tuple[str, ...] = ()
        if row is None:
            created = True
            org_id, actor_id = new_id("org_"), new_id("agt_")
            conn.execute(
                "INSERT INTO organizations (organization_id, discovery_source, created_at)"
                " VALUES (?, ?, ?)",
                (org_id, discovery_source, now),
            )
            conn.execute(
                "INSERT INTO actors (actor_id, organization_id, agent_contact, agent_name,"
                " runtime, discovery_source, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (actor_id, org_id, contact, agent_name, runtime, discovery_source, now, now),
            )
            if free_credits > 0:
                ledger.grant(
                    conn,
                    org_id,
                    "free_preview",
                    free_credits,
                    reason="signup_free_preview_grant",
                    actor_id=actor_id,
                    trace_id=trace_id,
                )
        else:
            created = False
            actor_id = row["actor_id"]
            conn.execute(
                "UPDATE actors SET runtime = ?, updated_at = ?,"
                " discovery_source = COALESCE(discovery_source, ?) WHERE actor_id = ?",
                (runtime, now, discovery_source, actor_id),
            )
            conn.execute(
                "UPDATE organizations SET discovery_source = COALESCE(discovery_source, ?)"
                " WHERE organization_id = (SELECT organization_id FROM actors WHERE actor_id = ?)",
                (discovery_source, actor_id),
            )
            if revoke_previous:
                revoked = tuple(
                    r["token_id"]
                    for r in conn.execute(
                        "SELECT token_id FROM tokens WHERE actor_id = ? AND status = 'active'",
                        (actor_id,),
                    )
                )
                conn.execute(
                    "UPDATE tokens SET status = 'revoked', revoked_at = ?"
                    " WHERE actor_id = ? AND status = 'active'",
                    (now, actor_id),
                )
        token = mint_token()
        token_id = new_id("tok_")
        conn.execute(
            "INSERT INTO tokens (token_id, actor_id, token_hash, token_prefix, token_hint,"
            " token_class, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)",
            (token_id, actor_id, hash_token(token), token[:10], token[-4:], TOKEN_CLASS, now),
        )
        actor = load_actor(conn, token_id)
    assert actor is not None
    return SignupResult(actor=actor, token=token, created=created, revoked_token_ids=revoked)
