"""Fixtures for the local backend: settings in a temp dir, the app, clients, a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.app import create_app
from image_skill.local.server import serve_in_thread
from image_skill.local.settings import LocalSettings
from image_skill.local.transport import InProcessTransport


@pytest.fixture
def local_settings(tmp_path: Path) -> LocalSettings:
    return LocalSettings(data_dir=tmp_path / "local-data")


@pytest.fixture
def local_app(local_settings: LocalSettings) -> FastAPI:
    return create_app(local_settings)


@pytest.fixture
def local_client(local_app: FastAPI) -> Iterator[httpx.Client]:
    """An httpx client onto the in-process app (no sockets)."""
    transport = InProcessTransport(local_app)
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        yield client


@pytest.fixture
def live_server(local_settings: LocalSettings) -> Iterator[str]:
    """The backend served by uvicorn on an ephemeral loopback port; yields its base URL."""
    with serve_in_thread(local_settings) as (base_url, _stop):
        yield base_url


def _signup_body(contact: str, name: str) -> dict[str, Any]:
    return {"agent_contact": contact, "agent_name": name, "runtime": "pytest", "return_token": True}


def _signup(
    client: httpx.Client, contact: str = "agent@example.com", name: str = "test-agent"
) -> str:
    response = client.post("/v1/agent-signups", json=_signup_body(contact, name))
    assert response.status_code == 200, response.text
    token = response.json()["data"]["token"]
    assert isinstance(token, str)
    return token


@pytest.fixture
def signup() -> Any:
    """``signup(client, contact=..., name=...) -> raw token`` (asserts success)."""
    return _signup


@pytest.fixture
def agent_token(local_client: httpx.Client) -> str:
    """A fresh agent's token on ``local_client``."""
    return _signup(local_client)


@pytest.fixture
def auth_headers(agent_token: str) -> dict[str, str]:
    """``Authorization: Bearer`` headers for ``agent_token``."""
    return {"authorization": f"Bearer {agent_token}"}
