"""Schemathesis against the local backend's own OpenAPI document, in-process (no sockets).

Every operation gets a small, derandomized batch of generated requests (valid and invalid
per the schema) sent with an agent's bearer token. Each reply must be: no 5xx, a JSON
envelope, an integer exit-code header 1-9 on every non-2xx, and the documented schema.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.app import create_app
from image_skill.local.errors import EXIT_HEADER
from image_skill.local.settings import LocalSettings
from image_skill.local.transport import InProcessTransport

ENVELOPE_KEYS = {"ok", "command", "trace_id", "actor", "data", "warnings", "error"}
#: Contact of the fuzzing agent; generated signups never pick it, so its token stays valid.
FUZZ_CONTACT = "schemathesis-fuzz-agent@example.com"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _load_schema() -> Any:
    """Read /openapi.json from a throwaway app (the document does not depend on the data)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(LocalSettings(data_dir=Path(tmp)))
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.app = None  # requests go to the per-module app below, never to this one
    return schema


schema = _load_schema()


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(LocalSettings(data_dir=tmp_path_factory.mktemp("fuzz-data")))


@pytest.fixture(scope="module")
def bearer(fuzz_app: FastAPI) -> Iterator[dict[str, str]]:
    transport = InProcessTransport(fuzz_app)
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        reply = client.post(
            "/v1/agent-signups",
            json={
                "agent_contact": FUZZ_CONTACT,
                "agent_name": "fuzzer",
                "runtime": "pytest",
                "return_token": True,
            },
        )
    assert reply.status_code == 200, reply.text
    yield {"authorization": f"Bearer {reply.json()['data']['token']}"}


def check_envelope(response: Any, case: Any) -> None:
    """A JSON object envelope; every non-2xx names an exit code 1-9 in its header."""
    if case.method.upper() == "HEAD" or response.headers.get("content-type", [""])[0].startswith(
        ("image/", "video/", "audio/", "model/", "application/octet-stream")
    ):
        return
    body = json.loads(response.content)
    assert isinstance(body, dict), f"reply is not a JSON object: {body!r}"
    assert ENVELOPE_KEYS <= set(body), f"envelope keys missing: {ENVELOPE_KEYS - set(body)}"
    assert isinstance(body["ok"], bool)
    status = response.status_code
    assert body["ok"] is (200 <= status < 300), f"ok={body['ok']} with HTTP {status}"
    if not 200 <= status < 300:
        values = response.headers.get(EXIT_HEADER)
        assert values, f"HTTP {status} without {EXIT_HEADER}"
        assert values[0].isdigit() and 1 <= int(values[0]) <= 9, values
        assert isinstance(body["error"], dict) and isinstance(body["error"].get("code"), str)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_with_a_documented_envelope(
    case: Any, fuzz_app: FastAPI, bearer: dict[str, str]
) -> None:
    response = case.call(app=fuzz_app, headers=bearer)
    case.validate_response(
        response,
        checks=CHECKS,
        headers=bearer,
        transport_kwargs={"app": fuzz_app},
    )
    check_envelope(response, case)


# ------------------------------------------------------- request bodies from their schemas
# Every JSON body is documented by its request model (image_skill.api.requests). Bodies the
# create schema allows must pass the shape check, and one unknown key must be refused by it.

_CREATE = schema["/v1/create"]["POST"]


def _shape_refusal(reply: httpx.Response) -> dict[str, Any] | None:
    """The error of a body refused for its shape (it lists ``invalid_fields``), else None."""
    error = reply.json().get("error") or {}
    recovery = error.get("recovery") or {}
    return error if "invalid_fields" in recovery else None


@given(_CREATE.as_strategy(generation_mode=GenerationMode.POSITIVE))
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_create_bodies_from_the_schema_pass_the_shape_check(
    fuzz_app: FastAPI, bearer: dict[str, str], case: Any
) -> None:
    assert isinstance(case.body, dict)
    body = {**case.body, "dry_run": True}  # plans only: nothing is spent or written
    transport = InProcessTransport(fuzz_app)
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN, headers=bearer) as client:
        reply = client.post("/v1/create", json=body)
        assert reply.status_code < 500, reply.text
        assert _shape_refusal(reply) is None, (body, reply.text)
        extra = client.post("/v1/create", json={**body, "surprise_field": 1})
    error = _shape_refusal(extra)
    assert extra.status_code == 400 and extra.headers[EXIT_HEADER] == "2", extra.text
    assert error is not None and error["code"] == "INVALID_ARGUMENTS"
    assert error["message"].startswith("invalid request: surprise_field: unknown field")
    assert error["recovery"]["request_schema"] == "#/components/schemas/CreateRequest"


# ------------------------------------------------------- any JSON values in those bodies
# The schema-driven cases keep to the documented types; here the keys are the documented
# ones (plus one unknown key) and the values anything JSON can carry (NaN, 400-digit
# integers...): every reply is still an envelope, never a crash.

_BODY_ROUTES = (
    "/v1/create",
    "/v1/edit",
    "/v1/upload",
    "/v1/feedback",
    "/v1/credit-quotes",
    "/v1/credit-purchases",
    "/v1/credit-purchases/stripe-checkout-sessions",
    "/v1/credit-purchases/stripe-x402-deposits",
)


def _documented_keys(path: str) -> list[str]:
    raw = schema.raw_schema
    body = raw["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    return [*raw["components"]["schemas"][name]["properties"], "not_a_field"]


_ROUTE_KEYS: dict[str, list[str]] = {path: _documented_keys(path) for path in _BODY_ROUTES}

_PLAUSIBLE = st.sampled_from(
    [
        "local.image",
        "local.image-edit",
        "local.video",
        "local.audio",
        "local.image-to-3d",
        "xai.grok-imagine-image",
        "local",
        "16:9",
        "1:1",
        "0:0",
        "9999999:1",
        "image.generate",
        "a red cube",
        "starter-500",
        "stripe_checkout",
        "x402",
        "stripe_x402.exact.usdc",
        "",
        " ",
        "\x00",
        "image_" + "0" * 24,
        "https://example.com/x.png",
        "iVBORw0KGgo=",
        "png",
        "image/png",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**3), max_value=10**3),
    st.sampled_from([0, -1, 2**31, 2**63, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    _PLAUSIBLE,
    st.text(max_size=20),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(_PLAUSIBLE, st.sampled_from(["role", "asset_id", "url", "seed"])),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


@st.composite
def _route_bodies(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    path = draw(st.sampled_from(sorted(_ROUTE_KEYS)))
    keys = draw(st.lists(st.sampled_from(_ROUTE_KEYS[path]), unique=True, max_size=6))
    return path, {key: draw(_VALUES) for key in keys}


@given(_route_bodies())
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_hand_validated_bodies_get_an_envelope_never_a_crash(
    fuzz_app: FastAPI, bearer: dict[str, str], route_body: tuple[str, dict[str, Any]]
) -> None:
    path, body = route_body
    payload = json.dumps(body).encode()  # NaN/Infinity tokens included, as lax clients send
    transport = InProcessTransport(fuzz_app)
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        reply = client.post(
            path, content=payload, headers={**bearer, "content-type": "application/json"}
        )
    assert reply.status_code < 500, (path, body, reply.text)
    envelope = reply.json()
    assert isinstance(envelope, dict) and ENVELOPE_KEYS <= set(envelope), reply.text
    assert envelope["ok"] is (reply.status_code == 200), reply.text
    exit_code = reply.headers.get(EXIT_HEADER, "")
    assert exit_code.isdigit(), reply.headers
    assert (int(exit_code) == 0) is envelope["ok"] and int(exit_code) <= 9


def test_real_media_replies_conform_to_the_documented_responses(
    fuzz_app: FastAPI, bearer: dict[str, str]
) -> None:
    """Generated names never hit a real asset, so check one created through the API."""
    transport = InProcessTransport(fuzz_app)
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        body = {"prompt": "a red cube", "aspect_ratio": "1:1", "dry_run": False}
        created = client.post("/v1/create", json=body, headers=bearer)
    assert created.status_code == 200, created.text
    name = created.json()["data"]["assets"][0]["url"].rsplit("/", 1)[1]
    for method in ("GET", "HEAD"):
        case = schema["/a/{name}"][method].Case(path_parameters={"name": name})
        response = case.call(app=fuzz_app)
        assert response.status_code == 200
        case.validate_response(response, checks=CHECKS, transport_kwargs={"app": fuzz_app})
