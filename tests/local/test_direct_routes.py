"""The in-process fast path (:mod:`image_skill.local.direct`): the app's bytes, no FastAPI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local import make_in_process_transport
from image_skill.local.app import create_app
from image_skill.local.direct import DirectRoutes
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store
from image_skill.local.transport import InProcessTransport

_VOLATILE = re.compile(rb"trace_[0-9a-f]+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")

SIGNUP = {"agent_contact": "d@example.com", "agent_name": "d", "runtime": "pytest"}


def _exchange(
    client: httpx.Client, method: str, path: str, token: str | None, *, twice: bool = False
) -> tuple[object, ...]:
    headers = [("authorization", f"Bearer {token}")] if token else []
    if twice:  # a second, unknown token after the first
        headers.append(("authorization", "Bearer isk_r_second"))
    response = client.request(method, path, headers=headers)
    # Trace ids and times differ by nature; everything else must be the same bytes.
    return response.status_code, response.headers.raw, _VOLATILE.sub(b"<v>", response.content)


@pytest.mark.parametrize(
    "token_kind", ["valid", "none", "unknown", "not bearer", "two headers"], ids=lambda kind: kind
)
@pytest.mark.parametrize("path", ["/healthz", "/v1/whoami", "/v1/quota"])
def test_fast_path_sends_the_apps_bytes(tmp_path: Path, path: str, token_kind: str) -> None:
    settings = LocalSettings(data_dir=tmp_path / "data")
    store = Store(settings)
    app = create_app(settings, store=store)
    direct = DirectRoutes(settings, store)
    with httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_ORIGIN) as full:
        signup = full.post("/v1/agent-signups", json={**SIGNUP, "return_token": True})
        token = {
            "valid": signup.json()["data"]["token"],
            "none": None,
            "unknown": "isk_r_unknown",
            "not bearer": None,
            "two headers": signup.json()["data"]["token"],
        }[token_kind]
        fast_transport = InProcessTransport(app, direct=direct)
        with httpx.Client(transport=fast_transport, base_url=IN_PROCESS_ORIGIN) as fast:
            if token_kind == "not bearer":
                fast.headers["authorization"] = full.headers["authorization"] = "Basic eDp5"
            request = fast.build_request("GET", path)
            assert direct(request) is not None  # the fast path answers it, not the app
            twice = token_kind == "two headers"
            ours = _exchange(fast, "GET", path, token, twice=twice)
            assert ours == _exchange(full, "GET", path, token, twice=twice)


def test_fast_path_declines_what_it_does_not_serve(tmp_path: Path) -> None:
    settings = LocalSettings(data_dir=tmp_path / "data")
    direct = DirectRoutes(settings, Store(settings))
    for method, path in [
        ("POST", "/v1/whoami"),
        ("GET", "/v1/whoami/"),
        ("GET", "/v1/capabilities"),
    ]:
        assert direct(httpx.Request(method, IN_PROCESS_ORIGIN + path)) is None
    faulty = LocalSettings(data_dir=tmp_path / "data", faults=frozenset({"internal_error"}))
    assert DirectRoutes(faulty, Store(faulty))(httpx.Request("GET", IN_PROCESS_ORIGIN)) is None


def test_the_app_is_built_only_for_a_request_the_fast_path_declines(tmp_path: Path) -> None:
    transport = make_in_process_transport(LocalSettings(data_dir=tmp_path / "data"))
    try:
        with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
            assert client.get("/v1/whoami").status_code == 401
            token = client.post(
                "/v1/agent-signups", json={**SIGNUP, "agent_name": "e", "return_token": True}
            ).json()["data"]["token"]
            assert transport._asgi is None  # a signup is on the fast path too
            assert client.get("/v1/capabilities").status_code == 200
            assert transport._asgi is not None
            # Both paths use one store: the app sees the fast path's signup and its job.
            auth = {"authorization": f"Bearer {token}"}
            dry = client.post("/v1/create", json={"prompt": "x", "dry_run": True}, headers=auth)
            job = client.get(f"/v1/jobs/{dry.json()['data']['job_id']}", headers=auth)
            assert job.status_code == 200 and job.json()["actor"]["actor_id"]
        assert transport.app.state.store is transport._direct.store  # type: ignore[union-attr]
    finally:
        transport.shutdown()


def test_in_process_whoami_imports_no_web_framework(tmp_path: Path) -> None:
    """The CLI's in-process ``whoami`` never imports FastAPI, Starlette or pydantic."""
    probe = (
        "import json, sys\n"
        "from image_skill.cli import main\n"
        "try:\n"
        "    main(['--api-base-url', 'local', 'whoami', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('fastapi', 'starlette', 'pydantic', 'uvicorn') if m in sys.modules]\n"
        "print(json.dumps(heavy), file=sys.stderr)\n"
    )
    env = {"IMAGE_SKILL_LOCAL_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert json.loads(proc.stdout)["error"]["code"] == "AUTH_REQUIRED"
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []


_IDS = re.compile(rb"\b(?:[a-z0-9]+_)+[0-9a-f]{16,}\b|isk_r_[A-Za-z0-9_-]+")

CREATES = {
    "anonymous dry run": ({"prompt": "a red kite", "dry_run": True}, False),
    "dry run": ({"prompt": "a red kite", "dry_run": True}, True),
    "live": ({"prompt": "a red kite", "idempotency_key": "k-1"}, True),
    "anonymous live": ({"prompt": "a red kite"}, False),
    "anonymous dry run with a reference": (
        {
            "prompt": "a",
            "dry_run": True,
            "references": [{"asset_id": "ast_1", "role": "reference_image"}],
        },
        False,
    ),
    "mistyped field": ({"prompt": 5}, True),
    "unknown field": ({"prompt": "a", "colour": "red"}, True),
    "unknown model": ({"prompt": "a", "model": "no-such-model", "dry_run": True}, True),
    "not JSON": (b"{", True),
}


def _create_exchange(client: httpx.Client, body: object, token: str | None) -> tuple[object, ...]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if isinstance(body, bytes):
        response = client.post("/v1/create", content=body, headers=headers)
    else:
        response = client.post("/v1/create", json=body, headers=headers)
    content = _IDS.sub(b"<id>", _VOLATILE.sub(b"<v>", response.content))
    return response.status_code, response.headers.raw, content


def _pair(tmp_path: Path, name: str) -> tuple[httpx.Client, str]:
    """A client on a fresh data dir (fast path on when ``name`` is ``fast``), and a token."""
    settings = LocalSettings(data_dir=tmp_path / name)
    store = Store(settings)
    app = create_app(settings, store=store)
    direct = DirectRoutes(settings, store) if name == "fast" else None
    client = httpx.Client(
        transport=InProcessTransport(app, direct=direct), base_url=IN_PROCESS_ORIGIN
    )
    signup = client.post("/v1/agent-signups", json={**SIGNUP, "return_token": True})
    return client, signup.json()["data"]["token"]


def test_fast_create_sends_the_apps_bytes(tmp_path: Path) -> None:
    fast, fast_token = _pair(tmp_path, "fast")
    full, full_token = _pair(tmp_path, "full")
    statuses = {}
    for label, (body, signed_in) in CREATES.items():
        ours = _create_exchange(fast, body, fast_token if signed_in else None)
        theirs = _create_exchange(full, body, full_token if signed_in else None)
        assert ours == theirs, label
        statuses[label] = ours[0]
    assert statuses == {
        "anonymous dry run": 200,
        "dry run": 200,
        "live": 200,
        "anonymous live": 401,
        "anonymous dry run with a reference": 401,
        "mistyped field": 400,
        "unknown field": 400,
        "unknown model": 400,
        "not JSON": 400,
    }
    # The same key again replays the job in both.
    replay = CREATES["live"][0]
    assert _create_exchange(fast, replay, fast_token) == _create_exchange(full, replay, full_token)
    assert _create_exchange(fast, replay, fast_token)[0] == 200
    fast.close()
    full.close()


def test_fast_create_answers_an_unexpected_error_as_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash in the job gives the catch-all's 500 envelope, and is not run a second time."""
    calls: list[str] = []

    def broken(*_args: object) -> None:
        calls.append("run")
        raise RuntimeError("boom")

    monkeypatch.setattr("image_skill.local.create_flow.run", broken)
    fast, fast_token = _pair(tmp_path, "fast")
    full, full_token = _pair(tmp_path, "full")
    body = {"prompt": "a red kite", "dry_run": True}
    ours = _create_exchange(fast, body, fast_token)
    assert calls == ["run"]
    assert ours == _create_exchange(full, body, full_token)
    fast.close()
    full.close()
    assert ours[0] == 500 and b"LOCAL_BACKEND_FAILED" in ours[2]  # type: ignore[operator]


def test_media_and_listings_take_the_fast_path_with_the_apps_bytes(tmp_path: Path) -> None:
    """A plain GET of stored media and the two listings a guide reads are answered without
    the app, byte for byte as the app answers them; ranges and conditional requests are
    left to the app."""
    settings = LocalSettings(data_dir=tmp_path / "data")
    store = Store(settings)
    app = create_app(settings, store=store)
    direct = DirectRoutes(settings, store)
    with httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_ORIGIN) as full:
        token = full.post("/v1/agent-signups", json={**SIGNUP, "return_token": True}).json()[
            "data"
        ]["token"]
        auth = {"authorization": f"Bearer {token}"}
        created = full.post("/v1/create", json={"prompt": "a red cube"}, headers=auth).json()
        media = httpx.URL(created["data"]["assets"][0]["url"]).path
        fast = httpx.Client(
            transport=InProcessTransport(app, direct=direct), base_url=IN_PROCESS_ORIGIN
        )
        with fast:
            for path in (media, "/v1/models?details=true", "/v1/payment-methods"):
                assert direct(fast.build_request("GET", path)) is not None, path
                assert _exchange(fast, "GET", path, None) == _exchange(full, "GET", path, None)
            whole = fast.get(media)
            assert whole.status_code == 200 and len(whole.content) > 100
            assert whole.headers["x-image-skill-sha256"] == created["data"]["assets"][0]["sha256"]
            for headers in ({"range": "bytes=0-9"}, {"if-none-match": whole.headers["etag"]}):
                assert direct(fast.build_request("GET", media, headers=headers)) is None
            assert direct(fast.build_request("HEAD", media)) is None
            signup = fast.build_request("POST", "/v1/agent-signups", json=SIGNUP)
            answered = direct(signup)  # a signup is answered here too (the rows are the app's)
            assert answered is not None and answered[0] == 200
            assert full.get("/v1/whoami", headers=auth).status_code == 200
            assert direct(fast.build_request("GET", media + "x")) is None  # no such media
