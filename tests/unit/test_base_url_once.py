"""The API base URL is resolved once per invocation and the client gets that very value."""

from __future__ import annotations

import pytest

from image_skill.cli._app import AppState


def test_resolved_once_and_handed_to_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "http://127.0.0.1:8123")
    app = AppState()
    assert app.base_url() == "http://127.0.0.1:8123"
    # A later change of the environment does not re-route this invocation.
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "http://127.0.0.1:9999")
    client = app.client()
    try:
        assert app.base_url() == client.configured_base_url == "http://127.0.0.1:8123"
    finally:
        app.close()


def test_the_explicit_flag_wins_and_local_stays_an_alias() -> None:
    app = AppState(api_base_url="local")
    client = app.client()
    try:
        assert app.base_url() == "local" and client.in_process
    finally:
        app.close()
