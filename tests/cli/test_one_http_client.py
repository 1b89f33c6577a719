"""One HTTP client per invocation: commands that make several clients (the guide reads
health, models and payment methods without a token and the quota with one) share one
httpx client, so one transport, one connection pool and one keep-alive connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clitools import invoke
from image_skill.api.client import ImageSkillClient
from image_skill.local.server import serve_in_thread
from image_skill.local.settings import LocalSettings


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A served local backend and a signed-up token on it."""
    with serve_in_thread(LocalSettings(data_dir=tmp_path / "data")) as (base, _stop):
        body = {"agent_contact": "one@example.com", "agent_name": "one", "runtime": "t"}
        reply = httpx.post(base + "/v1/agent-signups", json={**body, "return_token": True})
        yield base, reply.json()["data"]["token"]


def _count(monkeypatch: pytest.MonkeyPatch, cls: type[Any]) -> list[object]:
    """Record every instance of ``cls`` made (the real constructor still runs)."""
    made: list[object] = []
    real = cls.__init__

    def init(self: object, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", init)
    return made


def test_guide_with_a_token_uses_one_http_client(
    served: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, token = served
    clients = _count(monkeypatch, httpx.Client)
    transports = _count(monkeypatch, httpx.HTTPTransport)
    env = {"IMAGE_SKILL_API_BASE_URL": base, "IMAGE_SKILL_TOKEN": token}
    result = invoke("create", "--guide", "--prompt", "a lighthouse at dusk", env=env)
    assert result.exit_code == 0, result.stdout
    assert result.json["ok"] is True
    assert len(clients) == 1
    assert len(transports) == 1


def test_with_token_shares_the_pool_and_sends_its_own_token(served: tuple[str, str]) -> None:
    base, token = served
    anonymous = ImageSkillClient(base_url=base)
    signed = anonymous.with_token(token)
    assert signed._http is anonymous._http
    assert anonymous.token is None and signed.token == token
    assert signed.whoami().ok
    assert anonymous.whoami().envelope["error"]["code"] == "AUTH_REQUIRED"
    signed.close()  # the twin does not own the pool: the first client still works
    assert anonymous.health().ok
    anonymous.close()
    assert anonymous._http.is_closed
