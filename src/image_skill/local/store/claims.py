"""Claim requests: a contact inbox attached to an agent after signup (contract 0.1.70 §1.3).

Attaching a contact is not proof that the agent owns the inbox, so the agent stays
``unclaimed``; the request is recorded (``claim_request_state: "requested"``) for a later,
out-of-band claim. The contact is kept in its own column (``claim_contact``), never in the
``agent_contact`` that a contact signup uses to find the agent again, so a claim can never
make another signup rotate this agent's token.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from image_skill.local.store.db import Actor, now_iso, transaction

REQUESTED = "requested"
ATTACHED = "attached"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ClaimResult:
    #: ``attached`` (a new or different contact was recorded) or ``unchanged`` (the same
    #: contact was already on an earlier claim request).
    state: str
    contact: str
    claim_state: str
    claim_request_state: str
    claim_requested_at: str


def request_claim(conn: sqlite3.Connection, actor: Actor, contact: str) -> ClaimResult:
    """Record ``contact`` (already validated and normalised) on ``actor``'s claim request."""
    with transaction(conn):
        row = conn.execute(
            "SELECT claim_state, claim_contact, claim_request_state, claim_requested_at"
            " FROM actors WHERE actor_id = ?",
            (actor.actor_id,),
        ).fetchone()
        if row["claim_request_state"] == REQUESTED and row["claim_contact"] == contact:
            return ClaimResult(
                UNCHANGED, contact, row["claim_state"], REQUESTED, row["claim_requested_at"]
            )
        now = now_iso()
        conn.execute(
            "UPDATE actors SET claim_contact = ?, claim_request_state = ?,"
            " claim_requested_at = ?, updated_at = ? WHERE actor_id = ?",
            (contact, REQUESTED, now, now, actor.actor_id),
        )
    return ClaimResult(ATTACHED, contact, row["claim_state"], REQUESTED, now)
