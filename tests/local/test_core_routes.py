"""Core routes of the local backend over the in-process transport."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.app import create_app
from image_skill.local.deps import media_base_url, public_base_url
from image_skill.local.settings import LocalSettings
from image_skill.local.signup_data import (
    MSG_AGENT_CONTACT,
    MSG_HUMAN_EMAIL,
    MSG_HUMAN_EMAIL_ALIAS,
    TOKEN_RETURNED_WARNING,
)
from image_skill.local.transport import InProcessTransport

EXIT = "x-image-skill-exit-code"
ENVELOPE_KEYS = ["ok", "command", "trace_id", "actor", "data", "warnings", "error"]


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "agent_contact": "agent@example.com",
        "agent_name": "test-agent",
        "runtime": "pytest",
        "return_token": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _error(response: httpx.Response, status: int, code: str, exit_code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers[EXIT] == exit_code
    env: dict[str, Any] = response.json()
    assert list(env) == ENVELOPE_KEYS
    assert env["ok"] is False and env["data"] is None
    assert env["error"]["code"] == code
    assert env["trace_id"].startswith("trace_") and len(env["trace_id"]) == 22
    return env


def test_healthz(local_client: httpx.Client) -> None:
    response = local_client.get("/healthz")
    assert response.status_code == 200
    assert response.headers[EXIT] == "0"
    env = response.json()
    assert list(env) == ENVELOPE_KEYS
    assert env["ok"] is True and env["actor"] is None and env["error"] is None
    data = env["data"]
    assert data["status"] == "ok"
    assert data["api_version"] == "v1"
    assert data["offline"] is True and data["live_money"] is False
    assert data["service"]


def test_signup_returns_token_once_and_stores_only_its_hash(
    local_client: httpx.Client, local_settings: LocalSettings
) -> None:
    response = local_client.post(
        "/v1/agent-signups", json=_body(agent_contact=" Agent@Example.COM ")
    )
    assert response.status_code == 200
    assert response.headers[EXIT] == "0"
    env = response.json()
    data = env["data"]
    token = data["token"]
    assert token.startswith("isk_r_") and len(token) > 30
    assert env["warnings"] == [TOKEN_RETURNED_WARNING]
    assert data["agent_contact"] == "agent@example.com"
    assert data["claim_state"] == "unclaimed"
    assert data["actor_id"].startswith("agt_") and data["organization_id"].startswith("org_")
    assert data["token_class"] == "restricted"
    assert data["token_prefix"] == token[: len(data["token_prefix"])]
    assert env["actor"] == {
        "actor_type": "agent",
        "actor_id": data["actor_id"],
        "organization_id": data["organization_id"],
        "claim_state": "unclaimed",
    }
    # Nothing on disk holds the raw token (database, WAL, shared memory, media).
    files = [p for p in local_settings.data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in files)
    for path in files:
        assert token.encode() not in path.read_bytes(), path
    # ... but its hash is there, so the store is what was grepped.
    import hashlib

    digest = hashlib.sha256(token.encode()).hexdigest().encode()
    assert any(digest in p.read_bytes() for p in files)
    # The token is never shown again.
    auth = {"authorization": f"Bearer {token}"}
    for route in ("/v1/whoami", "/v1/quota"):
        text = local_client.get(route, headers=auth).text
        assert token not in text


def test_signup_without_return_token(local_client: httpx.Client) -> None:
    env = local_client.post("/v1/agent-signups", json=_body(return_token=False)).json()
    assert env["ok"] is True
    assert env["data"]["token"] is None
    assert TOKEN_RETURNED_WARNING not in env["warnings"]


def test_legacy_human_email_alias(local_client: httpx.Client) -> None:
    body = _body(agent_contact=None, human_email="Legacy@Example.com")
    env = local_client.post("/v1/agent-signups", json=body).json()
    assert env["ok"] is True
    assert env["data"]["agent_contact"] == "legacy@example.com"
    assert env["data"]["human_email"] == "legacy@example.com"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"agent_contact": "not-an-inbox"}, MSG_AGENT_CONTACT),
        ({"agent_contact": 42}, MSG_AGENT_CONTACT),
        ({"agent_contact": None, "human_email": "nope"}, MSG_HUMAN_EMAIL_ALIAS),
        ({"agent_contact": None, "human_email": ["x@example.com"]}, MSG_HUMAN_EMAIL),
    ],
)
def test_signup_bad_contact(
    local_client: httpx.Client, overrides: dict[str, Any], message: str
) -> None:
    response = local_client.post("/v1/agent-signups", json=_body(**overrides))
    env = _error(response, 400, "INVALID_ARGUMENTS", "2")
    assert env["error"]["message"] == message
    assert env["command"] == "image-skill signup"
    # 0.1.70 §1.1: the contact is optional, the suggested signup is the anonymous one
    recovery = env["error"]["recovery"]
    assert recovery["required_flags"] == ["--agent-name", "--runtime"]
    assert recovery["optional_flags"] == ["--agent-contact", "--discovery-source"]
    assert recovery["suggested_command"] == (
        "image-skill signup --agent --agent-name NAME --runtime RUNTIME --api-base-url local --json"
    )


@pytest.mark.parametrize("field", ["agent_name", "runtime"])
@pytest.mark.parametrize("value", [None, "", "   ", 7])
def test_signup_missing_name_or_runtime(local_client: httpx.Client, field: str, value: Any) -> None:
    body = _body()
    if value is None:
        del body[field]
    else:
        body[field] = value
    env = _error(local_client.post("/v1/agent-signups", json=body), 400, "INVALID_ARGUMENTS", "2")
    assert field in env["error"]["message"]


def test_signup_again_rotates_and_keeps_old_token_by_default(
    local_client: httpx.Client, signup: Any
) -> None:
    first = signup(local_client)
    second = signup(local_client)
    assert first != second
    who = [
        local_client.get("/v1/whoami", headers={"authorization": f"Bearer {t}"}).json()
        for t in (first, second)
    ]
    assert all(w["ok"] for w in who)
    assert who[0]["actor"] == who[1]["actor"]
    # A different name is a different agent in a different organization.
    other = signup(local_client, name="other-agent")
    other_who = local_client.get("/v1/whoami", headers={"authorization": f"Bearer {other}"})
    assert other_who.json()["actor"]["organization_id"] != who[0]["actor"]["organization_id"]
    # The free grant is given once per agent, not once per signup.
    quota = local_client.get("/v1/quota", headers={"authorization": f"Bearer {second}"}).json()
    assert quota["data"]["limits"]["free_preview_credits_granted"] == 30


def test_rotation_can_revoke_previous_tokens(tmp_path: Path, signup: Any) -> None:
    settings = LocalSettings(data_dir=tmp_path / "d", revoke_previous_tokens_on_rotate=True)
    transport = InProcessTransport(create_app(settings))
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        old = signup(client)
        new = signup(client)
        revoked = client.get("/v1/quota", headers={"authorization": f"Bearer {old}"})
        _error(revoked, 401, "AUTH_REQUIRED", "3")
        assert client.get("/v1/quota", headers={"authorization": f"Bearer {new}"}).json()["ok"]


@pytest.mark.parametrize("path", ["/v1/whoami", "/v1/quota"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer isk_r_doesnotexist"},
        {"authorization": "Bearer "},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer not-even-a-token"},
    ],
)
def test_auth_required(local_client: httpx.Client, path: str, headers: dict[str, str]) -> None:
    env = _error(local_client.get(path, headers=headers), 401, "AUTH_REQUIRED", "3")
    assert env["actor"] is None
    assert "signup" in env["error"]["recovery"]["suggested_command"]


def test_whoami(local_client: httpx.Client, auth_headers: dict[str, str]) -> None:
    response = local_client.get("/v1/whoami", headers=auth_headers)
    assert response.headers[EXIT] == "0"
    env = response.json()
    data = env["data"]
    assert env["command"] == "image-skill whoami"
    assert data["authenticated"] is True
    assert data["session_origin"] == "loaded_from_config"
    assert data["token_status"] == "active"
    datetime.fromisoformat(data["token_created_at"].replace("Z", "+00:00"))
    assert data["actor"] == env["actor"]
    assert data["organization"] == {"organization_id": env["actor"]["organization_id"]}
    assert "asset.upload" in data["grants"]
    assert "token" not in data
    assert "agent@example.com" not in response.text  # contact only redacted


def test_quota_fresh_agent(local_client: httpx.Client, auth_headers: dict[str, str]) -> None:
    env = local_client.get("/v1/quota", headers=auth_headers).json()
    assert env["ok"] is True and env["command"] == "image-skill usage quota"
    data = env["data"]
    assert data["authenticated"] is True
    assert data["claim_state"] == "unclaimed" and data["token_status"] == "active"
    limits = data["limits"]
    assert limits["remaining_credits"] == 30 > 9
    assert limits["free_preview_credits_granted"] == 30
    assert limits["free_preview_credits_consumed"] == 0
    assert limits["payment_backed_remaining_credits"] == 0
    assert limits["payment_backed_granted_credits"] == 0
    assert limits["total_remaining_credits"] == 30
    assert limits["credit_unit_usd"] == 0.01
    daily = data["daily_jobs"]
    assert (daily["limit"], daily["used"], daily["remaining"]) == (4, 0, 4)
    assert daily["window"] == "utc_day"
    resets = datetime.fromisoformat(daily["resets_at"].replace("Z", "+00:00"))
    now = datetime.now(UTC)
    assert now < resets <= now + timedelta(days=1)
    assert (resets.hour, resets.minute, resets.second) == (0, 0, 0)
    assert isinstance(data["model_limits"], dict) and isinstance(data["reset_windows"], list)


def test_unknown_route_and_wrong_method(local_client: httpx.Client) -> None:
    env = _error(local_client.get("/v1/nope"), 404, "NOT_FOUND", "1")
    assert env["command"] == "image-skill"
    _error(local_client.get("/nope"), 404, "NOT_FOUND", "1")  # "/" is the gallery page
    response = local_client.delete("/v1/whoami")
    _error(response, 405, "METHOD_NOT_ALLOWED", "1")
    assert "GET" in response.headers["allow"]


def test_malformed_and_non_object_bodies(local_client: httpx.Client) -> None:
    json_headers = {"content-type": "application/json"}
    bad = local_client.post("/v1/agent-signups", content=b"{not json", headers=json_headers)
    env = _error(bad, 400, "INVALID_ARGUMENTS", "2")
    assert env["command"] == "image-skill signup"
    for content in (b"[1, 2]", b'"text"', b"null", b""):
        response = local_client.post("/v1/agent-signups", content=content, headers=json_headers)
        _error(response, 400, "INVALID_ARGUMENTS", "2")


def test_uncaught_exception_becomes_json_500(
    local_app: FastAPI, local_client: httpx.Client
) -> None:
    def explode() -> None:
        raise RuntimeError("secret internal detail /home/someone/path")

    local_app.add_api_route("/v1/_test_explode", explode, methods=["GET"])
    response = local_client.get("/v1/_test_explode")
    env = _error(response, 500, "LOCAL_BACKEND_FAILED", "1")
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert env["error"]["retryable"] is False


def test_internal_error_fault_on_authenticated_route(tmp_path: Path, signup: Any) -> None:
    settings = LocalSettings(data_dir=tmp_path / "d", faults=frozenset({"internal_error"}))
    transport = InProcessTransport(create_app(settings))
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        token = signup(client)
        response = client.get("/v1/whoami", headers={"authorization": f"Bearer {token}"})
        env = _error(response, 500, "LOCAL_BACKEND_FAILED", "1")
        assert env["command"] == "image-skill whoami"
        assert client.get("/healthz").json()["ok"] is True


def test_openapi_lists_core_routes(local_client: httpx.Client) -> None:
    response = local_client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    assert {"/healthz", "/v1/agent-signups", "/v1/whoami", "/v1/quota"} <= set(paths)
    signup_op = paths["/v1/agent-signups"]["post"]
    assert signup_op["x-image-skill-command"] == "image-skill signup"
    assert "401" in paths["/v1/whoami"]["get"]["responses"]
    assert "400" in signup_op["responses"]


def test_base_url_seen_by_routes(local_app: FastAPI, local_client: httpx.Client) -> None:
    def where(request: Request) -> dict[str, str]:
        return {"public": public_base_url(request), "media": media_base_url(request)}

    local_app.add_api_route("/v1/_test_where", where, methods=["GET"])
    assert local_client.get("/v1/_test_where").json() == {
        "public": IN_PROCESS_ORIGIN,
        "media": IN_PROCESS_ORIGIN,
    }


def test_media_base_url_setting_wins(tmp_path: Path) -> None:
    settings = LocalSettings(data_dir=tmp_path / "d", media_base_url="https://media.example/")
    app = create_app(settings)

    def where(request: Request) -> dict[str, str]:
        return {"public": public_base_url(request), "media": media_base_url(request)}

    app.add_api_route("/v1/_test_where", where, methods=["GET"])
    with httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_ORIGIN) as client:
        assert client.get("/v1/_test_where").json() == {
            "public": IN_PROCESS_ORIGIN,
            "media": "https://media.example",
        }


def test_ids_with_encoded_slashes_get_the_routes_own_not_found(local_client) -> None:
    for path, code in (
        ("/v1/models/a%2Fb", "MODEL_NOT_FOUND"),
        ("/v1/capabilities/a%2Fb", "CAPABILITY_NOT_FOUND"),
    ):
        reply = local_client.get(path)
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == code
