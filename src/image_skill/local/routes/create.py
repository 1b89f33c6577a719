"""``POST /v1/create`` and ``POST /v1/edit``: validation, dry runs, live jobs, replays."""

from __future__ import annotations

from sqlite3 import Connection

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.api.requests import CreateRequest, EditRequest
from image_skill.local.body_check import validate_body
from image_skill.local.cli_commands import cli_base
from image_skill.local.create_flow import answer, command_label
from image_skill.local.deps import (
    borrowed_conn,
    caller,
    command,
    on_loop_or_thread,
    public_base_url,
    settings_of,
)
from image_skill.local.errors import envelope_doc, envelope_response, trace_id_of
from image_skill.local.jobs.plans import Outcome
from image_skill.local.routes.bodies import body_doc

router = APIRouter()

_ERRORS = {
    400: "INVALID_ARGUMENTS, MODEL_NOT_FOUND, MODEL_PARAMETERS_INVALID, budget errors (exit 2)",
    402: "QUOTA_EXCEEDED (exit 5)",
    403: "MODEL_NOT_EXECUTABLE, CAPABILITY_DENIED (exit 4)",
    404: "ASSET_NOT_FOUND for input, mask or reference assets",
    409: "IDEMPOTENCY_KEY_CONFLICT (exit 2)",
    422: "INPUT_POLICY_DENIED, CONTENT_POLICY_DENIED (exit 6)",
    502: "PROVIDER_FAILURE, retryable with the same idempotency key (exit 7)",
    504: "TIMEOUT while another request with the same key runs (exit 8)",
    507: "ARTIFACT_STORAGE_WRITE_FAILED (exit 9)",
}


def _add_route(
    operation: str, model: type[CreateRequest] | type[EditRequest], description: str
) -> None:
    """Register ``POST /v1/{operation}`` (create and edit differ only in these values).

    The handler takes only the request and does, in one call and in the same order, what
    dependencies used to (a pooled connection, the caller, the body check): FastAPI's
    dependency solving cost more than their work. It is ``async``: a dry run runs on the
    event loop (see :func:`.deps.on_loop_or_thread`), a live job in one worker thread.
    """

    async def handler(request: Request) -> JSONResponse:
        settings = settings_of(request)
        public = public_base_url(request)
        base = cli_base(public)
        async with borrowed_conn(request) as conn:
            actor = await caller(request, conn)
            body = validate_body(model, await request.body(), base=base)
            configured = settings.media_base_url
            media_base = configured.rstrip("/") if configured else public
            trace_id = trace_id_of(request)

            def work(db: Connection) -> Outcome:
                return answer(
                    operation,
                    body,
                    conn=db,
                    settings=settings,
                    actor=actor,
                    trace_id=trace_id,
                    media_base=media_base,
                    base=base,
                )

            outcome = await on_loop_or_thread(request, conn, work, quick=body.dry_run)
        return envelope_response(request, outcome.data, actor=actor, warnings=outcome.warnings)

    handler.__name__ = handler.__qualname__ = operation
    router.post(
        f"/v1/{operation}",
        openapi_extra=body_doc(model, command(command_label(operation))),
        responses=envelope_doc(description, auth=True, errors=_ERRORS),
    )(handler)


_add_route("create", CreateRequest, "Job completed, planned (dry run) or replayed")
_add_route("edit", EditRequest, "Edit completed, planned (dry run) or replayed")
