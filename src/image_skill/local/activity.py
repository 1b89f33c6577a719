"""The activity ledger: only the registered event types, links always complete."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from image_skill.local.store.db import dumps, loads, new_id, now_iso
from image_skill.local.store.schema import ACTIVITY_TYPES

#: Every event carries all of these link keys (``None`` when not applicable).
LINK_KEYS: tuple[str, ...] = (
    "job_id",
    "asset_ids",
    "feedback_id",
    "usage_event_id",
    "quote_id",
    "payment_attempt_id",
    "checkout_session_id",
    "receipt_id",
    "credit_event_id",
    "payment_reversal_id",
)

#: type -> (subject type, operation, generic summary). Summaries never hold user text.
REGISTRY: dict[str, tuple[str, str, str]] = {
    "job.completed": ("job", "create", "Job reached a terminal state."),
    "job.planned": ("job", "create", "Dry-run plan receipt stored."),
    "asset.created": ("asset", "create", "Output asset stored."),
    "asset.uploaded": ("asset", "upload", "Input media uploaded."),
    "usage.credit_consumed": ("usage", "usage", "Credits consumed by a creative operation."),
    "feedback.created": ("feedback", "feedback", "Feedback accepted."),
    "feedback.github_queue.processed": ("feedback", "feedback", "Feedback queue processed."),
    "payment.checkout_session.created": (
        "payment",
        "payment",
        "Checkout session created; awaiting payment.",
    ),
    "credits.payment_backed_granted": ("credit", "credits", "Payment-backed credits granted."),
    "credits.payment_backed_refunded": ("credit", "credits", "Refund debited paid credits."),
    "credits.payment_backed_disputed": ("credit", "credits", "Dispute debited paid credits."),
    "credits.payment_backed_reinstated": ("credit", "credits", "Disputed funds reinstated."),
    "credits.payment_backed_reversal_pending": (
        "credit",
        "credits",
        "Payment reversal recorded, not fully applied.",
    ),
    "credits.payment_backed_reversal_rejected": (
        "credit",
        "credits",
        "Payment reversal rejected.",
    ),
}
assert frozenset(REGISTRY) == ACTIVITY_TYPES


class UnregisteredActivityType(ValueError):
    """Emitting a type outside the registry is a contract bug."""


def record_activity(
    conn: sqlite3.Connection,
    type: str,
    *,
    organization_id: str,
    subject_id: str,
    actor_id: str | None = None,
    subject_type: str | None = None,
    operation: str | None = None,
    status: str | None = None,
    summary: str | None = None,
    trace_id: str | None = None,
    links: dict[str, Any] | None = None,
    estimated_usd: float | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Insert one activity event and return its public form.

    ``subject_type``/``operation``/``summary`` default from the registry (pass
    ``operation="edit"`` for edit jobs). Unknown types or link keys raise.
    Call inside the transaction that made the change the event describes.
    """
    if type not in ACTIVITY_TYPES:
        raise UnregisteredActivityType(type)
    links = dict(links or {})
    unknown = set(links) - set(LINK_KEYS)
    if unknown:
        raise ValueError(f"unknown activity link keys: {sorted(unknown)}")
    full_links = {key: links.get(key) for key in LINK_KEYS}
    default_subject, default_op, default_summary = REGISTRY[type]
    event_id = new_id("evt_")
    occurred = now_iso()
    # The newest row holds the highest seq (each insert takes the last one plus one, under
    # the write lock, and events are never deleted), and finding it by rowid reads one
    # page: MAX(seq) has no index of its own and read the whole of activity_org, a cost
    # that grew with every event stored (1.3 ms per dry run at 20,000 events).
    seq_row = conn.execute(
        "SELECT COALESCE((SELECT seq FROM activity_events ORDER BY rowid DESC LIMIT 1), 0) + 1"
    ).fetchone()
    row = {
        "event_id": event_id,
        "organization_id": organization_id,
        "actor_id": actor_id,
        "type": type,
        "subject_type": subject_type or default_subject,
        "subject_id": subject_id,
        "operation": operation or default_op,
        "status": status,
        "summary": summary or default_summary,
        "trace_id": trace_id,
        "links_json": dumps(full_links),
        "cost_json": dumps({"estimated_usd": estimated_usd}),
        "details_json": dumps(details or {}),
        "occurred_at": occurred,
        "seq": seq_row[0],
    }
    conn.execute(_INSERT_EVENT, tuple(row.values()))
    # The public form is read from the values just stored (the JSON columns decoded from
    # the stored text), not from a second query of the row.
    return event_public(row)


_INSERT_EVENT = (
    "INSERT INTO activity_events (event_id, organization_id, actor_id, type, subject_type,"
    " subject_id, operation, status, summary, trace_id, links_json, cost_json,"
    " details_json, occurred_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def event_public(row: sqlite3.Row | Mapping[str, Any]) -> dict[str, Any]:
    """The wire form of an activity event (``/v1/activity`` items) from its stored row."""
    links = loads(row["links_json"]) or {}
    return {
        "event_id": row["event_id"],
        "type": row["type"],
        "occurred_at": row["occurred_at"],
        "summary": row["summary"],
        "operation": row["operation"],
        "subject": {"type": row["subject_type"], "id": row["subject_id"]},
        "links": {key: links.get(key) for key in LINK_KEYS},
        "status": row["status"],
        "cost": loads(row["cost_json"]),
        "trace_id": row["trace_id"],
        "details": loads(row["details_json"]),
    }
