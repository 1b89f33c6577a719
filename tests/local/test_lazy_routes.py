"""Routers included on first use (``create_app(lazy=True)``, the in-process backend)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Match

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.app import ROUTER_MODULES, create_app
from image_skill.local.lazy_routes import PATH_ROUTERS, module_for, path_key
from image_skill.local.settings import LocalSettings
from image_skill.local.transport import InProcessTransport

ROUTES = "image_skill.local.routes."


def _concrete(path: str) -> str:
    """A request path for a route template (``/v1/jobs/{job_id:path}`` -> ``/v1/jobs/x``)."""
    return re.sub(r"\{[^}]+\}", "x", path)


def _routes() -> list[tuple[str, str, str]]:
    """(module, path, method) of every route of every router."""
    rows = []
    for name in ROUTER_MODULES:
        for route in importlib.import_module(name).router.routes:
            for method in sorted(route.methods):
                rows.append((name, route.path, method))
    return rows


def test_path_key() -> None:
    assert path_key("/v1/models/local.image") == "/v1/models"
    assert path_key("/v1/models") == "/v1/models"
    assert path_key("/_local/checkout/c/pay/s") == "/_local/checkout"
    assert path_key("/a/ast_1.png") == "/a"
    assert path_key("/") == "/"
    assert path_key("/v1") == "/v1"
    assert module_for("/v1/no-such-route") is None


def test_the_table_names_the_module_of_every_route(local_settings: LocalSettings) -> None:
    """Each route's path leads to its own module, and in the eager app no earlier route of
    another module answers that path first (so including that one module is enough)."""
    eager = create_app(local_settings)
    for name, path, method in _routes():
        concrete = _concrete(path)
        assert module_for(concrete) == name, (path, PATH_ROUTERS.get(path_key(concrete)))
        scope = {"type": "http", "path": concrete, "method": method, "root_path": ""}
        first = next(r for r in eager.router.routes if r.matches(dict(scope))[0] == Match.FULL)
        served_by = [
            m for m in ROUTER_MODULES if first in _included_routes(eager, m)
        ]  # the router entry of one module
        assert served_by == [name], (path, method, served_by)
    assert set(PATH_ROUTERS.values()) == {m.removeprefix(ROUTES) for m in ROUTER_MODULES}


def _included_routes(app: Any, module: str) -> list[Any]:
    router = importlib.import_module(module).router
    return [r for r in app.router.routes if getattr(r, "original_router", None) is router]


@pytest.fixture
def lazy(local_settings: LocalSettings) -> Any:
    return create_app(local_settings, lazy=True)


def _client(app: Any) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_ORIGIN)


def test_a_request_includes_only_the_router_it_needs(lazy: Any) -> None:
    routers = lazy.state.lazy_routers
    assert routers.included == []
    with _client(lazy) as client:
        assert client.get("/v1/whoami").status_code == 401
        assert routers.included == [ROUTES + "core"]
        assert client.get("/v1/models/local.image").status_code == 200
        assert client.post("/v1/create", json={"prompt": "a", "dry_run": True}).status_code == 200
        assert routers.included == [ROUTES + m for m in ("core", "models", "create")]
        # Routers sit in the eager order whatever order they were included in.
        order = [r.original_router for r in lazy.router.routes if hasattr(r, "original_router")]
        assert order == [importlib.import_module(m).router for m in routers.included]
        assert client.get("/v1/no-such-route").status_code == 404
        assert routers.included == ROUTER_MODULES


def _reply(app: Any, method: str, path: str) -> tuple[int, dict[str, str], Any]:
    with _client(app) as client:
        response = client.request(method, path)
    body = response.json() if "json" in response.headers.get("content-type", "") else None
    if isinstance(body, dict):
        body.pop("trace_id", None)
    return response.status_code, dict(response.headers), body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/no-such-route"),  # unknown, under /v1
        ("GET", "/nowhere"),  # unknown first segment
        ("DELETE", "/v1/whoami"),  # 405 from a known router
        ("GET", "/v1/create"),  # 405 on a body route
        ("GET", "/v1/whoami/"),  # trailing-slash redirect
        ("GET", "/v1/modelsX"),  # shares a prefix with a route, matches none
        ("GET", "/a/nothing.png"),  # a media 404 from the route itself
        ("GET", "/"),  # the gallery page
    ],
)
def test_a_fresh_lazy_app_answers_as_the_eager_one(tmp_path: Path, method: str, path: str) -> None:
    """The first request of a lazy app, whatever it is, gets the eager app's reply."""
    lazy = create_app(LocalSettings(data_dir=tmp_path / "lazy"), lazy=True)
    eager = create_app(LocalSettings(data_dir=tmp_path / "eager"))
    assert _reply(lazy, method, path) == _reply(eager, method, path)


def test_openapi_lists_every_route_of_a_lazy_app(tmp_path: Path) -> None:
    eager = create_app(LocalSettings(data_dir=tmp_path / "eager")).openapi()
    lazy = create_app(LocalSettings(data_dir=tmp_path / "lazy"), lazy=True)
    with _client(lazy) as client:
        client.get("/healthz")  # one router included before the document is asked for
        served = client.get("/openapi.json").json()
    assert json.dumps(served, sort_keys=True) == json.dumps(eager, sort_keys=True)
    assert "/v1/create" in served["paths"] and "CreateRequest" in served["components"]["schemas"]
