"""The same backend served by uvicorn on a loopback port."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request

from image_skill.local.deps import media_base_url, public_base_url
from image_skill.local.server import serve_in_thread
from image_skill.local.settings import LocalSettings
from image_skill.local.signup_data import TOKEN_RETURNED_WARNING

EXIT = "x-image-skill-exit-code"


def test_signup_whoami_quota_over_loopback(live_server: str) -> None:
    assert live_server.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=live_server) as client:
        health = client.get("/healthz")
        assert health.json()["data"]["status"] == "ok"
        body = {
            "agent_contact": "live@example.com",
            "agent_name": "live",
            "runtime": "pytest",
            "return_token": True,
        }
        signup = client.post("/v1/agent-signups", json=body)
        assert signup.status_code == 200 and signup.headers[EXIT] == "0"
        assert signup.json()["warnings"] == [TOKEN_RETURNED_WARNING]
        token = signup.json()["data"]["token"]
        auth = {"authorization": f"Bearer {token}"}
        who = client.get("/v1/whoami", headers=auth).json()
        assert who["ok"] is True and who["data"]["authenticated"] is True
        assert who["actor"] == signup.json()["actor"]
        quota = client.get("/v1/quota", headers=auth).json()
        assert quota["data"]["limits"]["remaining_credits"] == 30
        assert quota["data"]["daily_jobs"]["remaining"] == 4


def test_errors_over_loopback(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        for response, status, code, exit_code in [
            (client.get("/v1/does-not-exist"), 404, "NOT_FOUND", "1"),
            (client.get("/v1/quota"), 401, "AUTH_REQUIRED", "3"),
            (
                client.get("/v1/whoami", headers={"authorization": "Bearer isk_r_x"}),
                401,
                "AUTH_REQUIRED",
                "3",
            ),
            (
                client.post(
                    "/v1/agent-signups", content=b"{", headers={"content-type": "application/json"}
                ),
                400,
                "INVALID_ARGUMENTS",
                "2",
            ),
        ]:
            assert response.status_code == status
            assert response.headers[EXIT] == exit_code
            assert response.headers["content-type"].startswith("application/json")
            assert response.json()["error"]["code"] == code


def test_base_url_is_the_served_host(local_app: FastAPI) -> None:
    def where(request: Request) -> dict[str, str]:
        return {"public": public_base_url(request), "media": media_base_url(request)}

    local_app.add_api_route("/v1/_test_where", where, methods=["GET"])
    with serve_in_thread(app=local_app) as (base_url, _stop):
        seen = httpx.get(base_url + "/v1/_test_where").json()
    assert seen == {"public": base_url, "media": base_url}


def test_in_process_and_server_share_a_data_dir(
    local_settings: LocalSettings, local_client: httpx.Client
) -> None:
    body = {
        "agent_contact": "shared@example.com",
        "agent_name": "shared",
        "runtime": "pytest",
        "return_token": True,
    }
    token = local_client.post("/v1/agent-signups", json=body).json()["data"]["token"]
    with serve_in_thread(local_settings) as (base_url, stop):
        with httpx.Client(base_url=base_url) as client:
            who = client.get("/v1/whoami", headers={"authorization": f"Bearer {token}"})
            assert who.json()["ok"] is True
        stop()
        try:
            httpx.get(base_url + "/healthz", timeout=2)
        except httpx.TransportError:
            pass
        else:
            raise AssertionError("server still answering after stop()")
