"""The typed request bodies: exact wire JSON (key order, omitted fields) and the pydantic
view the backend and the schema use (unknown keys refused)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pydantic
import pytest

from image_skill.api.requests import (
    REQUEST_MODELS,
    BuyRequest,
    ClaimRequest,
    CreateRequest,
    EditRequest,
    FeedbackRequest,
    QuoteRequest,
    Reference,
    SignupRequest,
    UploadRequest,
)


def keys(body: dict[str, Any]) -> list[str]:
    return list(body)


def test_minimal_create_body_is_the_0_1_70_minimal_body() -> None:
    body = CreateRequest(prompt="p", aspect_ratio="1:1", idempotency_key="k").to_body()
    assert body == {
        "prompt": "p",
        "aspect_ratio": "1:1",
        "idempotency_key": "k",
        "dry_run": False,
        "accept_unknown_cost": False,
    }
    assert keys(body) == [
        "prompt",
        "aspect_ratio",
        "idempotency_key",
        "dry_run",
        "accept_unknown_cost",
    ]


def test_full_create_body_keeps_the_contract_order() -> None:
    body = CreateRequest(
        accept_unknown_cost=True,
        dry_run=True,
        idempotency_key="k",
        model_parameters={"seed": 1},
        max_usd=2,
        max_estimated_usd_per_image=0.5,
        output_count=2,
        references=[
            Reference(asset_id="image_a", role="reference_image", index=0, reference_task="style")
        ],
        aspect_ratio="16:9",
        intent="final",
        model="local.image",
        provider="local",
        prompt="",
    ).to_body()
    assert keys(body) == [
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
    assert body["prompt"] == ""  # an empty prompt is sent as is
    assert body["references"] == [
        {"asset_id": "image_a", "role": "reference_image", "index": 0, "reference_task": "style"}
    ]
    assert body["max_usd"] == 2 and isinstance(body["max_usd"], int)


def test_reference_items_omit_unset_indexes() -> None:
    ref = Reference(asset_id="image_b", role="element_reference", index=1, reference_index=2)
    assert keys(ref.to_body()) == ["asset_id", "role", "index", "reference_index"]
    assert Reference(asset_id="image_c", role="element_frontal", index=0).to_body() == {
        "asset_id": "image_c",
        "role": "element_frontal",
        "index": 0,
    }


def test_edit_sends_dry_run_only_when_true() -> None:
    live = EditRequest(input_asset_id="image_a", aspect_ratio="auto", idempotency_key="k")
    assert keys(live.to_body()) == [
        "input_asset_id",
        "aspect_ratio",
        "idempotency_key",
        "accept_unknown_cost",
    ]
    dry = EditRequest(
        input_asset_id="image_a",
        mask_asset_id="image_m",
        prompt="blue",
        model="local.image-edit",
        aspect_ratio="auto",
        max_estimated_usd_per_image=1,
        model_parameters={},
        dry_run=True,
        accept_unknown_cost=True,
    ).to_body()
    assert keys(dry) == [
        "input_asset_id",
        "mask_asset_id",
        "prompt",
        "model",
        "aspect_ratio",
        "max_estimated_usd_per_image",
        "model_parameters",
        "dry_run",
        "accept_unknown_cost",
    ]
    assert dry["dry_run"] is True and dry["model_parameters"] == {}


def test_upload_always_sends_remote_origin() -> None:
    body = UploadRequest(
        source_kind="local_path",
        filename="a.png",
        mime_type="image/png",
        content_length=3,
        sha256="ab",
        bytes_base64="AAAA",
    ).to_body()
    assert body["remote_origin"] is None
    assert keys(body) == [
        "source_kind",
        "filename",
        "remote_origin",
        "mime_type",
        "content_length",
        "sha256",
        "bytes_base64",
    ]


def test_quote_buy_and_claim_bodies() -> None:
    assert keys(QuoteRequest(payment_method="stripe_checkout", idempotency_key="q").to_body()) == [
        "payment_method",
        "idempotency_key",
    ]
    both = QuoteRequest(credits=5, pack_id="p", payment_method="m", idempotency_key="q")
    assert keys(both.to_body()) == ["credits", "pack_id", "payment_method", "idempotency_key"]
    assert BuyRequest(quote_id="quote_1", idempotency_key="b").to_body() == {
        "quote_id": "quote_1",
        "idempotency_key": "b",
    }
    assert ClaimRequest(contact="a@b.co").to_body() == {"contact": "a@b.co"}


def test_feedback_defaults_and_the_weak_signal_flag() -> None:
    body = FeedbackRequest(body="text").to_body()
    assert body == {
        "type": "user_feedback",
        "body": "text",
        "severity": "medium",
        "confidence": "medium",
        "next_state": "watch",
        "surface": ["cli"],
        "evidence": [],
    }
    flagged = FeedbackRequest(title="t", command="c", trace_id="trace_1", allow_weak_signal=True)
    assert keys(flagged.to_body())[-4:] == ["trace_id", "surface", "evidence", "allow_weak_signal"]
    assert flagged.to_body()["allow_weak_signal"] is True


def test_signup_omits_the_contact_of_an_anonymous_signup() -> None:
    anonymous = SignupRequest(
        agent_name="a", runtime="r", return_token=False, discovery_source="clawhub"
    )
    assert anonymous.to_body() == {
        "agent_name": "a",
        "runtime": "r",
        "return_token": False,
        "discovery_source": "clawhub",
    }
    named = SignupRequest(agent_contact="x@y.co", agent_name="a", runtime="r")
    assert keys(named.to_body()) == ["agent_contact", "agent_name", "runtime", "return_token"]


@pytest.mark.parametrize("name", sorted(REQUEST_MODELS))
def test_unknown_keys_are_refused_by_pydantic(name: str) -> None:
    adapter = pydantic.TypeAdapter(REQUEST_MODELS[name])
    required = adapter.json_schema().get("required", [])
    sample = {"string": "x", "integer": 1}
    body = {key: sample[_type_of(adapter, key)] for key in required}
    adapter.validate_json(json.dumps(body), strict=True)  # the minimal body is accepted
    with pytest.raises(pydantic.ValidationError) as info:
        adapter.validate_json(json.dumps({**body, "surprise": 1}), strict=True)
    assert [e["loc"] for e in info.value.errors()] == [("surprise",)]
    assert info.value.errors()[0]["type"] == "unexpected_keyword_argument"


def _type_of(adapter: pydantic.TypeAdapter[Any], key: str) -> str:
    kind = adapter.json_schema()["properties"][key]["type"]
    assert isinstance(kind, str)
    return kind


def test_schema_shows_the_real_create_body() -> None:
    schema = pydantic.TypeAdapter(CreateRequest).json_schema()
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == [f.name for f in dataclasses.fields(CreateRequest)]
    assert schema["properties"]["dry_run"] == {
        "default": False,
        "description": "Validate and plan without spending.",
        "title": "Dry Run",
        "type": "boolean",
    }
    assert schema["$defs"]["Reference"]["additionalProperties"] is False


def test_strict_validation_refuses_coercions() -> None:
    adapter = pydantic.TypeAdapter(CreateRequest)
    for bad in ({"dry_run": "false"}, {"output_count": "2"}, {"prompt": 5}, {"dry_run": 1}):
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_json(json.dumps({"prompt": "p", **bad}), strict=True)
    ok = adapter.validate_json(json.dumps({"prompt": "p", "max_usd": 1}), strict=True)
    assert ok.max_usd == 1 and isinstance(ok.max_usd, int)


def test_the_backends_feedback_fields_are_the_models() -> None:
    from image_skill.local.feedback import KNOWN_FIELDS

    assert {f.name for f in dataclasses.fields(FeedbackRequest)} == KNOWN_FIELDS


def test_the_cli_never_imports_pydantic_for_a_body() -> None:
    """Building and serialising every body needs no pydantic (checked in a fresh process)."""
    import subprocess
    import sys

    code = (
        "import sys; from image_skill.api.requests import CreateRequest, Reference; "
        "CreateRequest(prompt='p', references=[Reference(asset_id='a', role='r')]).to_body(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
