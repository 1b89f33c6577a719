"""The Python API on its own: ``from image_skill import ImageSkillClient`` against the local
backend, with no CLI concept anywhere (no label, no exit code, no suggested command)."""

from __future__ import annotations

import socket
import subprocess
import sys

from image_skill import ImageSkillClient, Reply

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_sign_up_create_and_download_with_the_public_api_only() -> None:
    with ImageSkillClient(base_url="local") as client:
        signup = client.signup(
            {
                "agent_contact": "agent@example.com",
                "agent_name": "python-api-test",
                "runtime": "pytest",
                "return_token": True,
            }
        )
        assert isinstance(signup, Reply)
        assert signup.ok and signup.status == 200 and signup.error is None
        client.token = signup.data["token"]

        created = client.create({"prompt": "a red cube", "idempotency_key": "public-api-1"})
        assert created.ok, created.envelope
        assert not created.client_built and not created.outcome_unknown
        # The server's envelope, unchanged: its own command label, its own data.
        assert created.envelope["command"] == "image-skill create"
        model = created.model()
        assert model.ok is True and model.error is None
        asset = created.data["assets"][0]
        assert asset["mime_type"] == "image/png"

        with client.stream(asset["url"]) as response:
            assert response.status_code == 200
            body = response.read()
    assert body.startswith(PNG_SIGNATURE)
    assert len(body) == asset["content_length"]


def test_errors_are_data_on_the_reply() -> None:
    with ImageSkillClient.local() as client:
        reply = client.whoami()  # no token
    assert not reply.ok and reply.status == 401
    assert reply.error is not None and reply.error.code == "AUTH_REQUIRED"
    assert reply.error.message and reply.error.raw["code"] == "AUTH_REQUIRED"
    assert reply.model().error is not None


def test_a_client_built_failure_names_the_http_request_not_a_command() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: the connection is refused at once
    with ImageSkillClient(base_url=f"http://127.0.0.1:{port}", max_retries=0) as client:
        reply = client.create({"prompt": "p", "idempotency_key": "k-1"})
    assert reply.client_built and reply.status is None and reply.sent is False
    assert reply.envelope["command"] == "POST /v1/create"
    assert reply.error is not None and reply.error.code == "HOSTED_API_REQUEST_FAILED"
    recovery = reply.error.recovery
    assert recovery is not None and recovery["idempotency_key"] == "k-1"
    assert "suggested_command" not in recovery


def test_importing_the_package_stays_light() -> None:
    probe = (
        "import sys, image_skill\n"
        "heavy = [m for m in ('httpx', 'pydantic', 'rich', 'image_skill.local') "
        "if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_an_injected_transport_carries_the_requests() -> None:
    import httpx

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"ok": True, "data": {"status": "ok"}, "error": None})

    with ImageSkillClient(base_url="http://api.test", transport=httpx.MockTransport(handler)) as c:
        reply = c.health()
    assert seen == ["GET /healthz"] and reply.ok and reply.data == {"status": "ok"}
    assert not c.in_process


def test_the_local_alias_comes_from_the_transport_registry() -> None:
    from image_skill.api.transports import registered_transport

    assert registered_transport("local") is not None  # registered by `import image_skill`
    assert registered_transport("http://api.test") is None
