"""The in-process backend's fast path: the routes an agent uses most, without the web framework.

Importing FastAPI costs more than everything else an in-process ``whoami`` does (about
0.35 s of CPU: it builds its OpenAPI models with pydantic at import). The requests an agent
makes most need none of it: ``GET /healthz``, ``GET /v1/whoami``, ``GET /v1/quota``,
``POST /v1/agent-signups``, ``POST /v1/upload``, ``POST /v1/create`` and ``/v1/edit``, the
model and payment-rail listings every guide reads, and the media a create downloads.
:class:`DirectRoutes` answers them with the code the FastAPI routes run
(:mod:`image_skill.local.core_data`, :mod:`image_skill.local.listing_data`,
:mod:`image_skill.local.media_reply`, :mod:`image_skill.local.signup_data`,
:mod:`image_skill.local.upload_data`, :mod:`image_skill.local.body_check`,
:mod:`image_skill.local.create_flow`), the same token
lookup and the same envelope and error helpers, with the status, headers and body bytes
the app would send.

Anything else, and any of these when a fault switch is on, returns ``None``: the transport
then hands the request to the full app, which answers it as it answers every other one (so
a 405 or a redirect always comes from there). A read-only route that hits an unexpected
error declines too; a job, a signup or an upload answers ``500 LOCAL_BACKEND_FAILED`` itself, as
the app's catch-all does (running it again could repeat its side effects).
``tests/local/test_inproc_contract.py`` holds the two paths to identical replies.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from image_skill.envelope import new_trace_id
from image_skill.local import core_data
from image_skill.local.cli_commands import cli_base
from image_skill.local.errors import (
    EXIT_HEADER,
    ApiError,
    auth_required,
    backend_failed_envelope,
    build_envelope,
    envelope_json,
)
from image_skill.local.store.db import Actor, Store, lookup_token, touch_token

if TYPE_CHECKING:
    import httpx

    from image_skill.local.settings import LocalSettings

logger = logging.getLogger("image_skill.local")

Reply = tuple[int, list[tuple[str, str]], bytes]
#: What a writing route's work gives: the reply's data, its actor and its warnings.
Written = tuple[Any, "Actor | None", "list[str] | None"]


def _reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    """Status, headers and body as Starlette's ``JSONResponse`` writes them."""
    content = envelope_json(body).encode("utf-8")
    return (
        status,
        [
            *(headers or {}).items(),
            ("content-length", str(len(content))),
            ("content-type", "application/json"),
        ],
        content,
    )


def _success(
    command: str,
    data: Any,
    actor: Actor | None,
    warnings: list[str] | None = None,
    trace_id: str | None = None,
) -> Reply:
    body = build_envelope(
        ok=True,
        command=command,
        actor=actor.envelope_block() if actor is not None else None,
        data=data,
        warnings=warnings,
        trace_id=trace_id or new_trace_id(),
    )
    return _reply(200, body, {EXIT_HEADER: "0"})


def _error(command: str, err: ApiError, trace_id: str | None = None) -> Reply:
    body = build_envelope(
        ok=False,
        command=command,
        actor=err.actor,
        data=None,
        error=err.error_block(),
        trace_id=trace_id or new_trace_id(),
    )
    return _reply(err.status, body, {**err.headers, EXIT_HEADER: str(err.exit_code)})


def _backend_failed(command: str) -> Reply:
    """What the app's catch-all middleware sends (its own JSON spacing and header order)."""
    content = json.dumps(backend_failed_envelope(command)).encode("utf-8")
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(content))),
        (EXIT_HEADER, "1"),
    ]
    return 500, headers, content


class DirectRoutes:
    """Answer the core read-only routes of one data dir's backend, or decline (``None``)."""

    def __init__(self, settings: LocalSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._routes: dict[tuple[str, str], Callable[[httpx.Request], Reply | None]] = {
            ("GET", "/healthz"): self._healthz,
            ("GET", "/v1/whoami"): self._whoami,
            ("GET", "/v1/quota"): self._quota,
            ("GET", "/v1/models"): self._models,
            ("GET", "/v1/payment-methods"): self._payment_methods,
            ("POST", "/v1/create"): lambda request: self._job("create", request),
            ("POST", "/v1/edit"): lambda request: self._job("edit", request),
            ("POST", "/v1/agent-signups"): self._signup,
            ("POST", "/v1/upload"): self._upload,
        }

    def __call__(self, request: httpx.Request) -> Reply | None:
        path = request.url.path
        route = self._routes.get((request.method, path))
        if route is None and request.method == "GET" and path.startswith("/a/"):
            route = self._media
        if route is None or self.settings.faults:
            return None
        try:
            return route(request)
        except Exception:  # the app answers it (and logs what it hits itself)
            logger.debug("in-process fast path declined a request", exc_info=True)
            return None

    def _base(self, request: httpx.Request) -> str:
        """The ``--api-base-url`` of the commands a reply hands out (``local`` here)."""
        return cli_base(f"{request.url.scheme}://{request.url.netloc.decode('ascii')}")

    def _media_base(self, request: httpx.Request) -> str:
        """Base of owned media URLs (as ``deps.media_base_url``)."""
        configured = self.settings.media_base_url
        if configured:
            return configured.rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"

    def _maybe_actor(self, conn: sqlite3.Connection, request: httpx.Request) -> Actor | None:
        """The caller when a valid token was sent (as the app's ``optional_actor``)."""
        # The first header, as Starlette's ``headers.get`` (httpx's joins repeated ones).
        values = request.headers.get_list("authorization")
        token = core_data.parse_bearer(values[0] if values else None)
        actor, stale = lookup_token(conn, token)
        if actor is not None and stale:
            touch_token(conn, actor.token_id)
        return actor

    def _actor(self, request: httpx.Request) -> Actor:
        """The caller, or ``401 AUTH_REQUIRED`` (as the app's ``require_actor``)."""
        conn = self.store.acquire()
        try:
            actor = self._maybe_actor(conn, request)
        finally:
            self.store.release(conn)
        if actor is None:
            raise auth_required(self._base(request))
        return actor

    def _healthz(self, _request: httpx.Request) -> Reply:
        return _success(core_data.HEALTH_COMMAND, core_data.health(), None)

    def _whoami(self, request: httpx.Request) -> Reply:
        command = core_data.WHOAMI_COMMAND
        try:
            actor = self._actor(request)
        except ApiError as err:
            return _error(command, err)
        return _success(command, core_data.identity(actor), actor)

    def _quota(self, request: httpx.Request) -> Reply:
        command = core_data.QUOTA_COMMAND
        try:
            actor = self._actor(request)
        except ApiError as err:
            return _error(command, err)
        conn = self.store.acquire()
        try:
            data = core_data.quota(conn, actor, self.settings, self._base(request))
        finally:
            self.store.release(conn)
        return _success(command, data, actor)

    def _models(self, request: httpx.Request) -> Reply:
        from image_skill.local.listing_data import (
            MODELS_LIST_COMMAND,
            MODELS_LIST_PARAMS,
            models_listing,
        )

        # A repeated parameter counts by its last value, as Starlette's query_params does.
        query = request.url.params
        params: dict[str, str | None] = {}
        for name in MODELS_LIST_PARAMS:
            values = query.get_list(name)
            params[name] = values[-1] if values else None
        try:
            data = models_listing(params, self._base(request))
        except ApiError as err:
            return _error(MODELS_LIST_COMMAND, err)
        return _success(MODELS_LIST_COMMAND, data, None)

    def _payment_methods(self, request: httpx.Request) -> Reply:
        from image_skill.local.listing_data import (
            PAYMENT_METHODS_COMMAND,
            payment_methods_listing,
        )

        data, warnings = payment_methods_listing(self._base(request))
        return _success(PAYMENT_METHODS_COMMAND, data, None, warnings)

    def _media(self, request: httpx.Request) -> Reply | None:
        """A plain ``GET /a/ID.EXT`` of stored media: the whole file (as the app's media
        route sends it). Ranges, conditional requests, unusual names and anything missing
        are left to the app, with its 206/304/404/416 replies."""
        from image_skill.local.media_reply import find_media, media_headers

        name = request.url.path[len("/a/") :]
        if "/" in name or "%" in request.url.raw_path.decode("ascii", "replace"):
            return None
        if any(h in request.headers for h in ("range", "if-none-match", "if-range")):
            return None
        conn = self.store.acquire()
        try:
            found = find_media(conn, self.settings, name)
        finally:
            self.store.release(conn)
        if found is None:
            return None
        row, path = found
        content = path.read_bytes()
        if len(content) != int(row["content_length"]):
            return None  # the app reports a file that does not match its row
        mime = str(row["mime_type"])
        if mime.startswith("text/") and "charset=" not in mime.lower():
            mime += "; charset=utf-8"  # as Starlette completes a text type
        return 200, [*media_headers(row, path).items(), ("content-type", mime)], content

    def _signup(self, request: httpx.Request) -> Reply:
        """``POST /v1/agent-signups`` in the app's order: body shape, fields, the signup."""
        from image_skill.api.requests import SignupRequest
        from image_skill.local.body_check import validate_body
        from image_skill.local.signup_data import (
            SIGNUP_COMMAND,
            SIGNUP_MESSAGES,
            signup_recovery,
            signup_reply,
        )

        base = self._base(request)

        def work(conn: sqlite3.Connection, trace_id: str) -> Written:
            body = validate_body(
                SignupRequest,
                request.content,
                base=base,
                recovery=signup_recovery,
                messages=SIGNUP_MESSAGES,
            )
            return signup_reply(conn, self.settings, body, base=base, trace_id=trace_id)

        return self._writing(SIGNUP_COMMAND, work)

    def _upload(self, request: httpx.Request) -> Reply:
        """``POST /v1/upload`` in the app's order: token, body shape, checks, the store."""
        from image_skill.api.requests import UploadRequest
        from image_skill.local.body_check import validate_body
        from image_skill.local.upload_data import UPLOAD_COMMAND, upload_reply

        def work(conn: sqlite3.Connection, trace_id: str) -> Written:
            actor = self._actor(request)
            body = validate_body(UploadRequest, request.content, base=self._base(request))
            media_base = self._media_base(request)
            data = upload_reply(
                conn, self.settings, actor, body, trace_id=trace_id, media_base=media_base
            )
            return data, actor, None

        return self._writing(UPLOAD_COMMAND, work)

    def _job(self, operation: str, request: httpx.Request) -> Reply:
        """``POST /v1/create`` or ``/v1/edit`` in the app's order: token, body shape, values,
        sign-in, job."""
        # Imported here: the job code (and pydantic, for the body) is for creates only.
        from image_skill.local.body_check import validate_body
        from image_skill.local.create_flow import MODELS, answer, command_label

        base = self._base(request)

        def work(conn: sqlite3.Connection, trace_id: str) -> Written:
            actor = self._maybe_actor(conn, request)
            body = validate_body(MODELS[operation], request.content, base=base)
            outcome = answer(
                operation,
                body,
                conn=conn,
                settings=self.settings,
                actor=actor,
                trace_id=trace_id,
                media_base=self._media_base(request),
                base=base,
            )
            return outcome.data, actor, outcome.warnings

        return self._writing(command_label(operation), work)

    def _writing(self, command: str, work: Callable[[sqlite3.Connection, str], Written]) -> Reply:
        """Run a route that may write, on a pooled connection: its refusal as the app sends
        it, and any other failure as the app's ``500`` (never declined to the app: running
        it again could repeat what it already wrote)."""
        trace_id = new_trace_id()
        try:
            conn = self.store.acquire()
            try:
                data, actor, warnings = work(conn, trace_id)
            finally:
                self.store.release(conn)
        except ApiError as err:
            return _error(command, err, trace_id)
        except Exception:
            logger.exception("unhandled error in local backend")
            return _backend_failed(command)
        return _success(command, data, actor, warnings, trace_id)
