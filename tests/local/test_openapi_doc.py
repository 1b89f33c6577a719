"""The OpenAPI document describes the replies the backend really gives (found by schemathesis)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from createtools import create, ok


def _doc(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert isinstance(doc, dict)
    return doc


def test_no_route_documents_fastapis_422_validation_reply(local_client: httpx.Client) -> None:
    doc = _doc(local_client)
    assert "HTTPValidationError" not in str(doc)
    # The reply a bad query really gets: a documented 400 INVALID_ARGUMENTS envelope.
    models = doc["paths"]["/v1/models/{model_id}"]["get"]["responses"]
    assert "422" not in models and "400" in models
    bad = local_client.post("/v1/agent-signups", content=b"[1]", headers={"content-type": "x"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_ARGUMENTS"
    # Routes whose handlers do answer 422 (input policy) keep their own entry.
    assert (
        "INPUT_POLICY_DENIED"
        in doc["paths"]["/v1/upload"]["post"]["responses"]["422"]["description"]
    )


def test_media_route_documents_the_bytes_and_304_it_serves(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    op = _doc(local_client)["paths"]["/a/{name}"]["get"]["responses"]
    asset = ok(create(local_client, auth_headers))["assets"][0]
    reply = local_client.get(asset["url"])
    assert reply.status_code == 200
    served = reply.headers["content-type"].split(";")[0]
    assert served in op["200"]["content"] and "application/json" not in op["200"]["content"]
    again = local_client.get(asset["url"], headers={"if-none-match": reply.headers["etag"]})
    assert again.status_code == 304 and "304" in op
    missing = local_client.get("/a/image_nope.png")
    assert missing.status_code == 404 and "application/json" in op["404"]["content"]


def test_signup_body_schema_matches_what_the_handler_accepts(local_client: httpx.Client) -> None:
    schema = _doc(local_client)["components"]["schemas"]["SignupRequest"]
    assert set(schema["required"]) == {"agent_name", "runtime"}
    assert "anyOf" not in schema  # 0.1.70 §1.1: a signup without any contact is anonymous
    slug = re.compile(schema["properties"]["discovery_source"]["pattern"])
    for value, accepted in [("clawhub", True), ("skills-sh.v2_x", True), ("ClawHub", False)]:
        assert bool(slug.search(value)) is accepted
        body = {"agent_name": "n", "runtime": "r", "discovery_source": value}
        assert (local_client.post("/v1/agent-signups", json=body).status_code == 200) is accepted
    contact = re.compile(schema["properties"]["agent_contact"]["pattern"])
    name = schema["properties"]["agent_name"]
    for value, accepted in [("a@b.co", True), ("no-at-sign", False), ("a@b", False)]:
        assert bool(contact.search(value)) is accepted
        body = {"agent_contact": value, "agent_name": "n", "runtime": "r"}
        reply = local_client.post("/v1/agent-signups", json=body)
        assert (reply.status_code == 200) is accepted, reply.text
    blank = {"agent_contact": "a@b.co", "agent_name": "   ", "runtime": "r"}
    assert not re.search(name["pattern"], blank["agent_name"])
    assert local_client.post("/v1/agent-signups", json=blank).status_code == 400
    too_long = {**blank, "agent_name": "x" * (name["maxLength"] + 1)}
    assert local_client.post("/v1/agent-signups", json=too_long).status_code == 400


def test_create_body_schema_is_the_request_model(local_client: httpx.Client) -> None:
    doc = _doc(local_client)
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/v1/create"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateRequest"
    }
    create = schemas["CreateRequest"]
    assert create["type"] == "object" and create["additionalProperties"] is False
    assert list(create["properties"]) == [
        "prompt",
        "provider",
        "model",
        "intent",
        "aspect_ratio",
        "references",
        "output_count",
        "max_estimated_usd_per_image",
        "max_usd",
        "model_parameters",
        "idempotency_key",
        "dry_run",
        "accept_unknown_cost",
    ]
    assert create["properties"]["dry_run"]["type"] == "boolean"
    assert {"type": "integer"} in create["properties"]["output_count"]["anyOf"]
    items = create["properties"]["references"]["anyOf"][0]["items"]
    assert items == {"$ref": "#/components/schemas/Reference"}
    reference = schemas["Reference"]
    assert reference["additionalProperties"] is False
    assert set(reference["required"]) == {"asset_id", "role"}


def test_every_json_body_route_documents_its_request_model(local_client: httpx.Client) -> None:
    paths = _doc(local_client)["paths"]
    expected = {
        "/v1/create": "CreateRequest",
        "/v1/edit": "EditRequest",
        "/v1/upload": "UploadRequest",
        "/v1/feedback": "FeedbackRequest",
        "/v1/credit-quotes": "QuoteRequest",
        "/v1/credit-purchases": "BuyRequest",
        "/v1/credit-purchases/stripe-checkout-sessions": "BuyRequest",
        "/v1/credit-purchases/stripe-x402-deposits": "BuyRequest",
        "/v1/agent-signups": "SignupRequest",
        "/v1/agent-claims": "ClaimRequest",
    }
    for path, model in expected.items():
        content = paths[path]["post"]["requestBody"]["content"]["application/json"]
        assert content["schema"] == {"$ref": f"#/components/schemas/{model}"}, path
    # The prose description the create body had before is gone.
    assert "description" not in paths["/v1/create"]["post"]["requestBody"]
