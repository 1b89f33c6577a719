"""Gallery login links and browser sessions of the local backend.

An agent asks for a login link with its bearer token (``POST /v1/local/gallery-links``);
the link holds a random one-time code, never the token. Opening it trades the code for a
browser session id, which the gallery keeps in an ``HttpOnly`` cookie. Only sha256 hashes
of codes and session ids reach the database.

* a code works once (:func:`redeem_link` marks it used in the same transaction that opens
  the session) and for :data:`LINK_TTL` after it was made;
* a session lasts :data:`SESSION_TTL` and ends early when the token that asked for the
  link is revoked, or when the browser logs out (:func:`end_session`).

Times are passed in (``now``) so expiry is testable without waiting.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from image_skill.local.store.db import (
    Actor,
    actor_for_token_id,
    iso,
    sha256_hex,
    transaction,
    utc_now,
)

LINK_TTL = timedelta(minutes=5)
SESSION_TTL = timedelta(hours=8)
#: Used or expired links are kept this long (so a late click says "already used").
_LINK_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class LoginLink:
    code: str  # the raw one-time code; shown once, stored hashed
    expires_at: str


@dataclass(frozen=True)
class BrowserSession:
    session_id: str  # the raw id for the cookie; stored hashed
    actor: Actor
    expires_at: str


class LinkRefused(Exception):
    """A login code that cannot be redeemed; ``reason`` is ``unknown``, ``used`` or
    ``expired``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def create_link(
    conn: sqlite3.Connection, actor: Actor, *, now: datetime | None = None
) -> LoginLink:
    """A new one-time login code for ``actor`` (tied to the token it authenticated with)."""
    now = now or utc_now()
    code = secrets.token_urlsafe(24)
    expires = iso(now + LINK_TTL)
    with transaction(conn):
        conn.execute(
            "DELETE FROM gallery_links WHERE expires_at < ?", (iso(now - _LINK_RETENTION),)
        )
        conn.execute(
            "INSERT INTO gallery_links (code_hash, actor_id, organization_id, token_id,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                sha256_hex(code),
                actor.actor_id,
                actor.organization_id,
                actor.token_id,
                iso(now),
                expires,
            ),
        )
    return LoginLink(code=code, expires_at=expires)


def redeem_link(
    conn: sqlite3.Connection, code: str, *, now: datetime | None = None
) -> BrowserSession:
    """Use a login code once and open a browser session; :class:`LinkRefused` otherwise."""
    now = now or utc_now()
    with transaction(conn):
        row = conn.execute(
            "SELECT * FROM gallery_links WHERE code_hash = ?", (sha256_hex(code),)
        ).fetchone()
        if row is None:
            raise LinkRefused("unknown")
        if row["used_at"] is not None:
            raise LinkRefused("used")
        if row["expires_at"] <= iso(now):
            raise LinkRefused("expired")
        actor = actor_for_token_id(conn, row["token_id"])
        if actor is None:  # the token was revoked after the link was made
            raise LinkRefused("unknown")
        conn.execute(
            "UPDATE gallery_links SET used_at = ? WHERE code_hash = ?",
            (iso(now), row["code_hash"]),
        )
        conn.execute(
            "DELETE FROM gallery_sessions WHERE expires_at < ?", (iso(now - _LINK_RETENTION),)
        )
        session_id = secrets.token_urlsafe(32)
        expires = iso(now + SESSION_TTL)
        conn.execute(
            "INSERT INTO gallery_sessions (session_hash, actor_id, organization_id, token_id,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                sha256_hex(session_id),
                actor.actor_id,
                actor.organization_id,
                actor.token_id,
                iso(now),
                expires,
            ),
        )
    return BrowserSession(session_id=session_id, actor=actor, expires_at=expires)


def session_actor(
    conn: sqlite3.Connection, session_id: str | None, *, now: datetime | None = None
) -> Actor | None:
    """The agent behind a live session id, else ``None`` (unknown, expired, ended, revoked)."""
    if not session_id:
        return None
    now = now or utc_now()
    row = conn.execute(
        "SELECT token_id FROM gallery_sessions WHERE session_hash = ? AND ended_at IS NULL"
        " AND expires_at > ?",
        (sha256_hex(session_id), iso(now)),
    ).fetchone()
    return None if row is None else actor_for_token_id(conn, row["token_id"])


def end_session(
    conn: sqlite3.Connection, session_id: str | None, *, now: datetime | None = None
) -> bool:
    """End a session (logout); whether a live one was ended."""
    if not session_id:
        return False
    now = now or utc_now()
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE gallery_sessions SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL",
            (iso(now), sha256_hex(session_id)),
        )
    return cursor.rowcount == 1
