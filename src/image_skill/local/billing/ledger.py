"""Credits: grants, debits and the quota snapshot.

Balances are kept per organization and bucket (``free_preview``, ``payment_backed``) in
``credit_balances`` and every change writes one ``credit_events`` row in the same
transaction, with the resulting ``balance_after``. Invariant per bucket:
``balance == granted_total - consumed_total >= 0`` (the CHECK constraints back up the
checks made here). Debits spend free-preview credits first, then payment-backed ones,
and are all-or-nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor, iso, new_id, now_iso, transaction, utc_now

Bucket = Literal["free_preview", "payment_backed"]
BUCKETS: tuple[Bucket, ...] = ("free_preview", "payment_backed")
CREDIT_UNIT_USD = 0.01
#: Limits an unclaimed agent runs under (creates/edits enforce them).
MAX_OUTPUT_COUNT = 4
MAX_CREDITS_PER_JOB = 200

_REF_KEYS = frozenset(
    {
        "job_id",
        "usage_event_id",
        "quote_id",
        "payment_attempt_id",
        "receipt_id",
        "payment_reversal_id",
        "trace_id",
    }
)


class InsufficientCredits(Exception):
    """A debit larger than what the buckets hold; nothing was changed."""

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"needs {needed} credits, {available} available")
        self.needed = needed
        self.available = available


@dataclass(frozen=True)
class BucketBalance:
    balance: int
    granted_total: int
    consumed_total: int


@dataclass(frozen=True)
class CreditEvent:
    credit_event_id: str
    organization_id: str
    bucket: str
    delta: int
    balance_after: int
    reason: str
    created_at: str

    def public(self) -> dict[str, Any]:
        return {
            "credit_event_id": self.credit_event_id,
            "bucket": self.bucket,
            "delta_credits": self.delta,
            "balance_after": self.balance_after,
            "reason": self.reason,
            "created_at": self.created_at,
        }


def balances(conn: sqlite3.Connection, organization_id: str) -> dict[str, BucketBalance]:
    out: dict[str, BucketBalance] = {b: BucketBalance(0, 0, 0) for b in BUCKETS}
    for row in conn.execute(
        "SELECT bucket, balance, granted_total, consumed_total FROM credit_balances"
        " WHERE organization_id = ?",
        (organization_id,),
    ):
        out[row["bucket"]] = BucketBalance(
            row["balance"], row["granted_total"], row["consumed_total"]
        )
    return out


def _apply(
    conn: sqlite3.Connection,
    organization_id: str,
    bucket: str,
    delta: int,
    *,
    granted: int,
    consumed: int,
    reason: str,
    actor_id: str | None,
    refs: dict[str, str | None],
) -> CreditEvent:
    if bucket not in BUCKETS:
        raise ValueError(f"unknown bucket {bucket!r}")
    unknown = set(refs) - _REF_KEYS
    if unknown:
        raise ValueError(f"unknown credit event references: {sorted(unknown)}")
    now = now_iso()
    conn.execute(
        "INSERT INTO credit_balances (organization_id, bucket, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (organization_id, bucket) DO NOTHING",
        (organization_id, bucket, now),
    )
    row = conn.execute(
        "SELECT balance FROM credit_balances WHERE organization_id = ? AND bucket = ?",
        (organization_id, bucket),
    ).fetchone()
    after = row["balance"] + delta
    if after < 0:
        raise InsufficientCredits(-delta, row["balance"])
    conn.execute(
        "UPDATE credit_balances SET balance = ?, granted_total = granted_total + ?,"
        " consumed_total = consumed_total + ?, updated_at = ?"
        " WHERE organization_id = ? AND bucket = ?",
        (after, granted, consumed, now, organization_id, bucket),
    )
    event_id = new_id("credit_event_")
    cols = sorted(k for k, v in refs.items() if v is not None)
    conn.execute(
        "INSERT INTO credit_events (credit_event_id, organization_id, actor_id, bucket, delta,"
        " balance_after, reason, created_at"
        + "".join(", " + c for c in cols)
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?"
        + ", ?" * len(cols)
        + ")",
        (event_id, organization_id, actor_id, bucket, delta, after, reason, now)
        + tuple(refs[c] for c in cols),
    )
    return CreditEvent(event_id, organization_id, bucket, delta, after, reason, now)


def grant(
    conn: sqlite3.Connection,
    organization_id: str,
    bucket: Bucket,
    credits: int,
    *,
    reason: str,
    actor_id: str | None = None,
    **refs: str | None,
) -> CreditEvent:
    """Add credits to one bucket (free starter grant, verified payment settlement)."""
    if credits <= 0:
        raise ValueError("a grant must be positive")
    with transaction(conn):
        return _apply(
            conn,
            organization_id,
            bucket,
            credits,
            granted=credits,
            consumed=0,
            reason=reason,
            actor_id=actor_id,
            refs=refs,
        )


def debit(
    conn: sqlite3.Connection,
    organization_id: str,
    credits: int,
    *,
    reason: str,
    actor_id: str | None = None,
    buckets: tuple[Bucket, ...] = BUCKETS,
    **refs: str | None,
) -> list[CreditEvent]:
    """Spend ``credits``: free-preview first, then payment-backed; all or nothing.

    Raises :class:`InsufficientCredits` (and changes nothing) when the buckets together
    hold less. Returns one event per bucket touched (none for a zero debit).
    """
    if credits < 0:
        raise ValueError("a debit must not be negative")
    with transaction(conn):
        current = balances(conn, organization_id)
        available = sum(current[b].balance for b in buckets)
        if available < credits:
            raise InsufficientCredits(credits, available)
        events: list[CreditEvent] = []
        left = credits
        for bucket in buckets:
            take = min(left, current[bucket].balance)
            if take > 0:
                events.append(
                    _apply(
                        conn,
                        organization_id,
                        bucket,
                        -take,
                        granted=0,
                        consumed=take,
                        reason=reason,
                        actor_id=actor_id,
                        refs=refs,
                    )
                )
                left -= take
        return events


def release(
    conn: sqlite3.Connection,
    events: list[CreditEvent],
    *,
    reason: str,
    actor_id: str | None = None,
    **refs: str | None,
) -> list[CreditEvent]:
    """Give back a debit (e.g. a reservation whose job failed) to the buckets it came from."""
    out: list[CreditEvent] = []
    with transaction(conn):
        for event in events:
            if event.delta >= 0:
                raise ValueError("only debits can be released")
            out.append(
                _apply(
                    conn,
                    event.organization_id,
                    event.bucket,
                    -event.delta,
                    granted=0,
                    consumed=event.delta,
                    reason=reason,
                    actor_id=actor_id,
                    refs=refs,
                )
            )
    return out


def revoke_granted(
    conn: sqlite3.Connection,
    organization_id: str,
    bucket: Bucket,
    credits: int,
    *,
    reason: str,
    actor_id: str | None = None,
    **refs: str | None,
) -> tuple[CreditEvent | None, int]:
    """Take back up to ``credits`` granted credits (refunds, disputes), never below zero.

    Returns the event (``None`` when nothing could be taken) and the amount not applied,
    which the caller records as a pending reversal.
    """
    if credits <= 0:
        raise ValueError("a reversal must be positive")
    with transaction(conn):
        have = balances(conn, organization_id)[bucket].balance
        take = min(have, credits)
        if take == 0:
            return None, credits
        event = _apply(
            conn,
            organization_id,
            bucket,
            -take,
            granted=-take,
            consumed=0,
            reason=reason,
            actor_id=actor_id,
            refs=refs,
        )
        return event, credits - take


# ---------------------------------------------------------------------------- quota


def utc_day_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utc_now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def daily_jobs_used(
    conn: sqlite3.Connection, organization_id: str, now: datetime | None = None
) -> int:
    """Jobs flagged ``counts_daily_cap`` created in the current UTC day."""
    start, end = utc_day_window(now)
    row = conn.execute(
        "SELECT COUNT(*) FROM jobs WHERE organization_id = ? AND counts_daily_cap = 1"
        " AND created_at >= ? AND created_at < ?",
        (organization_id, iso(start), iso(end)),
    ).fetchone()
    return int(row[0])


def quota_snapshot(
    conn: sqlite3.Connection,
    actor: Actor,
    settings: LocalSettings,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The ``/v1/quota`` data block (server digest §1.4)."""
    bal = balances(conn, actor.organization_id)
    free, paid = bal["free_preview"], bal["payment_backed"]
    _, resets = utc_day_window(now)
    used = daily_jobs_used(conn, actor.organization_id, now)
    limit = settings.daily_job_cap
    return {
        "authenticated": True,
        "claim_state": actor.claim_state,
        "claim_request_state": actor.claim_request_state,
        "token_status": actor.token_status,
        "actor": actor.envelope_block(),
        "limits": {
            "remaining_credits": free.balance,
            "free_preview_credits_granted": free.granted_total,
            "free_preview_credits_consumed": free.consumed_total,
            "payment_backed_remaining_credits": paid.balance,
            "payment_backed_granted_credits": paid.granted_total,
            "payment_backed_consumed_credits": paid.consumed_total,
            "total_remaining_credits": free.balance + paid.balance,
            "credit_unit_usd": CREDIT_UNIT_USD,
        },
        "daily_jobs": {
            "limit": limit,
            "used": used,
            "remaining": max(0, limit - used),
            "window": "utc_day",
            "resets_at": iso(resets),
            "applies_to": "free_preview_funded_jobs",
        },
        "model_limits": {
            "max_output_count": MAX_OUTPUT_COUNT,
            "max_credits_per_job": MAX_CREDITS_PER_JOB,
        },
        "reset_windows": [
            {"limit": "daily_jobs", "window": "utc_day", "resets_at": iso(resets)},
            {"limit": "free_preview_credits", "window": "none", "resets_at": None},
        ],
    }
