"""SQLite schema of the local backend: version 1 (:data:`SCHEMA`) plus :data:`MIGRATIONS`.

Conventions: ids are prefixed strings (``org_``, ``agt_``, ``job_`` ...); timestamps are
UTC ISO-8601 strings with milliseconds and a ``Z`` (``2025-01-02T03:04:05.678Z``), so
they sort and compare as text; JSON columns end in ``_json``; booleans are 0/1.
Secrets never reach the database: tokens are stored as sha256 hashes, prompts as a
sha256 plus a length.

A new data dir gets :data:`SCHEMA` and then every migration; an older one gets the
migrations above its ``PRAGMA user_version``. Every statement is ``IF NOT EXISTS``, so
two processes upgrading the same file at once cannot trip over each other.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

SCHEMA_VERSION = 3

#: The only activity event types the backend may emit (server digest §3.7).
ACTIVITY_TYPES: frozenset[str] = frozenset(
    {
        "job.completed",
        "job.planned",
        "asset.created",
        "asset.uploaded",
        "usage.credit_consumed",
        "feedback.created",
        "feedback.github_queue.processed",
        "payment.checkout_session.created",
        "credits.payment_backed_granted",
        "credits.payment_backed_refunded",
        "credits.payment_backed_disputed",
        "credits.payment_backed_reinstated",
        "credits.payment_backed_reversal_pending",
        "credits.payment_backed_reversal_rejected",
    }
)

_ACTIVITY_CHECK = ", ".join(f"'{t}'" for t in sorted(ACTIVITY_TYPES))

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS organizations (
    organization_id TEXT PRIMARY KEY,
    created_at      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS actors (
    actor_id        TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_type      TEXT NOT NULL DEFAULT 'agent'
                    CHECK (actor_type IN ('agent', 'human', 'session', 'system')),
    agent_contact   TEXT NOT NULL,
    agent_name      TEXT NOT NULL,
    runtime         TEXT NOT NULL,
    claim_state     TEXT NOT NULL DEFAULT 'unclaimed'
                    CHECK (claim_state IN ('unclaimed', 'payment_backed_unclaimed',
                                           'claimed', 'revoked')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (agent_contact, agent_name)
);

CREATE TABLE IF NOT EXISTS tokens (
    token_id     TEXT PRIMARY KEY,
    actor_id     TEXT NOT NULL REFERENCES actors(actor_id),
    token_hash   TEXT NOT NULL UNIQUE,          -- sha256 hex of the raw token
    token_prefix TEXT NOT NULL,                 -- non-secret, e.g. 'isk_r_Ab'
    token_hint   TEXT NOT NULL,                 -- non-secret, last 4 characters
    token_class  TEXT NOT NULL DEFAULT 'restricted',
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX IF NOT EXISTS tokens_actor ON tokens(actor_id);

-- Cached balance per organization and bucket; every change goes with one credit_events row
-- in the same transaction, so the sum of deltas always equals the balance.
CREATE TABLE IF NOT EXISTS credit_balances (
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id),
    bucket          TEXT NOT NULL CHECK (bucket IN ('free_preview', 'payment_backed')),
    balance         INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    granted_total   INTEGER NOT NULL DEFAULT 0 CHECK (granted_total >= 0),
    consumed_total  INTEGER NOT NULL DEFAULT 0 CHECK (consumed_total >= 0),
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (organization_id, bucket)
);

CREATE TABLE IF NOT EXISTS credit_events (
    credit_event_id     TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_id            TEXT,
    bucket              TEXT NOT NULL CHECK (bucket IN ('free_preview', 'payment_backed')),
    delta               INTEGER NOT NULL CHECK (delta <> 0),
    balance_after       INTEGER NOT NULL CHECK (balance_after >= 0),
    reason              TEXT NOT NULL,
    job_id              TEXT,
    usage_event_id      TEXT,
    quote_id            TEXT,
    payment_attempt_id  TEXT,
    receipt_id          TEXT,
    payment_reversal_id TEXT,
    trace_id            TEXT,
    created_at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_events_org ON credit_events(organization_id, created_at);
CREATE INDEX IF NOT EXISTS credit_events_job ON credit_events(job_id);

-- One row per creative operation that records spend (ids `usage_…`).
CREATE TABLE IF NOT EXISTS usage_events (
    usage_event_id  TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_id        TEXT,
    job_id          TEXT,
    credits         INTEGER NOT NULL CHECK (credits >= 0),
    estimated_usd   REAL,
    trace_id        TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS quotes (
    quote_id           TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_id           TEXT NOT NULL,
    state              TEXT NOT NULL DEFAULT 'created',
    credits            INTEGER NOT NULL CHECK (credits > 0),
    price_amount_cents INTEGER NOT NULL CHECK (price_amount_cents >= 0),
    currency           TEXT NOT NULL DEFAULT 'USD',
    pack_id            TEXT,
    payment_method     TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL,
    live_money         INTEGER NOT NULL DEFAULT 0,
    trace_id           TEXT,
    expires_at         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    UNIQUE (actor_id, idempotency_key)
);

CREATE TABLE IF NOT EXISTS payment_attempts (
    payment_attempt_id  TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_id            TEXT NOT NULL,
    quote_id            TEXT NOT NULL REFERENCES quotes(quote_id),
    payment_method      TEXT NOT NULL,
    provider            TEXT NOT NULL DEFAULT 'stripe',
    status              TEXT NOT NULL DEFAULT 'requires_action'
                        CHECK (status IN ('requires_action', 'succeeded', 'expired', 'failed',
                                          'canceled', 'refunded', 'disputed')),
    checkout_session_id TEXT UNIQUE,
    idempotency_key     TEXT NOT NULL,
    details_json        TEXT NOT NULL DEFAULT '{{}}',
    trace_id            TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    settled_at          TEXT,
    UNIQUE (actor_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS payment_attempts_quote ON payment_attempts(quote_id);

-- UNIQUE(quote_id) makes a grant happen at most once per quote.
CREATE TABLE IF NOT EXISTS receipts (
    receipt_id         TEXT PRIMARY KEY,
    organization_id    TEXT NOT NULL REFERENCES organizations(organization_id),
    quote_id           TEXT NOT NULL UNIQUE REFERENCES quotes(quote_id),
    payment_attempt_id TEXT UNIQUE,
    credit_event_id    TEXT NOT NULL,
    credits_granted    INTEGER NOT NULL CHECK (credits_granted > 0),
    amount_cents       INTEGER NOT NULL,
    currency           TEXT NOT NULL DEFAULT 'USD',
    payment_method     TEXT NOT NULL,
    idempotency_key    TEXT,
    created_at         TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS payment_reversals (
    payment_reversal_id TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(organization_id),
    receipt_id          TEXT NOT NULL REFERENCES receipts(receipt_id),
    kind                TEXT NOT NULL CHECK (kind IN ('refund', 'dispute', 'reinstatement')),
    credits             INTEGER NOT NULL CHECK (credits > 0),
    applied_credits     INTEGER NOT NULL DEFAULT 0 CHECK (applied_credits >= 0),
    status              TEXT NOT NULL CHECK (status IN ('applied', 'pending', 'rejected')),
    created_at          TEXT NOT NULL
);

-- Replay store for every endpoint that moves money or spend.
CREATE TABLE IF NOT EXISTS idempotency_records (
    actor_id        TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'in_progress'
                    CHECK (state IN ('in_progress', 'completed', 'failed')),
    resource_id     TEXT,
    http_status     INTEGER,
    response_json   TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (actor_id, endpoint, idem_key)
);

CREATE TABLE IF NOT EXISTS jobs (
    job_id            TEXT PRIMARY KEY,
    organization_id   TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_id          TEXT NOT NULL,
    operation         TEXT NOT NULL CHECK (operation IN ('create', 'edit', 'upload')),
    status            TEXT NOT NULL CHECK (status IN ('planned', 'queued', 'running',
                                                      'completed', 'failed', 'canceled')),
    model_id          TEXT,
    capability_id     TEXT,
    trace_id          TEXT,
    prompt_sha256     TEXT,                     -- never the prompt itself
    prompt_length     INTEGER,
    params_json       TEXT NOT NULL DEFAULT '{{}}',
    cost_json         TEXT NOT NULL DEFAULT '{{}}',
    plan_receipt_json TEXT,
    safety_json       TEXT,
    idempotency_key   TEXT,
    credits_reserved  INTEGER NOT NULL DEFAULT 0 CHECK (credits_reserved >= 0),
    credits_debited   INTEGER NOT NULL DEFAULT 0 CHECK (credits_debited >= 0),
    counts_daily_cap  INTEGER NOT NULL DEFAULT 0,  -- 1 for live jobs funded by free credits
    usage_event_id    TEXT,
    error_code        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    completed_at      TEXT
);
CREATE INDEX IF NOT EXISTS jobs_org ON jobs(organization_id, created_at);
CREATE INDEX IF NOT EXISTS jobs_daily ON jobs(organization_id, counts_daily_cap, created_at);

CREATE TABLE IF NOT EXISTS assets (
    asset_id         TEXT PRIMARY KEY,           -- image_/video_/audio_/file_ + random
    organization_id  TEXT NOT NULL REFERENCES organizations(organization_id),
    job_id           TEXT REFERENCES jobs(job_id),
    kind             TEXT NOT NULL CHECK (kind IN ('uploaded', 'generated')),
    mime_type        TEXT NOT NULL,
    content_length   INTEGER NOT NULL CHECK (content_length >= 0),
    sha256           TEXT NOT NULL,
    width            INTEGER,
    height           INTEGER,
    duration_seconds REAL,
    storage_filename TEXT NOT NULL,              -- relative to data_dir/media/
    source_kind      TEXT,                       -- uploads: local_path | remote_url
    remote_origin    TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS assets_org ON assets(organization_id);
CREATE INDEX IF NOT EXISTS assets_job ON assets(job_id);

CREATE TABLE IF NOT EXISTS activity_events (
    event_id        TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_id        TEXT,
    type            TEXT NOT NULL CHECK (type IN ({_ACTIVITY_CHECK})),
    subject_type    TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    operation       TEXT NOT NULL,
    status          TEXT,
    summary         TEXT NOT NULL,
    trace_id        TEXT,
    links_json      TEXT NOT NULL,
    cost_json       TEXT NOT NULL DEFAULT '{{}}',
    details_json    TEXT NOT NULL DEFAULT '{{}}',
    occurred_at     TEXT NOT NULL,
    seq             INTEGER NOT NULL              -- insertion order for stable sorting
);
CREATE INDEX IF NOT EXISTS activity_org ON activity_events(organization_id, seq);

CREATE TABLE IF NOT EXISTS feedback (
    feedback_id     TEXT PRIMARY KEY,             -- sig_…
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_id        TEXT NOT NULL,
    type            TEXT NOT NULL,
    title           TEXT,
    body            TEXT,
    severity        TEXT,
    confidence      TEXT,
    next_state      TEXT,
    fields_json     TEXT NOT NULL DEFAULT '{{}}', -- the other structured fields, redacted
    dedupe_key      TEXT,
    duplicate_of    TEXT,
    trace_id        TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_dedupe ON feedback(organization_id, dedupe_key);
"""

#: Version 2: the gallery's one-time login links and browser sessions. Like tokens, the
#: codes and session ids are stored as sha256 hashes only; both are tied to the token that
#: asked for the link, so revoking that token ends its browser sessions too.
GALLERY_SCHEMA = """
CREATE TABLE IF NOT EXISTS gallery_links (
    code_hash       TEXT PRIMARY KEY,             -- sha256 hex of the one-time code
    actor_id        TEXT NOT NULL REFERENCES actors(actor_id),
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id),
    token_id        TEXT NOT NULL REFERENCES tokens(token_id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
);
CREATE INDEX IF NOT EXISTS gallery_links_expiry ON gallery_links(expires_at);

CREATE TABLE IF NOT EXISTS gallery_sessions (
    session_hash    TEXT PRIMARY KEY,             -- sha256 hex of the cookie's session id
    actor_id        TEXT NOT NULL REFERENCES actors(actor_id),
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id),
    token_id        TEXT NOT NULL REFERENCES tokens(token_id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    ended_at        TEXT
);
CREATE INDEX IF NOT EXISTS gallery_sessions_expiry ON gallery_sessions(expires_at);
"""

#: Version 3 (contract 0.1.70): anonymous signups and claim requests. ``actors`` is rebuilt
#: because SQLite cannot drop a NOT NULL: ``agent_contact`` becomes optional (NULL for an
#: anonymous agent; NULLs never collide in the UNIQUE pair, so every anonymous signup is a new
#: agent), and the contact attached later by ``POST /v1/agent-claims`` is kept apart in
#: ``claim_contact`` so that it never lets a contact signup rotate this agent's token (a claim
#: is not proof of owning the inbox). ``discovery_source`` is the first self-reported channel
#: slug, per agent and per organization. The store runs this script with foreign keys off
#: and checks them before it commits (see ``Store._create_schema``).
ANONYMOUS_SIGNUP_SCHEMA = """
CREATE TABLE actors_v3 (
    actor_id            TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(organization_id),
    actor_type          TEXT NOT NULL DEFAULT 'agent'
                        CHECK (actor_type IN ('agent', 'human', 'session', 'system')),
    agent_contact       TEXT,                     -- NULL: anonymous signup
    agent_name          TEXT NOT NULL,
    runtime             TEXT NOT NULL,
    claim_state         TEXT NOT NULL DEFAULT 'unclaimed'
                        CHECK (claim_state IN ('unclaimed', 'payment_backed_unclaimed',
                                               'claimed', 'revoked')),
    claim_contact       TEXT,                     -- attached by POST /v1/agent-claims
    claim_request_state TEXT CHECK (claim_request_state IN ('requested')),
    claim_requested_at  TEXT,
    discovery_source    TEXT,                     -- first touch wins
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (agent_contact, agent_name)
);
INSERT INTO actors_v3 (actor_id, organization_id, actor_type, agent_contact, agent_name,
                       runtime, claim_state, created_at, updated_at)
    SELECT actor_id, organization_id, actor_type, agent_contact, agent_name, runtime,
           claim_state, created_at, updated_at
    FROM actors;
DROP TABLE actors;
ALTER TABLE actors_v3 RENAME TO actors;
ALTER TABLE organizations ADD COLUMN discovery_source TEXT;
"""

#: ``{version: script}``: what brings a data dir from ``version - 1`` to ``version``.
MIGRATIONS: dict[int, str] = {2: GALLERY_SCHEMA, 3: ANONYMOUS_SIGNUP_SCHEMA}


def statements(script: str) -> Iterator[str]:
    """The statements of ``script``, one at a time (``sqlite3.complete_statement`` decides)."""
    buf: list[str] = []
    for line in script.splitlines():
        buf.append(line)
        if sqlite3.complete_statement("\n".join(buf)):
            stmt = "\n".join(buf).strip()
            buf = []
            if stmt:
                yield stmt


def retry_locked(fn: Callable[[], Any], attempts: int = 50) -> Any:
    """``fn()``, tried again (every 50 ms) while the database is locked."""
    for i in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or i == attempts - 1:
                raise
            time.sleep(0.05)
    return None  # pragma: no cover
