"""Request bodies are checked by the shared request models: an unknown field or a wrong type
gets the one shape refusal (400 INVALID_ARGUMENTS, exit code 2, the field named, a
recovery), in process and over real HTTP; bodies the CLI sends pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from image_skill.api.requests import CreateRequest, EditRequest, SignupRequest
from image_skill.local.errors import EXIT_HEADER

#: A minimal valid body per route (the shape check is what is under test).
ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "/v1/create": ("CreateRequest", {"prompt": "a cube", "dry_run": True}),
    "/v1/edit": ("EditRequest", {"input_asset_id": "image_x", "prompt": "blue", "dry_run": True}),
    "/v1/upload": (
        "UploadRequest",
        {
            "source_kind": "local_path",
            "filename": "a.png",
            "remote_origin": None,
            "mime_type": "image/png",
            "content_length": 1,
            "sha256": "0" * 64,
            "bytes_base64": "AA==",
        },
    ),
    "/v1/feedback": ("FeedbackRequest", {"title": "a title"}),
    "/v1/credit-quotes": ("QuoteRequest", {"credits": 10}),
    "/v1/credit-purchases": ("BuyRequest", {"quote_id": "quote_x", "idempotency_key": "k"}),
    "/v1/credit-purchases/stripe-checkout-sessions": (
        "BuyRequest",
        {"quote_id": "quote_x", "idempotency_key": "k"},
    ),
    "/v1/credit-purchases/stripe-x402-deposits": (
        "BuyRequest",
        {"quote_id": "quote_x", "idempotency_key": "k"},
    ),
    "/v1/agent-claims": ("ClaimRequest", {"contact": "a@example.com"}),
}


@pytest.fixture
def http_client(live_server: str, signup: Any) -> Iterator[httpx.Client]:
    """A real loopback HTTP client onto ``local serve``, with an agent's token."""
    with httpx.Client(base_url=live_server, timeout=30) as client:
        client.headers["authorization"] = f"Bearer {signup(client)}"
        yield client


def shape_refusal(reply: httpx.Response, field: str, model: str) -> str:
    assert reply.status_code == 400, reply.text
    assert reply.headers[EXIT_HEADER] == "2"
    envelope = reply.json()
    assert envelope["ok"] is False
    error = envelope["error"]
    assert error["code"] == "INVALID_ARGUMENTS" and error["retryable"] is False
    assert error["message"].startswith(f"invalid request: {field}: ")
    recovery = error["recovery"]
    assert recovery["invalid_fields"][0]["field"] == field
    assert recovery["request_schema"] == f"#/components/schemas/{model}"
    message: str = error["message"]
    return message


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_an_unknown_field_is_refused_in_process(
    local_client: httpx.Client, auth_headers: dict[str, str], path: str
) -> None:
    model, body = ROUTES[path]
    reply = local_client.post(path, json={**body, "surprise": True}, headers=auth_headers)
    message = shape_refusal(reply, "surprise", model)
    assert "unknown field" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dry_run", "true"),  # no coercion: a string is not a boolean
        ("accept_unknown_cost", 1),
        ("output_count", "2"),
        ("output_count", 1.5),
        ("prompt", 5),
        ("model_parameters", [1]),
        ("max_usd", True),
        ("references", {"asset_id": "image_x"}),
    ],
)
def test_a_wrongly_typed_create_field_is_refused_in_process(
    local_client: httpx.Client, auth_headers: dict[str, str], field: str, value: Any
) -> None:
    body = {"prompt": "a cube", "dry_run": True, field: value}
    reply = local_client.post("/v1/create", json=body, headers=auth_headers)
    shape_refusal(reply, field, "CreateRequest")


def test_a_nested_reference_field_is_named_with_its_index(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    refs = [{"asset_id": "image_a", "role": "reference_image", "index": "0"}]
    body = {"prompt": "p", "dry_run": True, "references": refs}
    reply = local_client.post("/v1/create", json=body, headers=auth_headers)
    shape_refusal(reply, "references[0].index", "CreateRequest")
    extra = [{"asset_id": "image_a", "role": "reference_image", "index": 0, "url": "x"}]
    reply = local_client.post(
        "/v1/create", json={**body, "references": extra}, headers=auth_headers
    )
    assert "unknown field" in shape_refusal(reply, "references[0].url", "CreateRequest")


def test_not_json_is_refused_with_a_recovery(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    reply = local_client.post("/v1/create", content=b"{nope", headers=auth_headers)
    assert reply.status_code == 400 and reply.headers[EXIT_HEADER] == "2"
    error = reply.json()["error"]
    assert error["message"] == "request body is not valid JSON"
    assert error["recovery"] == {"request_schema": "#/components/schemas/CreateRequest"}


@pytest.mark.parametrize("path", ["/v1/create", "/v1/feedback", "/v1/credit-quotes"])
def test_unknown_and_mistyped_fields_are_refused_over_real_http(
    http_client: httpx.Client, path: str
) -> None:
    model, body = ROUTES[path]
    shape_refusal(http_client.post(path, json={**body, "extra_key": "x"}), "extra_key", model)
    first = next(iter(body))
    shape_refusal(http_client.post(path, json={**body, first: {"a": 1}}), first, model)


def test_bodies_the_cli_builds_pass_over_real_http(http_client: httpx.Client) -> None:
    create = CreateRequest(prompt="a cube", aspect_ratio="1:1", dry_run=True).to_body()
    planned = http_client.post("/v1/create", json=create)
    assert planned.status_code == 200, planned.text
    assert planned.json()["data"]["status"] == "planned"
    edit = EditRequest(input_asset_id="image_missing", prompt="blue", aspect_ratio="auto")
    missing = http_client.post("/v1/edit", json={**edit.to_body(), "dry_run": True})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ASSET_NOT_FOUND"
    signup = SignupRequest(agent_name="n", runtime="r", return_token=False).to_body()
    assert http_client.post("/v1/agent-signups", json=signup).status_code == 200


def test_old_clients_fields_are_declared(local_client: httpx.Client) -> None:
    """The early clients' ``human_email`` still signs up (it is a declared field)."""
    body = {"human_email": "old@example.com", "agent_name": "old", "runtime": "r"}
    reply = local_client.post("/v1/agent-signups", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["agent_contact"] == "old@example.com"


def test_contract_fixed_messages_win_over_the_shape_answer(local_client: httpx.Client) -> None:
    body = {"agent_contact": 5, "agent_name": "n", "runtime": "r"}
    error = local_client.post("/v1/agent-signups", json=body).json()["error"]
    assert error["message"] == "agent_contact must be an email-shaped durable contact inbox"
    assert "invalid_fields" not in error["recovery"]
    assert error["recovery"]["required_flags"] == ["--agent-name", "--runtime"]


def test_payment_credentials_are_refused_before_the_shape_check(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    body = {"credits": 10, "card_number": "4242424242424242"}
    error = local_client.post("/v1/credit-quotes", json=body, headers=auth_headers).json()
    assert error["error"]["message"].startswith("payment credentials are never accepted")
    assert "4242" not in str(error)


def test_every_field_the_0_1_30_client_sends_is_declared(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    """Full bodies with every key the 0.1.30 client can send (contract §8.15, §8.18, §8.22)
    pass the shape check; whatever refuses them afterwards is a value rule."""
    create = {
        "prompt": "a cube",
        "provider": "local",
        "model": "local.image",
        "intent": "explore",
        "aspect_ratio": "1:1",
        "references": [
            {"asset_id": "image_a", "role": "element_frontal", "index": 0},
            {"asset_id": "image_b", "role": "element_reference", "index": 0, "reference_index": 1},
            {"asset_id": "image_c", "role": "reference_image", "index": 0, "reference_task": "ip"},
        ],
        "output_count": 1,
        "max_estimated_usd_per_image": 0.5,
        "model_parameters": {},
        "idempotency_key": "create-1-abc",
        "dry_run": True,
        "accept_unknown_cost": False,
    }
    edit = {
        "input_asset_id": "image_in",
        "mask_asset_id": "image_mask",
        "references": create["references"][2:],
        "prompt": "blue",
        "provider": "local",
        "model": "local.image-edit",
        "intent": "final",
        "aspect_ratio": "auto",
        "max_estimated_usd_per_image": 1,
        "model_parameters": {},
        "dry_run": True,
        "idempotency_key": "edit-1-abc",
        "accept_unknown_cost": True,
    }
    feedback = {
        "type": "user_feedback",
        "title": "t",
        "body": "b",
        "severity": "medium",
        "confidence": "medium",
        "next_state": "watch",
        **{key: "x" for key in ("command", "expected", "actual", "friction", "proof_needed")},
        **{key: "x" for key in ("strategic_reason", "dedupe_key", "source", "trace_id")},
        "surface": ["cli"],
        "evidence": [],
        "allow_weak_signal": True,
    }
    quote = {"credits": 10, "pack_id": "starter-500", "payment_method": "stripe_checkout"}
    for path, body in [
        ("/v1/create", create),
        ("/v1/edit", edit),
        ("/v1/feedback", feedback),
        ("/v1/credit-quotes", {**quote, "idempotency_key": "quote-1-ab"}),
    ]:
        reply = local_client.post(path, json=body, headers=auth_headers)
        recovery = (reply.json().get("error") or {}).get("recovery") or {}
        assert "invalid_fields" not in recovery, (path, reply.text)
    assert local_client.post("/v1/feedback", json=feedback, headers=auth_headers).status_code == 200
