"""``POST /v1/feedback``: accept structured or narrative feedback into product memory.

Fails closed: when storage is unavailable (the ``feedback_storage_unavailable`` fault, or
any database error while writing) the reply is ``503 FEEDBACK_STORAGE_UNAVAILABLE`` (exit 7)
and nothing is recorded.
"""

from __future__ import annotations

import logging
import sqlite3

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill._constants import FEEDBACK_TEXT_FIELDS
from image_skill.api.requests import FeedbackRequest
from image_skill.local.deps import Conn, CurrentActor, Settings, command
from image_skill.local.errors import envelope_doc, envelope_response, trace_id_of
from image_skill.local.feedback import (
    GITHUB_QUEUE_OFFLINE,
    assess_quality,
    parse_feedback,
    quality_warnings,
    storage_unavailable,
    store_feedback,
)
from image_skill.local.routes.bodies import body_doc, json_body

router = APIRouter()
_FEEDBACK_BODY = json_body(FeedbackRequest)
logger = logging.getLogger("image_skill.local")

_ECHO_FIELDS = (
    "type",
    "title",
    "body",
    "severity",
    "confidence",
    "next_state",
    *FEEDBACK_TEXT_FIELDS,
    "source",
    "trace_id",
    "surface",
    "evidence",
)


@router.post(
    "/v1/feedback",
    openapi_extra=body_doc(FeedbackRequest, command("image-skill feedback create")),
    responses=envelope_doc(
        "Feedback accepted",
        auth=True,
        errors={503: "FEEDBACK_STORAGE_UNAVAILABLE envelope (fail closed, nothing stored)"},
    ),
)
def create_feedback(
    request: Request,
    conn: Conn,
    settings: Settings,
    actor: CurrentActor,
    body: FeedbackRequest = _FEEDBACK_BODY,
) -> JSONResponse:
    item = parse_feedback(body.to_body())
    if settings.fault("feedback_storage_unavailable"):
        raise storage_unavailable()
    try:
        stored = store_feedback(conn, actor, item, trace_id_of(request))
    except sqlite3.Error as exc:
        logger.error("feedback storage failed: %s", type(exc).__name__)
        raise storage_unavailable() from exc
    fields = item.fields
    quality = assess_quality(fields)
    warnings = quality_warnings(quality, fields["allow_weak_signal"])
    if item.redactions:
        warnings.append(
            f"{item.redactions} token-like string(s) were redacted before storing; never paste"
            " tokens or keys into feedback"
        )
    data = {
        "feedback_id": stored["feedback_id"],
        "event_id": stored["event_id"],
        "state": "accepted",
        "feedback": {name: fields[name] for name in _ECHO_FIELDS},
        "quality": {**quality, "allow_weak_signal": fields["allow_weak_signal"]},
        "dedupe": {"dedupe_key": fields["dedupe_key"], "duplicate_of": stored["duplicate_of"]},
        "redaction": {"applied": item.redactions > 0, "count": item.redactions},
        "github_queue": {**GITHUB_QUEUE_OFFLINE, "event_id": stored["queue_event_id"]},
    }
    return envelope_response(request, data, actor=actor, warnings=warnings)
