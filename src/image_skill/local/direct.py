"""The in-process backend's fast path: the core read-only routes without the web framework.

Importing FastAPI costs more than everything else an in-process ``whoami`` does (about
0.35 s of CPU: it builds its OpenAPI models with pydantic at import). The requests an agent
makes most between two jobs (``GET /healthz``, ``GET /v1/whoami``, ``GET /v1/quota``) need
none of it: :class:`DirectRoutes` answers them from the same data builders the FastAPI
routes use (:mod:`image_skill.local.core_data`), the same token lookup and the same
envelope and error helpers, with the status, headers and body bytes the app would send.

Anything else, and any of these when a fault switch is on or an unexpected error occurs,
returns ``None``: the transport then hands the request to the full app, which answers it
as it answers every other one (so a 500 envelope, a 405 or a redirect always come from
there). ``tests/local/test_inproc_contract.py`` holds the two paths to identical replies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from image_skill.envelope import new_trace_id
from image_skill.local import core_data
from image_skill.local.cli_commands import cli_base
from image_skill.local.errors import (
    EXIT_HEADER,
    ApiError,
    auth_required,
    build_envelope,
    envelope_json,
)
from image_skill.local.store.db import Actor, Store, lookup_token, touch_token

if TYPE_CHECKING:
    import httpx

    from image_skill.local.settings import LocalSettings

logger = logging.getLogger("image_skill.local")

Reply = tuple[int, list[tuple[str, str]], bytes]


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


def _success(command: str, data: Any, actor: Actor | None) -> Reply:
    body = build_envelope(
        ok=True,
        command=command,
        actor=actor.envelope_block() if actor is not None else None,
        data=data,
        warnings=None,
        trace_id=new_trace_id(),
    )
    return _reply(200, body, {EXIT_HEADER: "0"})


def _error(command: str, err: ApiError) -> Reply:
    body = build_envelope(
        ok=False,
        command=command,
        actor=err.actor,
        data=None,
        error=err.error_block(),
        trace_id=new_trace_id(),
    )
    return _reply(err.status, body, {**err.headers, EXIT_HEADER: str(err.exit_code)})


class DirectRoutes:
    """Answer the core read-only routes of one data dir's backend, or decline (``None``)."""

    def __init__(self, settings: LocalSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._routes: dict[tuple[str, str], Callable[[httpx.Request], Reply]] = {
            ("GET", "/healthz"): self._healthz,
            ("GET", "/v1/whoami"): self._whoami,
            ("GET", "/v1/quota"): self._quota,
        }

    def __call__(self, request: httpx.Request) -> Reply | None:
        route = self._routes.get((request.method, request.url.path))
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

    def _actor(self, request: httpx.Request) -> Actor:
        """The caller, or ``401 AUTH_REQUIRED`` (as the app's ``require_actor``)."""
        token = core_data.parse_bearer(request.headers.get("authorization"))
        conn = self.store.acquire()
        try:
            actor, stale = lookup_token(conn, token)
            if actor is not None and stale:
                touch_token(conn, actor.token_id)
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
