"""Idempotency records for endpoints that move money or spend.

Scope is ``(actor, endpoint, key)``. A route calls :func:`begin` inside its write
transaction: a new key is claimed (``state="in_progress"``); a finished key with the same
request hash returns the stored reply to replay; a key reused with a different request
raises :class:`IdempotencyConflict`. :func:`complete` stores the reply.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from image_skill.local.store.db import dumps, loads, now_iso, sha256_hex


class IdempotencyConflict(Exception):
    """The key was used before with a different request."""


@dataclass(frozen=True)
class Replay:
    state: str  # in_progress | completed | failed
    resource_id: str | None
    http_status: int | None
    response: Any


def request_hash(payload: Any) -> str:
    """Stable hash of a request's terms (key order does not matter)."""
    return sha256_hex(dumps(payload))


def begin(
    conn: sqlite3.Connection,
    *,
    actor_id: str,
    organization_id: str,
    endpoint: str,
    key: str,
    payload_hash: str,
) -> Replay | None:
    """Claim ``key`` (returns ``None``) or return what was recorded for it before."""
    row = conn.execute(
        "SELECT request_hash, state, resource_id, http_status, response_json"
        " FROM idempotency_records WHERE actor_id = ? AND endpoint = ? AND idem_key = ?",
        (actor_id, endpoint, key),
    ).fetchone()
    if row is None:
        now = now_iso()
        conn.execute(
            "INSERT INTO idempotency_records (actor_id, organization_id, endpoint, idem_key,"
            " request_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (actor_id, organization_id, endpoint, key, payload_hash, now, now),
        )
        return None
    if row["request_hash"] != payload_hash:
        raise IdempotencyConflict(key)
    return Replay(row["state"], row["resource_id"], row["http_status"], loads(row["response_json"]))


def complete(
    conn: sqlite3.Connection,
    *,
    actor_id: str,
    endpoint: str,
    key: str,
    response: Any,
    http_status: int = 200,
    resource_id: str | None = None,
    state: str = "completed",
) -> None:
    """Record the outcome for ``key`` (``state="failed"`` lets a retry run again)."""
    conn.execute(
        "UPDATE idempotency_records SET state = ?, resource_id = ?, http_status = ?,"
        " response_json = ?, updated_at = ? WHERE actor_id = ? AND endpoint = ? AND idem_key = ?",
        (state, resource_id, http_status, dumps(response), now_iso(), actor_id, endpoint, key),
    )
