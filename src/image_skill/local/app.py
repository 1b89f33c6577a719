"""The local backend's ASGI app: envelopes and exit-code headers on every reply.

Routers live in their own modules, each exposing ``router`` (a ``fastapi.APIRouter``).
:data:`ROUTER_MODULES` lists them; a module that does not exist yet is skipped, so a
new router only needs its module (and a line here if its name is not listed yet).
"""

from __future__ import annotations

import importlib
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from image_skill._constants import __version__
from image_skill.local.errors import (
    COMMON_RESPONSES,
    EXIT_HEADER,
    ApiError,
    backend_failed_envelope,
    command_label_from_scope,
    error_response,
    shape_error,
)
from image_skill.local.routes.bodies import add_request_schemas
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store

logger = logging.getLogger("image_skill.local")

#: Router modules included by :func:`create_app`, in order (first match wins).
ROUTER_MODULES: list[str] = [
    "image_skill.local.routes.core",
    "image_skill.local.routes.claims",
    "image_skill.local.routes.models",
    "image_skill.local.routes.credits",
    "image_skill.local.routes.payments",
    "image_skill.local.routes.create",
    "image_skill.local.routes.upload",
    "image_skill.local.routes.assets",
    "image_skill.local.routes.jobs",
    "image_skill.local.routes.activity",
    "image_skill.local.routes.feedback",
    "image_skill.local.routes.media",
    "image_skill.local.routes.pages",
    "image_skill.local.routes.gallery",
]


def include_optional_routers(app: FastAPI, modules: list[str] | None = None) -> list[str]:
    """Include ``router`` from each module that exists; return the included names."""
    included: list[str] = []
    for name in modules if modules is not None else ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        app.include_router(module.router)
        included.append(name)
    return included


def create_app(
    settings: LocalSettings | None = None, *, lazy: bool = False, store: Store | None = None
) -> FastAPI:
    """The backend's app; ``lazy=True`` includes each router when a request first needs it
    (:mod:`.lazy_routes`: the in-process backend, where one call uses one or two routers).
    ``store``: share a store already made for ``settings`` (one write lock per database)."""
    settings = settings or LocalSettings.from_env()
    app = FastAPI(
        title="image-skill local backend",
        version=__version__,
        description=(
            "Offline, contract-compatible stand-in for the Image Skill API. "
            "No live money moves and no hosted provider is called."
        ),
        docs_url=None,  # the docs UI would load assets from a CDN; stay offline
        redoc_url=None,
        responses=COMMON_RESPONSES,
    )
    app.state.settings = settings
    app.state.store = store if store is not None else Store(settings)
    _install_error_handlers(app)
    app.add_middleware(CatchAllMiddleware)
    if lazy:
        from image_skill.local.lazy_routes import install

        install(app, ROUTER_MODULES, include_optional_routers)
    else:
        include_optional_routers(app)
    _document_validation_as_400(app)
    return app


def _document_validation_as_400(app: FastAPI) -> None:
    """Drop FastAPI's automatic ``422 HTTPValidationError`` replies from the OpenAPI doc,
    and add the request bodies' schemas (:func:`.routes.bodies.add_request_schemas`).

    Request validation errors are answered as ``400 INVALID_ARGUMENTS`` envelopes (see
    :func:`_validation_to_api_error`), already documented on every route, so the default
    entry described a reply that never happens. A route's own ``422`` doc is kept.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        doc = generate()  # cached by FastAPI; the edits below are idempotent
        add_request_schemas(doc)
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                    del responses["422"]
        schemas = doc.get("components", {}).get("schemas", {})
        if "HTTPValidationError" not in json.dumps(doc.get("paths", {})):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            err = ApiError(404, "NOT_FOUND", f"no route for {request.method} {request.url.path}")
        elif exc.status_code == 405:
            err = ApiError(
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method} is not allowed on {request.url.path}",
                headers=dict(exc.headers or {}),
            )
        else:
            err = ApiError(exc.status_code, "HTTP_ERROR", str(exc.detail))
        return error_response(request, err)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, _validation_to_api_error(exc))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def _validation_to_api_error(exc: RequestValidationError) -> ApiError:
    """Path, query and header problems get the same answer as a body of the wrong shape."""
    return shape_error(list(exc.errors()))


class CatchAllMiddleware:
    """Turn any uncaught exception into a JSON ``500 LOCAL_BACKEND_FAILED`` envelope.

    The traceback goes to the ``image_skill.local`` logger (stderr when served), never
    into the reply.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error in local backend")
            if started:
                raise
            body = backend_failed_envelope(command_label_from_scope(scope))
            payload = json.dumps(body).encode("utf-8")
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                        (EXIT_HEADER.encode(), b"1"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
