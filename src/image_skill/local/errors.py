"""Error type, HTTP-status/exit-code mapping and envelope replies of the local backend."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from image_skill.envelope import build, error_block, new_trace_id
from image_skill.local.cli_commands import cli_command

if TYPE_CHECKING:
    from fastapi import Request
    from fastapi.responses import JSONResponse

EXIT_HEADER = "x-image-skill-exit-code"
#: Name of the route's OpenAPI extension holding its envelope ``command`` label.
COMMAND_EXTENSION = "x-image-skill-command"
DEFAULT_COMMAND = "image-skill"
#: The anonymous signup (contract 0.1.70 §1.1: no contact inbox is needed).
SIGNUP_SUGGESTED_COMMAND = "image-skill signup --agent --agent-name NAME --runtime RUNTIME --json"
SIGNUP_DOCS_URL = "https://image-skill.com/cli.md#image-skill-signup-agent"

#: Exit code per server error code (server digest §2.6).
CODE_EXIT: dict[str, int] = {
    "AUTH_REQUIRED": 3,
    "INVALID_ARGUMENTS": 2,
    "BUDGET_REQUIRES_CONFIRMATION": 2,
    "ARTIFACT_STORAGE_WRITE_FAILED": 9,
    "INPUT_POLICY_DENIED": 6,
    "CREDIT_QUOTE_CONFLICT": 2,
    "PROVIDER_FAILURE": 7,
    "PUBLIC_CLI_COMMAND_NOT_AVAILABLE": 2,
    "QUOTA_EXCEEDED": 5,
    "MODEL_PARAMETERS_INVALID": 2,
    "BUDGET_GUARD_EXCEEDED": 2,
    "MODEL_NOT_FOUND": 2,
    "CAPABILITY_NOT_FOUND": 2,
    "MODEL_NOT_EXECUTABLE": 4,
    "CAPABILITY_DENIED": 4,
    "CONTENT_POLICY_DENIED": 6,
    "JOB_NOT_FOUND": 1,
    "ASSET_NOT_FOUND": 1,
    "QUOTE_NOT_FOUND": 1,
    "PAYMENT_ATTEMPT_NOT_FOUND": 1,
    "ACTIVITY_NOT_FOUND": 1,
    "QUOTE_EXPIRED": 2,
    "PAYMENT_METHOD_MISMATCH": 2,
    "PAYMENT_METHOD_UNAVAILABLE": 4,
    "IDEMPOTENCY_KEY_REQUIRED": 2,
    "IDEMPOTENCY_KEY_CONFLICT": 2,
    "FEEDBACK_STORAGE_UNAVAILABLE": 7,
    "TIMEOUT": 8,
    "NOT_FOUND": 1,
    "METHOD_NOT_ALLOWED": 1,
    "LOCAL_BACKEND_FAILED": 1,
}

#: Exit code per HTTP status when the code is not in :data:`CODE_EXIT` (§2.5).
STATUS_EXIT: dict[int, int] = {
    400: 2,
    401: 3,
    402: 5,
    403: 4,
    404: 1,
    405: 1,
    409: 2,
    422: 6,
    429: 5,
    500: 1,
    502: 7,
    503: 7,
    504: 8,
    507: 9,
}


def exit_code_for(status: int, code: str) -> int:
    if code in CODE_EXIT:
        return CODE_EXIT[code]
    return STATUS_EXIT.get(status, 7 if status >= 500 else 1)


class EnvelopeActor(Protocol):
    """What a success reply needs of its actor (the store's ``Actor`` is one)."""

    def envelope_block(self) -> dict[str, Any]: ...


class ApiError(Exception):
    """Raise from a route to answer with an error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        recovery: dict[str, Any] | None = None,
        exit_code: int | None = None,
        headers: dict[str, str] | None = None,
        actor: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.recovery = recovery
        self.exit_code = exit_code if exit_code is not None else exit_code_for(status, code)
        self.headers = headers or {}
        self.actor = actor

    def error_block(self) -> dict[str, Any]:
        return error_block(
            self.code, self.message, retryable=self.retryable, recovery=self.recovery
        )


def signup_command(base: str) -> str:
    """The signup template aimed at the backend of ``base`` (see :mod:`.cli_commands`)."""
    return cli_command(base, SIGNUP_SUGGESTED_COMMAND)


def auth_required(base: str, message: str | None = None) -> ApiError:
    """The one answer for a missing, unknown or revoked token (the guide keys on it)."""
    return ApiError(
        401,
        "AUTH_REQUIRED",
        message or "this endpoint needs a valid agent token; sign up for one or pass a saved token",
        recovery={"suggested_command": signup_command(base), "docs_url": SIGNUP_DOCS_URL},
        headers={"www-authenticate": "Bearer"},
    )


def invalid_arguments(message: str, recovery: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENTS", message, recovery=recovery)


#: How a refused field is described, by pydantic error type (else pydantic's message).
_PROBLEMS = {
    "missing": "required field is missing",
    "unexpected_keyword_argument": "unknown field (not part of this request body)",
    "extra_forbidden": "unknown field (not part of this request body)",
}


def shape_error(
    errors: Sequence[Mapping[str, Any]],
    *,
    recovery: Mapping[str, Any] | None = None,
    messages: Mapping[str, str] | None = None,
    schema: str | None = None,
    body: Any = None,
) -> ApiError:
    """The one answer to a request of the wrong shape: ``400 INVALID_ARGUMENTS`` (exit
    code 2) naming the first refused field, with ``recovery`` plus every refused field (up
    to ten) under ``recovery.invalid_fields`` and the body's ``schema`` (its pointer in
    ``/openapi.json``) under ``recovery.request_schema``.

    ``errors`` are pydantic's (``loc``, ``type``, ``msg``) for the parsed ``body``. When the
    first field is a key of ``messages`` (a message the contract fixes), the answer is
    exactly the one the route's own value check gives: that message and ``recovery`` alone.
    """
    extra = {"request_schema": schema} if schema is not None else {}
    if any(e.get("type") == "json_invalid" for e in errors):
        return invalid_arguments(
            "request body is not valid JSON", {**(recovery or {}), **extra} or None
        )
    found: dict[str, list[str]] = {}
    for e in errors:
        field = _field_path(e, body)
        kind = str(e.get("type", ""))
        problem = _PROBLEMS.get(kind, str(e.get("msg", "")))
        if problem not in found.setdefault(field, []):
            found[field].append(problem)
    problems = [{"field": field, "problem": " or ".join(texts)} for field, texts in found.items()][
        :10
    ]
    first = problems[0] if problems else {"field": "body", "problem": "invalid"}
    fixed = (messages or {}).get(first["field"])
    if fixed is not None:
        return invalid_arguments(fixed, dict(recovery or {}) or None)
    return invalid_arguments(
        f"invalid request: {first['field']}: {first['problem']}",
        {**(recovery or {}), "invalid_fields": problems, **extra},
    )


def _field_path(error: Mapping[str, Any], body: Any) -> str:
    """``references[0].index`` for pydantic's ``("references", 0, "index")``.

    The location is followed through ``body`` (the parsed JSON), so the names pydantic gives
    the members of a union (``int``, ``float``) are left out; a missing field is the one
    part that is named although the body does not hold it.
    """
    loc = [p for p in error.get("loc", ()) if p != "body"]
    path, here = "", body
    for position, part in enumerate(loc):
        if isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            path, here = f"{path}[{part}]", here[part]
        elif isinstance(here, dict) and str(part) in here:
            path, here = f"{path}.{part}" if path else str(part), here[str(part)]
        elif body is None or (error.get("type") == "missing" and position == len(loc) - 1):
            path = f"{path}.{part}" if path else str(part)
            here = None
        else:
            break
    return path or "body"


# ------------------------------------------------------------------------ replies


def command_label(request: Request) -> str:
    """The matched route's command label, else the generic one."""
    return command_label_from_scope(request.scope)


def command_label_from_scope(scope: Any) -> str:
    route = scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    label = extra.get(COMMAND_EXTENSION)
    return label if isinstance(label, str) else DEFAULT_COMMAND


#: The envelope of every reply: :func:`image_skill.envelope.build`, shared with the CLI.
build_envelope = build


def trace_id_of(request: Request) -> str:
    """One trace id per request, shared by the reply and whatever the route records."""
    trace = getattr(request.state, "trace_id", None)
    if not isinstance(trace, str):
        trace = new_trace_id()
        request.state.trace_id = trace
    return trace


def envelope_response(
    request: Request,
    data: Any,
    *,
    actor: EnvelopeActor | None = None,
    warnings: list[str] | None = None,
    command: str | None = None,
    status: int = 200,
) -> JSONResponse:
    """A success envelope (exit-code header ``0``)."""
    body = build_envelope(
        ok=True,
        command=command or command_label(request),
        actor=actor.envelope_block() if actor is not None else None,
        data=data,
        warnings=warnings,
        trace_id=trace_id_of(request),
    )
    reply: JSONResponse = _envelope_class()(body, status_code=status, headers={EXIT_HEADER: "0"})
    return reply


def envelope_json(value: Any, depth: int = 0) -> str:
    """The JSON text Starlette's ``JSONResponse`` would write for ``value``, byte for byte.

    The envelope and its ``data`` member (and the lists in it) are walked when they hold a
    value with a ``cached_json()`` method (the read-only registry rows and summaries, see
    :mod:`image_skill.local.registry.frozen`), which gives its own text, worked out once:
    a model listing encodes only what is new in each reply. The rest is encoded in one call.
    """
    cached = getattr(value, "cached_json", None)
    if cached is not None:
        return str(cached())
    kind = type(value)
    if kind is dict and depth < 2 and all(type(key) is str for key in value):
        if not _holds_cached(value, depth):  # one call encodes it faster than the pieces
            return _ENCODE(value)
        items = (_ENCODE(key) + ":" + envelope_json(item, depth + 1) for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if kind is list and depth < 3:
        return "[" + ",".join(envelope_json(item, depth + 1) for item in value) + "]"
    return _ENCODE(value)


def _holds_cached(value: Any, depth: int) -> bool:
    """Whether :func:`envelope_json` would meet a ``cached_json()`` value walking ``value``."""
    if getattr(value, "cached_json", None) is not None:
        return True
    kind = type(value)
    if (kind is dict and depth < 2) or (kind is list and depth < 3):
        return any(_holds_cached(v, depth + 1) for v in (value.values() if kind is dict else value))
    return False


#: Starlette's ``JSONResponse`` options: compact, ``ensure_ascii=False``, no NaN.
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


_ENVELOPE_CLASS: Any = None


def _envelope_class() -> Any:
    """``JSONResponse`` rendering with :func:`envelope_json` (built on first use, so this
    module does not import Starlette)."""
    global _ENVELOPE_CLASS
    if _ENVELOPE_CLASS is None:
        from fastapi.responses import JSONResponse

        class EnvelopeResponse(JSONResponse):
            def render(self, content: Any) -> bytes:
                return envelope_json(content).encode("utf-8")

        _ENVELOPE_CLASS = EnvelopeResponse
    return _ENVELOPE_CLASS


def backend_failed_envelope(command: str) -> dict[str, Any]:
    """The ``500 LOCAL_BACKEND_FAILED`` envelope of an unexpected error, with a fresh trace
    id (the traceback goes to the log, never into the reply)."""
    return build_envelope(
        ok=False,
        command=command,
        actor=None,
        data=None,
        error={
            "code": "LOCAL_BACKEND_FAILED",
            "message": "the local backend hit an unexpected error; see its log",
            "retryable": False,
        },
    )


def error_response(request: Request, err: ApiError) -> JSONResponse:
    from fastapi.responses import JSONResponse

    body = build_envelope(
        ok=False,
        command=command_label(request),
        actor=err.actor,
        data=None,
        error=err.error_block(),
        trace_id=trace_id_of(request),
    )
    headers = {**err.headers, EXIT_HEADER: str(err.exit_code)}
    return JSONResponse(body, status_code=err.status, headers=headers)


# ------------------------------------------------------------------------ OpenAPI

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ok", "command", "trace_id", "actor", "data", "warnings", "error"],
    "properties": {
        "ok": {"type": "boolean"},
        "command": {"type": "string"},
        "trace_id": {"type": "string"},
        "actor": {"type": ["object", "null"]},
        "data": {},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "error": {"type": ["object", "null"]},
    },
}
_EXIT_HEADER_DOC = {
    EXIT_HEADER: {
        "description": "Process exit code the CLI should use (0 on success)",
        "schema": {"type": "string"},
    }
}


def _doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _EXIT_HEADER_DOC,
        "content": {"application/json": {"schema": ENVELOPE_SCHEMA}},
    }


#: Error replies any route may give (passed to ``FastAPI(responses=...)``).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("INVALID_ARGUMENTS envelope (bad body or query)"),
    404: _doc("NOT_FOUND envelope"),
    405: _doc("METHOD_NOT_ALLOWED envelope"),
    500: _doc("LOCAL_BACKEND_FAILED envelope"),
}


def envelope_doc(
    description: str = "Success envelope",
    *,
    auth: bool = False,
    errors: dict[int, str] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: its success envelope plus the errors it may give."""
    out: dict[int | str, dict[str, Any]] = {200: _doc(description)}
    if auth:
        out[401] = _doc("AUTH_REQUIRED envelope (missing, unknown or revoked token)")
    for status, text in (errors or {}).items():
        out[status] = _doc(text)
    return out
