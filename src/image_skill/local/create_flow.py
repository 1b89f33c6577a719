"""``POST /v1/create`` and ``POST /v1/edit`` once the body is valid, free of the web framework.

:mod:`image_skill.local.routes.create` (FastAPI) and the in-process fast path
(:mod:`image_skill.local.direct`) both answer through :func:`answer`: value checks, the
sign-in rule (only an anonymous create dry run without references needs no token), then
the job itself.
"""

from __future__ import annotations

import sqlite3

from image_skill.api.requests import CreateRequest, EditRequest
from image_skill.local.errors import auth_required
from image_skill.local.jobs.execute import run
from image_skill.local.jobs.plans import Context, Outcome
from image_skill.local.jobs.validation import parse_request
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor

#: The request model of each operation.
MODELS: dict[str, type[CreateRequest] | type[EditRequest]] = {
    "create": CreateRequest,
    "edit": EditRequest,
}


def command_label(operation: str) -> str:
    """The envelope ``command`` of ``POST /v1/{operation}``."""
    return f"image-skill {operation}"


def answer(
    operation: str,
    body: CreateRequest | EditRequest,
    *,
    conn: sqlite3.Connection,
    settings: LocalSettings,
    actor: Actor | None,
    trace_id: str,
    media_base: str,
    base: str,
) -> Outcome:
    """Run ``operation`` for ``body``; raises :class:`~image_skill.local.errors.ApiError`."""
    req = parse_request(operation, body, base)
    anonymous_ok = operation == "create" and req.dry_run and not req.references
    if actor is None and not anonymous_ok:
        raise auth_required(base)
    return run(Context(conn, settings, actor, trace_id, media_base, base), req)
