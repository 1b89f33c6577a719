"""Routers included on first use, for the in-process backend (``--api-base-url local``).

One in-process CLI call makes one or two requests, yet including every router means
importing every route module, and FastAPI builds each route's parameter models when the
module is imported (about a quarter of an in-process ``whoami``). :func:`install` instead
includes a router the first time a request's path needs it: :data:`PATH_ROUTERS` maps a
path's leading segments (:func:`path_key`) to the router module that serves it.

The table only decides what to import first; it never decides a reply. A path it does not
know, or one that no included route fully matches (what becomes a 404, a 405 or a
trailing-slash redirect), includes every router before the request goes on, so those
replies are the ones of the app :func:`image_skill.local.app.create_app` builds eagerly.
Included routers keep the order of :data:`image_skill.local.app.ROUTER_MODULES` (first
match wins), and the OpenAPI document is generated with every router included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from fastapi import FastAPI

_ROUTES = "image_skill.local.routes."

#: :func:`path_key` of every route's path -> the module of its router (under ``routes``).
PATH_ROUTERS: dict[str, str] = {
    "/healthz": "core",
    "/v1/agent-signups": "core",
    "/v1/whoami": "core",
    "/v1/quota": "core",
    "/v1/agent-claims": "claims",
    "/v1/models": "models",
    "/v1/capabilities": "models",
    "/v1/payment-methods": "credits",
    "/v1/credit-packs": "credits",
    "/v1/credit-quotes": "credits",
    "/v1/credit-purchases": "payments",
    "/_local/payment-attempts": "payments",
    "/v1/create": "create",
    "/v1/edit": "create",
    "/v1/upload": "upload",
    "/v1/assets": "assets",
    "/v1/jobs": "jobs",
    "/v1/activity": "activity",
    "/v1/feedback": "feedback",
    "/a": "media",
    "/pay": "pages",
    "/_local/checkout": "pages",
    "/v1/local": "gallery",
    "/login": "gallery",
    "/logout": "gallery",
    "/": "gallery",
}

#: First path segments whose routes are told apart by their second segment too.
_TWO_SEGMENTS = frozenset({"v1", "_local"})


def path_key(path: str) -> str:
    """The leading segments of ``path`` that :data:`PATH_ROUTERS` is keyed by.

    ``/v1/models/flux`` -> ``/v1/models``; ``/a/x.png`` -> ``/a``; ``/`` -> ``/``.
    """
    parts = path.split("/", 3)
    first = parts[1] if len(parts) > 1 else ""
    if first in _TWO_SEGMENTS and len(parts) > 2:
        return f"/{first}/{parts[2]}"
    return "/" + first


def module_for(path: str) -> str | None:
    """The router module serving ``path``, or ``None`` when the table does not know it."""
    name = PATH_ROUTERS.get(path_key(path))
    return _ROUTES + name if name is not None else None


class LazyRouters:
    """The routers of one app, included on demand (see the module docstring)."""

    def __init__(
        self,
        app: FastAPI,
        modules: list[str],
        include: Callable[[FastAPI, list[str]], list[str]],
    ) -> None:
        self.app = app
        self.modules = list(modules)
        self._include = include
        self._order = {name: index for index, name in enumerate(self.modules)}
        #: Routes the app had before any router (FastAPI's ``/openapi.json``).
        self._fixed: list[BaseRoute] = list(app.router.routes)
        self._routes_of: dict[str, list[BaseRoute]] = {}
        self._lock = threading.Lock()

    @property
    def included(self) -> list[str]:
        """The modules tried so far, in :attr:`modules` order."""
        return sorted(self._routes_of, key=self._order.__getitem__)

    def ensure(self, names: Iterable[str]) -> None:
        """Include the routers of ``names`` (modules of :attr:`modules`) not yet included."""
        with self._lock:
            wanted = [n for n in names if n in self._order and n not in self._routes_of]
            if not wanted:
                return
            routes = self.app.router.routes
            for name in sorted(wanted, key=self._order.__getitem__):
                before = len(routes)
                self._include(self.app, [name])  # a module that does not exist adds nothing
                self._routes_of[name] = routes[before:]
            self._reorder()

    def ensure_all(self) -> None:
        self.ensure(self.modules)

    def _reorder(self) -> None:
        """Routes as the eager app has them: FastAPI's own, routers in module order, rest."""
        routes = self.app.router.routes
        ours = {id(route) for group in self._routes_of.values() for route in group}
        fixed = {id(route) for route in self._fixed}
        extra = [r for r in routes if id(r) not in ours and id(r) not in fixed]
        ordered = [route for name in self.included for route in self._routes_of[name]]
        routes[:] = [r for r in routes if id(r) in fixed] + ordered + extra

    def prepare(self, scope: Scope) -> None:
        """Include what ``scope``'s request needs; everything when in doubt."""
        if len(self._routes_of) == len(self.modules):
            return
        module = module_for(scope.get("path", ""))
        if module is not None:
            self.ensure([module])
            if self._fully_matched(scope):
                return
        self.ensure_all()

    def _fully_matched(self, scope: Scope) -> bool:
        for route in self.app.router.routes:
            match, _child = route.matches(dict(scope))  # a copy: matching may note state
            if match == Match.FULL:
                return True
        return False


class _LazyRoutersMiddleware:
    """Innermost middleware: include the routers a request needs before routing it."""

    def __init__(self, app: ASGIApp, routers: LazyRouters) -> None:
        self.app = app
        self.routers = routers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            self.routers.prepare(scope)
        await self.app(scope, receive, send)


def install(
    app: FastAPI,
    modules: list[str],
    include: Callable[[FastAPI, list[str]], list[str]],
) -> LazyRouters:
    """Make ``app`` include the routers of ``modules`` on first use, through ``include``.

    Call before the app serves its first request (the middleware goes innermost, inside
    the app's error handling, so a failure while including is answered as any other).
    ``app.openapi`` includes every router before the document is built.
    """
    routers = LazyRouters(app, modules, include)
    app.user_middleware.append(Middleware(_LazyRoutersMiddleware, routers=routers))
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        routers.ensure_all()
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.lazy_routers = routers
    return routers
