"""ImageSkillClient: replies, retries and headers (fault injection), and the exit codes the
CLI maps those replies to (:func:`calltools.as_cli`)."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from calltools import as_cli
from image_skill.api.client import ImageSkillClient, encode_path_id, resolve_base_url


def make(handler, **kwargs):
    sleeps: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://api.test")
    client = ImageSkillClient(
        base_url="http://api.test", http_client=http, sleep=sleeps.append, **kwargs
    )
    return client, sleeps


def envelope(ok=True, **extra):
    body = {
        "ok": ok,
        "command": "srv",
        "trace_id": "trace_x",
        "actor": None,
        "data": {},
        "warnings": [],
        "error": None,
    }
    body.update(extra)
    return body


def test_server_envelope_is_relayed_losslessly_with_unknown_keys():
    body = envelope(data={"a": 1}, brand_new_key={"nested": [1, 2]})

    def handler(request):
        return httpx.Response(200, json=body)

    client, _ = make(handler)
    reply = client.request("GET", "/v1/whoami")
    assert reply.envelope == body
    assert list(reply.envelope) == list(body)
    assert reply.status == 200 and reply.ok and not reply.client_built
    assert not reply.outcome_unknown and reply.sent
    result = as_cli(reply, "image-skill whoami")
    assert result.envelope is body or result.envelope == body
    assert result.envelope["command"] == "srv"
    assert result.exit_code == 0


def test_exit_code_header_wins_over_status():
    def handler(request):
        return httpx.Response(
            400,
            json=envelope(ok=False, error={"code": "X", "message": "m", "retryable": False}),
            headers={"x-image-skill-exit-code": "6"},
        )

    client, _ = make(handler)
    reply = client.request("POST", "/v1/create", json={})
    assert reply.headers["x-image-skill-exit-code"] == "6" and reply.status == 400
    assert reply.error is not None and reply.error.code == "X"
    assert as_cli(reply).exit_code == 6


@pytest.mark.parametrize(
    ("status", "expected"), [(401, 3), (403, 3), (402, 5), (429, 5), (500, 7), (404, 1), (409, 1)]
)
def test_status_map_when_no_header(status, expected):
    def handler(request):
        err = {"code": "X", "message": "m", "retryable": False}
        return httpx.Response(status, json=envelope(ok=False, error=err))

    client, _ = make(handler, max_retries=0)
    assert as_cli(client.request("POST", "/v1/x", json={})).exit_code == expected


def test_non_json_5xx_on_create_carries_the_same_idempotency_key():
    def handler(request):
        return httpx.Response(502, text="<html>Bad gateway</html>")

    client, _ = make(handler, max_retries=0)
    reply = client.create({"prompt": "p", "idempotency_key": "key-123"})
    assert reply.client_built and reply.outcome_unknown and reply.status == 502
    assert reply.envelope["command"] == "POST /v1/create"
    assert "suggested_command" not in reply.envelope["error"]["recovery"]
    assert reply.idempotency_key == "key-123"
    result = as_cli(
        reply,
        "image-skill create",
        "image-skill create --prompt p --idempotency-key key-123 --json",
    )
    assert result.envelope["command"] == "image-skill create"
    err = result.error
    assert err is not None
    assert err["code"] == "HOSTED_API_NON_JSON_RESPONSE"
    assert err["retryable"] is True
    assert err["recovery"]["idempotency_key"] == "key-123"
    assert "key-123" in err["recovery"]["suggested_command"]
    assert err["recovery"]["docs_url"] == "https://image-skill.com/cli.md#image-skill-create"
    assert result.exit_code == 7
    assert result.envelope["warnings"]


def test_non_json_4xx_is_not_retryable():
    def handler(request):
        return httpx.Response(404, text="nope")

    client, _ = make(handler)
    result = as_cli(client.request("GET", "/v1/x"))
    assert result.error["code"] == "HOSTED_API_NON_JSON_RESPONSE"
    assert result.error["retryable"] is False
    assert result.exit_code == 1


def test_get_is_retried_on_503_then_succeeds_without_real_sleep():
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json=envelope())

    client, sleeps = make(handler)
    result = client.request("GET", "/healthz", auth=False)
    assert result.ok and len(calls) == 3 and len(sleeps) == 2


def test_post_is_not_retried_on_502():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(502, text="bad")

    client, sleeps = make(handler)
    client.create({"prompt": "p", "idempotency_key": "k"})
    assert len(calls) == 1 and sleeps == []


def test_post_is_retried_on_429_with_retry_after():
    calls = []

    def handler(request):
        calls.append(json.loads(request.content))
        if len(calls) == 1:
            return httpx.Response(429, text="slow down", headers={"retry-after": "2"})
        return httpx.Response(200, json=envelope())

    client, sleeps = make(handler)
    result = client.create({"prompt": "p", "idempotency_key": "k"})
    assert result.ok and sleeps == [2.0]
    assert calls[0] == calls[1]  # same body, same key


def test_connect_error_retries_then_fails_with_request_failed():
    calls = []

    def handler(request):
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    client, sleeps = make(handler)
    reply = client.whoami()
    assert reply.status is None and reply.client_built
    assert reply.sent is False and reply.outcome_unknown is False  # the connect failed
    assert reply.envelope["command"] == "GET /v1/whoami"
    result = as_cli(reply, "image-skill whoami")
    assert result.error["code"] == "HOSTED_API_REQUEST_FAILED"
    assert result.exit_code == 7 and result.error["retryable"] is True
    assert result.error["recovery"]["retry_after_seconds"] == 30
    assert result.error["recovery"]["suggested_command"] == "image-skill doctor --json"
    assert result.envelope["command"] == "image-skill whoami"
    assert len(calls) == 3 and len(sleeps) == 2


def test_read_timeout_on_post_is_not_retried_and_keeps_key():
    calls = []

    def handler(request):
        calls.append(1)
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = make(handler)
    reply = client.create({"prompt": "p", "idempotency_key": "k9"})
    assert len(calls) == 1
    assert reply.sent and reply.outcome_unknown and reply.status is None
    assert reply.error is not None and reply.error.code == "TIMEOUT"
    result = as_cli(reply, "image-skill create", "cmd")
    assert result.exit_code == 8
    assert result.error["recovery"]["idempotency_key"] == "k9"
    assert list(result.error["recovery"])[:2] == ["suggested_command", "idempotency_key"]
    assert result.error["recovery"]["suggested_command"] == "cmd"


def test_headers_auth_only_with_token_and_json_body():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=envelope())

    client, _ = make(handler, token="isk_r_test")
    client.whoami()
    client.models()
    client.feedback({"title": "t", "emoji": "é"})
    assert seen[0].headers["authorization"] == "Bearer isk_r_test"
    assert seen[0].headers["accept"] == "application/json"
    assert "authorization" not in seen[1].headers
    assert seen[2].headers["content-type"] == "application/json"
    assert seen[2].content == '{"title":"t","emoji":"é"}'.encode()


def test_paths_start_at_host_root_and_ids_are_encoded():
    seen = []

    def handler(request):
        seen.append(request.url)
        return httpx.Response(200, json=envelope())

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = ImageSkillClient(base_url="http://api.test/prefix", http_client=http)
    client.model("a/b c")
    client.model("..")
    assert seen[0].raw_path == b"/v1/models/a%2Fb%20c"
    assert seen[1].raw_path == b"/v1/models/%2E%2E"
    assert encode_path_id("x!~*'()") == "x!~*'()"


def test_base_url_resolution_order(monkeypatch):
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "http://env")
    assert resolve_base_url("http://flag") == "http://flag"
    assert resolve_base_url(None) == "http://env"
    monkeypatch.delenv("IMAGE_SKILL_API_BASE_URL")
    assert resolve_base_url(None) == "https://api.image-skill.com"


def test_closed_port_fails_fast():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = ImageSkillClient(base_url=f"http://127.0.0.1:{port}", sleep=lambda s: None)
    start = time.monotonic()
    result = as_cli(client.whoami())
    assert time.monotonic() - start < 5
    assert result.error["code"] == "HOSTED_API_REQUEST_FAILED"
    assert result.exit_code == 7


def test_result_model_gives_typed_access_and_keeps_extra_keys():
    body = envelope(
        ok=False,
        data=None,
        error={
            "code": "QUOTA_EXCEEDED",
            "message": "m",
            "retryable": False,
            "recovery": {
                "suggested_command": "image-skill credits methods --json",
                "top_up": {"x": 1},
            },
        },
        brand_new_key=1,
    )

    def handler(request):
        return httpx.Response(402, json=body)

    client, _ = make(handler)
    model = client.quota().model()
    assert model.ok is False
    assert model.error is not None and model.error.code == "QUOTA_EXCEEDED"
    assert model.error.recovery is not None
    assert model.error.recovery.suggested_command == "image-skill credits methods --json"
    assert model.model_dump()["brand_new_key"] == 1
    assert model.error.recovery.model_dump()["top_up"] == {"x": 1}
