"""Feedback (product memory) of the local backend: validation, redaction, quality, storage.

Every text the caller sends passes through :func:`image_skill.redaction.redact` (the same
token patterns the CLI redacts its own output with) before it is stored or echoed, so
a token pasted by mistake never reaches the database, the activity ledger or the reply.
A ``dedupe_key`` already used in the organization marks the new row as a duplicate of the
first one (the row is still stored: a repeat is a signal too). There is no GitHub queue
offline, so the queue event always reports ``skipped`` / ``offline`` without mutation.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from image_skill._constants import FEEDBACK_TEXT_FIELDS
from image_skill.local.activity import record_activity
from image_skill.local.errors import ApiError, invalid_arguments
from image_skill.local.store.db import Actor, dumps, new_id, now_iso, transaction
from image_skill.redaction import redact

DEFAULTS: dict[str, Any] = {
    "type": "user_feedback",
    "severity": "medium",
    "confidence": "medium",
    "next_state": "watch",
}
#: Short labels (type, severity …): at most this many characters.
_MAX_LABEL = 64
_MAX_TITLE = 300
_MAX_BODY = 20_000
_MAX_FIELD = 4_000
_MAX_ITEMS = 50
_MAX_ITEM = 500
LABEL_FIELDS: tuple[str, ...] = ("type", "severity", "confidence", "next_state")
TEXT_FIELDS: tuple[str, ...] = (*FEEDBACK_TEXT_FIELDS, "dedupe_key", "source", "trace_id")
LIST_FIELDS: tuple[str, ...] = ("surface", "evidence")
#: Every body field (the request model ``FeedbackRequest`` declares the same ones).
KNOWN_FIELDS = frozenset(
    (*LABEL_FIELDS, "title", "body", *TEXT_FIELDS, *LIST_FIELDS, "allow_weak_signal")
)
#: Fields that make feedback actionable; absent ones are listed in ``quality.missing_fields``.
QUALITY_FIELDS: tuple[str, ...] = (
    "title",
    "body",
    "command",
    "expected",
    "actual",
    "proof_needed",
    "evidence",
)
_STRUCTURED = ("command", "expected", "actual", "friction", "proof_needed", "evidence")
#: Narrative shorter than this, with no structured field, is a weak signal.
WEAK_NARRATIVE_CHARS = 80

GITHUB_QUEUE_OFFLINE: dict[str, Any] = {
    "state": "skipped",
    "reason": "offline",
    "issue_urls": [],
    "issue_numbers": [],
    "mode": "offline",
    "github_mutation": False,
}


def storage_unavailable() -> ApiError:
    return ApiError(
        503,
        "FEEDBACK_STORAGE_UNAVAILABLE",
        "feedback storage is unavailable, so nothing was recorded; retry shortly",
        retryable=True,
        recovery={"retry_after_seconds": 30},
    )


@dataclass
class FeedbackInput:
    """A validated, redacted feedback body."""

    fields: dict[str, Any]  # every known field, defaults applied, strings redacted
    redactions: int


def _string(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_arguments(f"{name} must be a string")
    if len(value) > limit:
        raise invalid_arguments(f"{name} must be at most {limit} characters")
    value = value.strip()
    return value or None


def _string_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise invalid_arguments(f"{name} must be a list of strings")
    if len(items) > _MAX_ITEMS or any(len(i) > _MAX_ITEM for i in items):
        raise invalid_arguments(
            f"{name} takes at most {_MAX_ITEMS} items of at most {_MAX_ITEM} characters"
        )
    return [i.strip() for i in items if i.strip()]


def parse_feedback(body: dict[str, Any]) -> FeedbackInput:
    """Validate a ``POST /v1/feedback`` body, apply defaults and redact every string."""
    fields: dict[str, Any] = {}
    for name in LABEL_FIELDS:
        fields[name] = _string(body.get(name), name, _MAX_LABEL) or DEFAULTS[name]
    fields["title"] = _string(body.get("title"), "title", _MAX_TITLE)
    fields["body"] = _string(body.get("body"), "body", _MAX_BODY)
    if fields["title"] is None and fields["body"] is None:
        raise invalid_arguments(
            "feedback needs a title or a body",
            recovery={"required_flags": ["--title", "--body"]},
        )
    for name in TEXT_FIELDS:
        fields[name] = _string(body.get(name), name, _MAX_FIELD)
    surface = _string_list(body.get("surface"), "surface")
    fields["surface"] = surface if surface is not None else ["cli"]
    fields["evidence"] = _string_list(body.get("evidence"), "evidence") or []
    weak = body.get("allow_weak_signal", False)
    if not isinstance(weak, bool):
        raise invalid_arguments("allow_weak_signal must be a boolean")
    fields["allow_weak_signal"] = weak

    redactions = 0
    for name, value in fields.items():
        if isinstance(value, str):
            fields[name], count = redact(value)
            redactions += count
        elif isinstance(value, list):
            cleaned = []
            for item in value:
                text, count = redact(item)
                cleaned.append(text)
                redactions += count
            fields[name] = cleaned
    return FeedbackInput(fields=fields, redactions=redactions)


def assess_quality(fields: dict[str, Any]) -> dict[str, Any]:
    """``missing_fields`` (actionability gaps) and ``weak_signal``."""
    missing = [name for name in QUALITY_FIELDS if not fields.get(name)]
    narrative = len(fields.get("title") or "") + len(fields.get("body") or "")
    structured = any(fields.get(name) for name in _STRUCTURED)
    return {
        "missing_fields": missing,
        "weak_signal": not structured and narrative < WEAK_NARRATIVE_CHARS,
    }


def quality_warnings(quality: dict[str, Any], allow_weak_signal: bool) -> list[str]:
    if quality["weak_signal"] and not allow_weak_signal:
        return [
            "feedback accepted as a weak signal: add --command, --expected, --actual or"
            " --evidence so it can be acted on (or pass --allow-weak-signal)"
        ]
    if quality["missing_fields"]:
        return [
            "feedback accepted; it would be more actionable with: "
            + ", ".join(quality["missing_fields"])
        ]
    return []


def store_feedback(
    conn: sqlite3.Connection, actor: Actor, item: FeedbackInput, trace_id: str
) -> dict[str, Any]:
    """Persist the feedback and its two events in one transaction; return the facts."""
    fields = item.fields
    feedback_id = new_id("sig_")
    extra = {k: fields[k] for k in (*TEXT_FIELDS, *LIST_FIELDS, "allow_weak_signal")}
    extra.pop("dedupe_key")
    extra.pop("trace_id")
    with transaction(conn):
        duplicate_of: str | None = None
        if fields["dedupe_key"]:
            row = conn.execute(
                "SELECT feedback_id FROM feedback WHERE organization_id = ? AND dedupe_key = ?"
                " AND duplicate_of IS NULL ORDER BY created_at, rowid LIMIT 1",
                (actor.organization_id, fields["dedupe_key"]),
            ).fetchone()
            duplicate_of = None if row is None else row["feedback_id"]
        conn.execute(
            "INSERT INTO feedback (feedback_id, organization_id, actor_id, type, title, body,"
            " severity, confidence, next_state, fields_json, dedupe_key, duplicate_of,"
            " trace_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                feedback_id,
                actor.organization_id,
                actor.actor_id,
                fields["type"],
                fields["title"],
                fields["body"],
                fields["severity"],
                fields["confidence"],
                fields["next_state"],
                dumps(extra),
                fields["dedupe_key"],
                duplicate_of,
                fields["trace_id"],
                now_iso(),
            ),
        )
        details = {
            "type": fields["type"],
            "severity": fields["severity"],
            "duplicate_of": duplicate_of,
            "cited_trace_id": fields["trace_id"],
        }
        created = _record(
            conn, actor, feedback_id, trace_id, "feedback.created", "accepted", details
        )
        queued = _record(
            conn,
            actor,
            feedback_id,
            trace_id,
            "feedback.github_queue.processed",
            "skipped",
            {"github_queue": dict(GITHUB_QUEUE_OFFLINE)},
        )
    return {
        "feedback_id": feedback_id,
        "duplicate_of": duplicate_of,
        "event_id": created["event_id"],
        "queue_event_id": queued["event_id"],
    }


def _record(
    conn: sqlite3.Connection,
    actor: Actor,
    feedback_id: str,
    trace_id: str,
    event_type: str,
    status: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    """One activity event about ``feedback_id``."""
    return record_activity(
        conn,
        event_type,
        organization_id=actor.organization_id,
        actor_id=actor.actor_id,
        subject_id=feedback_id,
        status=status,
        trace_id=trace_id,
        links={"feedback_id": feedback_id},
        details=details,
    )
