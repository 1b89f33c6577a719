"""The in-process transport: no sockets, usable from any thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local import make_in_process_transport
from image_skill.local.settings import LocalSettings
from image_skill.local.transport import InProcessTransport


def test_usable_inside_a_running_event_loop(local_app: FastAPI) -> None:
    transport = InProcessTransport(local_app)

    async def main() -> int:
        with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
            return client.get("/healthz").status_code

    assert asyncio.run(main()) == 200


def test_streamed_request_body(local_client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"agent_contact": "s@example.com", '
        yield b'"agent_name": "s", "runtime": "r", "return_token": true}'

    response = local_client.post(
        "/v1/agent-signups", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["token"].startswith("isk_r_")


def test_close_stops_the_loop_thread_and_reuse_restarts_it(local_app: FastAPI) -> None:
    transport = InProcessTransport(local_app)
    client = httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN)
    assert client.get("/healthz").status_code == 200
    thread = transport._thread
    assert thread is not None and thread.is_alive()
    client.close()
    assert not thread.is_alive()
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as again:
        assert again.get("/healthz").status_code == 200
    assert not any(
        t.name == "image-skill-in-process-backend" and t is thread for t in threading.enumerate()
    )


def test_make_in_process_transport_caches_per_data_dir(tmp_path: Path) -> None:
    one = make_in_process_transport(LocalSettings(data_dir=tmp_path / "a"))
    same = make_in_process_transport(LocalSettings(data_dir=tmp_path / "a"))
    other = make_in_process_transport(LocalSettings(data_dir=tmp_path / "b"))
    assert one is same and one is not other
    with httpx.Client(transport=one, base_url=IN_PROCESS_ORIGIN) as client:
        assert client.get("/healthz").json()["ok"] is True
    # Shared transports survive a client closing them.
    with httpx.Client(transport=same, base_url=IN_PROCESS_ORIGIN) as client:
        assert client.get("/healthz").json()["ok"] is True
    for transport in (one, other):
        transport.shutdown()


def test_default_settings_follow_the_env_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_LOCAL_DIR", str(tmp_path / "from-env"))
    transport = make_in_process_transport()
    try:
        with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
            assert client.get("/healthz").status_code == 200
            # the database is created lazily, by the first route that needs it
            assert not (tmp_path / "from-env").exists()
            body = {"agent_contact": "a@example.com", "agent_name": "n", "runtime": "t"}
            assert client.post("/v1/agent-signups", json=body).status_code == 200
        assert (tmp_path / "from-env" / "image-skill.sqlite3").is_file()
    finally:
        transport.shutdown()
