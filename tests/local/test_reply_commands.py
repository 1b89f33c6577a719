"""Every command the local backend hands out targets that same backend.

The hosted service writes bare ``image-skill ...`` commands; the local backend must write
``--api-base-url local`` (in-process) or ``--api-base-url http://127.0.0.1:PORT`` (served
over HTTP), or an agent who runs them as printed talks to the hosted API instead.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from createtools import create, edit

PROGRAM = "image-skill "
# "image-skill" followed by a command word, anywhere in a string (prose included).
_MENTION = re.compile(r"(?<![\w.-])image-skill (?=[a-z])")


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(path, string)`` in a JSON value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")


def reply_texts(envelope: dict[str, Any]) -> list[tuple[str, str]]:
    """Strings of an envelope that may hold commands (``command`` is the route's label)."""
    body = {k: v for k, v in envelope.items() if k != "command"}
    return [(path, text) for path, text in strings(body) if _MENTION.search(text)]


def check_reply(envelope: dict[str, Any], base: str) -> list[str]:
    """Assert every command in ``envelope`` runs against ``base``; return the commands."""
    flag = f"--api-base-url {base}"
    found = []
    for path, text in reply_texts(envelope):
        if text.startswith(PROGRAM):
            words = shlex.split(text)
            assert words[0] == "image-skill", (path, text)
            assert words.count("--api-base-url") == 1, (path, text)
            assert words[words.index("--api-base-url") + 1] == base, (path, text)
            assert flag in text, (path, text)
            found.append(text)
        else:
            # a sentence: each command it names carries the flag
            mentions = len(_MENTION.findall(text))
            assert text.count(flag) == mentions, (path, text)
            found.append(text)
    return found


def full_flow(client: httpx.Client) -> list[dict[str, Any]]:
    """The replies of signup → payments → quota refusal → bad parameters → foreign asset."""
    replies: list[dict[str, Any]] = []

    def send(response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        envelope = response.json()
        replies.append(envelope)
        data = envelope["data"]
        return data if isinstance(data, dict) else {}

    send(client.get("/v1/whoami"), 401)  # AUTH_REQUIRED: the signup command
    bad_signup = {"agent_name": "x", "runtime": "y", "discovery_source": "Not A Slug"}
    send(client.post("/v1/agent-signups", json=bad_signup), 400)
    signup_body = {"agent_contact": "a@example.com", "agent_name": "a", "runtime": "pytest"}
    token = send(client.post("/v1/agent-signups", json=signup_body), 200)["token"]
    headers = {"authorization": f"Bearer {token}"}
    other_body = {"agent_contact": "b@example.com", "agent_name": "b", "runtime": "pytest"}
    other = send(client.post("/v1/agent-signups", json=other_body), 200)["token"]
    foreign = send(create(client, {"authorization": f"Bearer {other}"}), 200)["assets"][0]
    send(client.post("/v1/agent-claims", json={"contact": "nope"}, headers=headers), 400)

    send(client.get("/v1/models"), 200)
    send(client.get("/v1/models", params={"details": "true"}), 200)
    send(client.get("/v1/models", params={"query": "nano banana"}), 200)
    send(client.get("/v1/models/nano-banana"), 200)
    send(client.get("/v1/models", params={"provider": "fal", "operation": "image.generate"}), 200)
    send(client.get("/v1/capabilities"), 200)
    send(client.get("/v1/payment-methods"), 200)

    # spend the free credits, then a create the balance cannot cover
    made = send(create(client, headers, output_count=3), 200)
    send(create(client, headers), 402)  # QUOTA_EXCEEDED
    send(client.get("/v1/quota", headers=headers), 200)
    send(client.get("/v1/credit-purchases/status", headers=headers), 200)
    send(client.get(f"/v1/jobs/{made['job_id']}", headers=headers), 200)
    send(client.get("/v1/activity", headers=headers), 200)
    send(client.get(f"/v1/activity/{made['job_id']}", headers=headers), 200)
    send(client.get(f"/v1/assets/{made['assets'][0]['asset_id']}", headers=headers), 200)

    for rail, path, key in (
        ("stripe_checkout", "stripe-checkout-sessions", "c"),
        ("stripe_x402.exact.usdc", "stripe-x402-deposits", "x"),
    ):
        quote_body = {"pack_id": "starter-500", "payment_method": rail, "idempotency_key": key}
        quote = send(client.post("/v1/credit-quotes", json=quote_body, headers=headers), 200)
        send(client.get(f"/v1/credit-purchases/status?quote_id={quote['quote_id']}"), 401)
        created = send(
            client.get(
                "/v1/credit-purchases/status",
                params={"quote_id": quote["quote_id"]},
                headers=headers,
            ),
            200,
        )
        assert created["state"] == "created"
        buy_body = {"quote_id": quote["quote_id"], "idempotency_key": f"buy-{key}"}
        bought = send(
            client.post(f"/v1/credit-purchases/{path}", json=buy_body, headers=headers), 200
        )
        attempt = bought["payment_attempt_id"]
        send(
            client.get(
                "/v1/credit-purchases/status",
                params={"payment_attempt_id": attempt},
                headers=headers,
            ),
            200,
        )
        conflict = {**quote_body, "pack_id": "builder-2000"}
        send(client.post("/v1/credit-quotes", json=conflict, headers=headers), 409)
    settled = send(client.post(f"/_local/payment-attempts/{attempt}/settle", headers=headers), 200)
    assert settled["state"] == "succeeded"
    mismatch = {"quote_id": quote["quote_id"], "idempotency_key": "buy-other"}
    send(
        client.post(
            "/v1/credit-purchases/stripe-checkout-sessions", json=mismatch, headers=headers
        ),
        400,
    )

    bad = {"model": "local.image", "model_parameters": {"no_such_knob": 1}}
    send(create(client, headers, **bad), 400)  # MODEL_PARAMETERS_INVALID
    send(edit(client, headers, prompt="x", input_asset_id=foreign["asset_id"]), 404)
    send(client.get("/v1/jobs/job_missing", headers=headers), 404)
    send(client.get("/v1/models/no.such.model"), 404)
    return replies


def assert_flow_targets(client: httpx.Client, base: str) -> None:
    replies = full_flow(client)
    commands = [cmd for envelope in replies for cmd in check_reply(envelope, base)]
    codes = {e["error"]["code"] for e in replies if e["error"]}
    assert {
        "AUTH_REQUIRED",
        "INVALID_ARGUMENTS",
        "QUOTA_EXCEEDED",
        "CREDIT_QUOTE_CONFLICT",
        "PAYMENT_METHOD_MISMATCH",
        "MODEL_PARAMETERS_INVALID",
        "ASSET_NOT_FOUND",
        "JOB_NOT_FOUND",
        "MODEL_NOT_FOUND",
    } <= codes
    joined = "\n".join(commands)
    # the places the audit named are all among them
    for needle in (
        "signup --agent",
        "credits methods",
        "credits quote --credits",
        "credits quote --pack starter-500 --payment-method stripe_x402.exact.usdc",
        "credits buy --provider stripe_x402 --quote-id QUOTE_ID",
        "credits buy --provider PROVIDER --quote-id QUOTE_ID",
        "credits status --payment-attempt-id",
        "local settle --payment-attempt-id",
        "usage quota",
        "models show local.image",
        "upload PATH",
        "activity list",
        "capabilities show",
        "models list --available",
        "claim request --contact",
        "models list --details",
        "models list --catalog-only --query 'nano banana'",
        "models show nano-banana",
        "credits buy --provider stripe_x402 --quote-id quote_",
        "credits status --quote-id quote_",
        "jobs show job_",
        "assets show image_",
        "edit --input image_",
        "local settle --payment-attempt-id payatt_",
    ):
        assert needle in joined, needle
    assert len(commands) > 60


def test_in_process_replies_name_local(local_client: httpx.Client) -> None:
    assert_flow_targets(local_client, "local")


def test_served_replies_name_the_served_url(live_server: str) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", live_server)
    with httpx.Client(base_url=live_server, timeout=30) as client:
        assert_flow_targets(client, live_server)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("image-skill whoami --api-base-url local --json", True),
        ("image-skill whoami --json", False),
        ("see image-skill usage quota --api-base-url local --json now", True),
        ("see image-skill usage quota --json now", False),
    ],
)
def test_the_checker_itself_fails_on_bare_commands(text: str, ok: bool) -> None:
    envelope = {"command": "image-skill whoami", "data": {"x": text}, "error": None}
    if ok:
        assert check_reply(envelope, "local") == [text]
    else:
        with pytest.raises(AssertionError):
            check_reply(envelope, "local")
