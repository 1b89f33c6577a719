"""Spend safety for create/edit: idempotency keys, quota, reservation and release.

Exactly-once rule: the idempotency record, the job row and the reservation debit are
written in one ``BEGIN IMMEDIATE`` transaction, after re-reading the record inside it. Two
requests with the same key (threads, processes) therefore serialize on the write lock: the
first claims the key, the others see the claim and wait for its outcome (replay on
success, one more attempt after a failure). A different body under a used key is a
conflict. Keys are scoped to the organization and the endpoint.

A claim records the process that runs it (:mod:`.owner`, kept in the record's
``response_json`` while it is in progress). When that process is gone (an interrupted
in-process CLI, a crashed server), the claim is abandoned at once: the job is failed and
refunded, and the same-key request runs again, so a printed recovery command works
immediately instead of waiting out ``STALE_CLAIM_SECONDS``.

Funding: free-preview credits first, then payment-backed, never below zero. The daily job
cap only limits jobs that spend free credits; when it is used up, a job that paid credits
fully cover runs on paid credits alone.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from image_skill.local.billing import ledger, owner
from image_skill.local.billing.ledger import Bucket, CreditEvent
from image_skill.local.billing.top_up import top_up_for_quota
from image_skill.local.cli_commands import cli_command
from image_skill.local.errors import ApiError
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import (
    Actor,
    dumps,
    loads,
    now_iso,
    parse_iso,
    sha256_hex,
    utc_now,
)

ENDPOINTS = {"create": "/v1/create", "edit": "/v1/edit"}
RESERVATION_REASON = "job_reservation"
RELEASE_REASON = "job_reservation_released"
#: An in-progress claim older than this is treated as abandoned (crashed server).
STALE_CLAIM_SECONDS = 600.0
#: How long a request waits for a concurrent request with the same key to finish.
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.05
CREDITS_METHODS_COMMAND = "image-skill credits methods --json"


def request_hash(operation: str, raw: dict[str, Any]) -> str:
    """Fingerprint of a request body (without its key): same body, same hash."""
    body = {k: v for k, v in raw.items() if k != "idempotency_key" and v is not None}
    return sha256_hex(dumps({"endpoint": ENDPOINTS[operation], "body": body}))


def _record(conn: sqlite3.Connection, org: str, endpoint: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT * FROM idempotency_records WHERE organization_id = ? AND endpoint = ?"
        " AND idem_key = ?",
        (org, endpoint, key),
    ).fetchone()
    return None if row is None else dict(row)


def conflict(key: str, job_id: str | None) -> ApiError:
    return ApiError(
        409,
        "IDEMPOTENCY_KEY_CONFLICT",
        "this idempotency key was already used with a different request; use a new key",
        recovery={"idempotency_key": key, "job_id": job_id},
    )


@dataclass(frozen=True)
class KeyState:
    """What a key's record says: ``new``, ``replay``, ``wait`` or ``retry``."""

    action: str
    job_id: str | None = None


def key_state(
    conn: sqlite3.Connection, actor: Actor, operation: str, key: str, req_hash: str
) -> KeyState:
    """Classify a key (read-only; raises the conflict error on a different body)."""
    record = _record(conn, actor.organization_id, ENDPOINTS[operation], key)
    if record is None:
        return KeyState("new")
    if record["request_hash"] != req_hash:
        raise conflict(key, record["resource_id"])
    state = record["state"]
    if state == "completed":
        return KeyState("replay", record["resource_id"])
    if state == "in_progress":
        stale = claim_abandoned(record)
        return KeyState("retry" if stale else "wait", record["resource_id"])
    return KeyState("retry", record["resource_id"])


def claim_owner(record: dict[str, Any]) -> Any:
    """The process identity stored with an in-progress claim (None for older claims)."""
    try:
        stored = loads(record.get("response_json"))
    except ValueError:
        return None
    return stored.get("claim_owner") if isinstance(stored, dict) else None


def claim_abandoned(record: dict[str, Any]) -> bool:
    """Whether nobody will finish this in-progress claim: its process is gone, or it is
    older than ``STALE_CLAIM_SECONDS``."""
    age = (utc_now() - parse_iso(record["updated_at"])).total_seconds()
    return age > STALE_CLAIM_SECONDS or owner.is_gone(claim_owner(record))


def wait_for_key(
    conn: sqlite3.Connection, actor: Actor, operation: str, key: str, req_hash: str
) -> KeyState:
    """Poll a claimed key until it is no longer in progress (or raise ``TIMEOUT``)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        state = key_state(conn, actor, operation, key, req_hash)
        if state.action != "wait":
            return state
        if time.monotonic() > deadline:
            raise ApiError(
                504,
                "TIMEOUT",
                "another request with this idempotency key is still running",
                retryable=True,
                recovery={"idempotency_key": key, "job_id": state.job_id},
            )
        time.sleep(POLL_SECONDS)


def claim_key(
    conn: sqlite3.Connection,
    actor: Actor,
    operation: str,
    key: str,
    req_hash: str,
    job_id: str,
) -> None:
    """Point the key at a new in-progress job owned by this process (inside the reservation
    transaction)."""
    now = now_iso()
    conn.execute(
        "INSERT INTO idempotency_records (actor_id, organization_id, endpoint, idem_key,"
        " request_hash, state, resource_id, response_json, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?)"
        " ON CONFLICT (actor_id, endpoint, idem_key) DO UPDATE SET"
        " state = 'in_progress', resource_id = excluded.resource_id, http_status = NULL,"
        " response_json = excluded.response_json, updated_at = excluded.updated_at",
        (
            actor.actor_id,
            actor.organization_id,
            ENDPOINTS[operation],
            key,
            req_hash,
            job_id,
            dumps({"claim_owner": owner.this_process()}),
            now,
            now,
        ),
    )


def settle_key(
    conn: sqlite3.Connection,
    org: str,
    operation: str,
    key: str | None,
    *,
    ok: bool,
    status: int,
    job_id: str | None = None,
) -> None:
    """Record a key's outcome; with ``job_id``, only while the key still points at that job
    (a job whose claim was abandoned no longer speaks for its key)."""
    if key is None:
        return
    sql = (
        "UPDATE idempotency_records SET state = ?, http_status = ?, response_json = NULL,"
        " updated_at = ? WHERE organization_id = ? AND endpoint = ? AND idem_key = ?"
    )
    params: list[Any] = [
        "completed" if ok else "failed",
        status,
        now_iso(),
        org,
        ENDPOINTS[operation],
        key,
    ]
    if job_id is not None:
        sql += " AND resource_id = ?"
        params.append(job_id)
    conn.execute(sql, params)


def orphaned_claim(conn: sqlite3.Connection, org: str, job_id: str) -> dict[str, Any] | None:
    """The in-progress claim on ``job_id`` when nobody will finish it, else None."""
    row = conn.execute(
        "SELECT * FROM idempotency_records WHERE organization_id = ? AND resource_id = ?"
        " AND state = 'in_progress' AND endpoint IN (?, ?)",
        (org, job_id, ENDPOINTS["create"], ENDPOINTS["edit"]),
    ).fetchone()
    if row is None:
        return None
    record = dict(row)
    return record if claim_abandoned(record) else None


# --------------------------------------------------------------------------- funds


@dataclass(frozen=True)
class Funding:
    buckets: tuple[Bucket, ...]
    counts_daily_cap: bool


def _seconds_until(iso_text: str) -> int:
    delta = parse_iso(iso_text) - utc_now()
    return max(1, int(delta / timedelta(seconds=1)) + 1)


def quota_exceeded(
    message: str, credits: int, snapshot: dict[str, Any], *, daily_cap: bool, base: str
) -> ApiError:
    limits, daily = snapshot["limits"], snapshot["daily_jobs"]
    short = max(0, credits - limits["total_remaining_credits"])
    methods = cli_command(base, CREDITS_METHODS_COMMAND)
    recovery: dict[str, Any] = {
        "reason": "daily_job_cap" if daily_cap else "insufficient_credits",
        "credits_required": credits,
        "total_remaining_credits": limits["total_remaining_credits"],
        "suggested_command": methods,
        "suggested_commands": [
            methods,
            cli_command(
                base,
                "image-skill credits quote --credits "
                f"{max(short, credits)} --payment-method stripe_checkout --json",
            ),
        ],
        "daily_jobs": {k: daily[k] for k in ("limit", "used", "remaining", "resets_at")},
    }
    if daily_cap:
        recovery["retry_after_seconds"] = _seconds_until(daily["resets_at"])
    # 0.1.70 §7.4: the whole self-fund path, with the wall as the reason to act now
    wall = "daily_job_cap_reached" if daily_cap else "credits_depleted"
    recovery["top_up"] = top_up_for_quota(snapshot, base, wall=wall)
    return ApiError(402, "QUOTA_EXCEEDED", message, recovery=recovery)


def check_funds(
    conn: sqlite3.Connection, actor: Actor, settings: LocalSettings, credits: int, *, base: str
) -> Funding:
    """How a job of ``credits`` would be paid, or ``QUOTA_EXCEEDED``."""
    snapshot = ledger.quota_snapshot(conn, actor, settings)
    free = snapshot["limits"]["remaining_credits"]
    paid = snapshot["limits"]["payment_backed_remaining_credits"]
    if free + paid < credits:
        raise quota_exceeded(
            f"this job needs {credits} credits and {free + paid} remain",
            credits,
            snapshot,
            daily_cap=False,
            base=base,
        )
    if free > 0 and snapshot["daily_jobs"]["remaining"] > 0:
        return Funding(ledger.BUCKETS, True)
    if paid >= credits:
        return Funding(("payment_backed",), False)
    raise quota_exceeded(
        "the daily job limit for free-preview credits is used up; add paid credits or "
        "wait for the reset",
        credits,
        snapshot,
        daily_cap=True,
        base=base,
    )


def reserve(
    conn: sqlite3.Connection,
    actor: Actor,
    credits: int,
    funding: Funding,
    *,
    job_id: str,
    usage_event_id: str,
    trace_id: str,
) -> list[CreditEvent]:
    """Debit the job's credits now (inside the caller's transaction)."""
    return ledger.debit(
        conn,
        actor.organization_id,
        credits,
        reason=RESERVATION_REASON,
        actor_id=actor.actor_id,
        buckets=funding.buckets,
        job_id=job_id,
        usage_event_id=usage_event_id,
        trace_id=trace_id,
    )


def release_job(conn: sqlite3.Connection, job_id: str, *, trace_id: str | None) -> int:
    """Give back a job's reservation (idempotent); returns the credits released."""
    job = conn.execute(
        "SELECT organization_id, actor_id, credits_reserved FROM jobs WHERE job_id = ?",
        (job_id,),
    ).fetchone()
    if job is None or int(job["credits_reserved"]) <= 0:
        return 0
    rows = conn.execute(
        "SELECT * FROM credit_events WHERE job_id = ? AND reason = ? AND delta < 0",
        (job_id, RESERVATION_REASON),
    ).fetchall()
    events = [
        CreditEvent(
            r["credit_event_id"],
            r["organization_id"],
            r["bucket"],
            r["delta"],
            r["balance_after"],
            r["reason"],
            r["created_at"],
        )
        for r in rows
    ]
    ledger.release(
        conn,
        events,
        reason=RELEASE_REASON,
        actor_id=job["actor_id"],
        job_id=job_id,
        trace_id=trace_id,
    )
    conn.execute("UPDATE jobs SET credits_reserved = 0 WHERE job_id = ?", (job_id,))
    return -sum(e.delta for e in events)


def quota_block(
    conn: sqlite3.Connection, actor: Actor, settings: LocalSettings, consumed: int, required: int
) -> dict[str, Any]:
    """``data.quota`` of a create/edit reply."""
    snapshot = ledger.quota_snapshot(conn, actor, settings)
    limits, daily = snapshot["limits"], snapshot["daily_jobs"]
    return {
        "consumed_credits": consumed,
        "credits_required": required,
        "remaining_credits": limits["remaining_credits"],
        "payment_backed_remaining_credits": limits["payment_backed_remaining_credits"],
        "total_remaining_credits": limits["total_remaining_credits"],
        "sufficient_for_live_run": limits["total_remaining_credits"] >= required,
        "daily_jobs": {k: daily[k] for k in ("limit", "used", "remaining", "resets_at")},
    }
