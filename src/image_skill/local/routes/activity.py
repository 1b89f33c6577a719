"""``GET /v1/activity`` and ``GET /v1/activity/{reference}``: the org's activity ledger.

Read-only and org-scoped. A subject filter matches an event when the value equals its
subject id, its trace id, or any link value (including an entry of ``asset_ids``). Events
come newest first. A reference that names an event (``evt_…``) must exist (else
``ACTIVITY_NOT_FOUND``); any other reference is a subject, and a subject without events is a
normal, empty answer.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.local.activity import event_public
from image_skill.local.billing.self_fund import self_fund_actions
from image_skill.local.cli_commands import cli_command
from image_skill.local.deps import Conn, CurrentActor, Settings, cli_base_of, command
from image_skill.local.errors import ApiError, envelope_doc, envelope_response, invalid_arguments
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor

router = APIRouter()

SOURCE = "hosted_activity_ledger"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_MAX_REFERENCE = 256

#: Reference prefix -> reference_type reported in ``request.reference_type``.
REFERENCE_TYPES: tuple[tuple[str, str], ...] = (
    ("evt_", "event_id"),
    ("job_", "job_id"),
    ("image_", "asset_id"),
    ("video_", "asset_id"),
    ("audio_", "asset_id"),
    ("file_", "asset_id"),
    ("asset_", "asset_id"),
    ("mask_", "asset_id"),
    ("thumb_", "asset_id"),
    ("usage_", "usage_event_id"),
    ("sig_", "feedback_id"),
    ("trace_", "trace_id"),
    ("quote_", "quote_id"),
    ("payatt_", "payment_attempt_id"),
    ("cs_", "checkout_session_id"),
    ("receipt_", "receipt_id"),
    ("credit_event_", "credit_event_id"),
    ("payrev_", "payment_reversal_id"),
)


def reference_type(reference: str) -> str:
    for prefix, kind in REFERENCE_TYPES:
        if reference.startswith(prefix):
            return kind
    return "subject"


def parse_limit(raw: str | None) -> int:
    """``limit`` query value: default 20, an integer from 1; values over 100 mean 100."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value.is_integer() or value < 1:
        raise invalid_arguments(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return min(int(value), MAX_LIMIT)


_MATCH_SQL = (
    " AND (subject_id = :subject OR trace_id = :subject OR EXISTS ("
    "SELECT 1 FROM json_tree(activity_events.links_json) AS link"
    " WHERE link.type = 'text' AND link.atom = :subject))"
)


def list_events(
    conn: sqlite3.Connection, organization_id: str, *, limit: int, subject: str | None = None
) -> list[dict[str, Any]]:
    """The org's newest events, optionally only those matching ``subject``."""
    sql = "SELECT * FROM activity_events WHERE organization_id = :org"
    params: dict[str, Any] = {"org": organization_id, "limit": limit}
    if subject is not None:
        sql += _MATCH_SQL
        params["subject"] = subject
    sql += " ORDER BY seq DESC LIMIT :limit"
    return [event_public(row) for row in conn.execute(sql, params)]


def get_event(
    conn: sqlite3.Connection, organization_id: str, event_id: str
) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT * FROM activity_events WHERE event_id = ? AND organization_id = ?",
        (event_id, organization_id),
    ).fetchone()
    return None if row is None else event_public(row)


#: Events that prove generated work (contract 0.1.70 §8: only then is the top-up path shown).
GENERATED_WORK = frozenset({"job.completed", "asset.created"})


def _add_self_fund(
    data: dict[str, Any],
    events: list[dict[str, Any]],
    conn: sqlite3.Connection,
    actor: Actor,
    settings: LocalSettings,
    base: str,
) -> None:
    if any(event["type"] in GENERATED_WORK for event in events):
        next_actions = self_fund_actions(conn, actor, settings, base)
        if next_actions:
            data["next_actions"] = next_actions


def _subject(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.strip()
    if not value:
        return None
    if len(value) > _MAX_REFERENCE:
        raise invalid_arguments(f"subject must be at most {_MAX_REFERENCE} characters")
    return value


@router.get(
    "/v1/activity",
    openapi_extra=command("image-skill activity list"),
    responses=envelope_doc("Newest activity events of the agent's organization", auth=True),
)
def activity_list(
    request: Request,
    conn: Conn,
    settings: Settings,
    actor: CurrentActor,
    limit: str | None = None,
    subject: str | None = None,
) -> JSONResponse:
    count = parse_limit(limit)
    match = _subject(subject)
    events = list_events(conn, actor.organization_id, limit=count, subject=match)
    data = {
        "request": {"limit": count, "subject": match},
        "events": events,
        "source": SOURCE,
    }
    _add_self_fund(data, events, conn, actor, settings, cli_base_of(request))
    return envelope_response(request, data, actor=actor)


@router.get(
    "/v1/activity/{reference:path}",
    openapi_extra=command("image-skill activity show"),
    responses=envelope_doc(
        "One event, or the events of a subject",
        auth=True,
        errors={404: "ACTIVITY_NOT_FOUND envelope (unknown event id)"},
    ),
)
def activity_show(
    request: Request,
    reference: str,
    conn: Conn,
    settings: Settings,
    actor: CurrentActor,
    limit: str | None = None,
) -> JSONResponse:
    ref = reference.strip()
    if not ref or len(ref) > _MAX_REFERENCE:
        raise invalid_arguments(f"reference must be 1 to {_MAX_REFERENCE} characters")
    kind = reference_type(ref)
    count = parse_limit(limit) if limit is not None else MAX_LIMIT
    event: dict[str, Any] | None = None
    if kind == "event_id":
        event = get_event(conn, actor.organization_id, ref)
        if event is None:
            raise ApiError(
                404,
                "ACTIVITY_NOT_FOUND",
                f"no activity event {ref[:80]} is visible to this agent",
                recovery={
                    "suggested_command": cli_command(
                        cli_base_of(request), "image-skill activity list --json"
                    )
                },
            )
        events = [event]
    else:
        events = list_events(conn, actor.organization_id, limit=count, subject=ref)
    data = {
        "request": {"reference": ref, "reference_type": kind},
        "event": event,
        "events": events,
        "source": SOURCE,
    }
    _add_self_fund(data, events, conn, actor, settings, cli_base_of(request))
    return envelope_response(request, data, actor=actor)
