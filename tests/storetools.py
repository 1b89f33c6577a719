"""Old local data dirs for upgrade tests: the version 1 schema and an agent written in its shape.

The rows are written with plain SQL in the version 1 layout (as a release of that time wrote
them), never through today's store code, which expects the newest columns.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass

from image_skill.local.settings import LocalSettings
from image_skill.local.store.schema import SCHEMA

NOW = "2026-01-02T03:04:05.678Z"


@dataclass(frozen=True)
class OldAgent:
    actor_id: str
    organization_id: str
    token: str


def version_1_data_dir(
    settings: LocalSettings,
    *,
    contact: str = "old@example.com",
    name: str = "old",
    credits: int = 30,
) -> OldAgent:
    """A data dir at ``user_version = 1`` holding one agent with a token and free credits."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    try:
        conn.executescript(SCHEMA)
        conn.execute("PRAGMA user_version = 1")
        org, actor = "org_" + secrets.token_hex(12), "agt_" + secrets.token_hex(12)
        token = "isk_r_" + secrets.token_urlsafe(32)
        conn.execute("INSERT INTO organizations VALUES (?, ?)", (org, NOW))
        conn.execute(
            "INSERT INTO actors (actor_id, organization_id, agent_contact, agent_name, runtime,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'r', ?, ?)",
            (actor, org, contact, name, NOW, NOW),
        )
        conn.execute(
            "INSERT INTO tokens (token_id, actor_id, token_hash, token_prefix, token_hint,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                "tok_" + secrets.token_hex(12),
                actor,
                hashlib.sha256(token.encode()).hexdigest(),
                token[:10],
                token[-4:],
                NOW,
            ),
        )
        conn.execute(
            "INSERT INTO credit_balances (organization_id, bucket, balance, granted_total,"
            " updated_at) VALUES (?, 'free_preview', ?, ?, ?)",
            (org, credits, credits, NOW),
        )
        conn.execute(
            "INSERT INTO credit_events (credit_event_id, organization_id, actor_id, bucket,"
            " delta, balance_after, reason, created_at)"
            " VALUES (?, ?, ?, 'free_preview', ?, ?, 'signup_free_preview_grant', ?)",
            ("credit_event_" + secrets.token_hex(12), org, actor, credits, credits, NOW),
        )
    finally:
        conn.close()
    return OldAgent(actor_id=actor, organization_id=org, token=token)
