"""Reply bytes of the local backend: the envelope encoder that reuses the registry's cached
JSON text writes exactly what Starlette's ``JSONResponse`` writes, and the token lookup that
runs on the event loop still refreshes ``last_used_at``."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx
import pytest

from image_skill.local.errors import build_envelope, envelope_json
from image_skill.local.registry import models as registry
from image_skill.local.registry.frozen import freeze, json_text
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store, lookup_token, touch_token


def _starlette(value: Any) -> str:
    """What ``JSONResponse.render`` writes (its options, spelled out)."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    )


def _envelope(data: Any) -> dict[str, Any]:
    return build_envelope(
        ok=True, command="image-skill models list", actor=None, data=data, warnings=["w"]
    )


@pytest.mark.parametrize(
    "data",
    [
        registry.list_models(base="local"),
        registry.list_models(compact=True, base="http://127.0.0.1:9"),
        registry.list_models(query="nano", compact=True, base="local"),
        {"id": "local.image", "model": registry.get_model("local.image"), "n": [1, 2.5, None]},
        {"nested": {"deeper": {"é": ["ü", {"x": freeze({"k": [1, "ß"]})}]}}, 3: "int key"},
        [freeze({"a": 1}), {"b": [freeze([1, 2]), "c"]}],
        None,
    ],
)
def test_envelope_text_is_what_starlette_writes(data: Any) -> None:
    body = _envelope(data)
    assert envelope_json(body) == _starlette(body)
    assert envelope_json(body) == envelope_json(body)  # the cached text is reused as is


def test_nan_is_refused_like_starlette() -> None:
    with pytest.raises(ValueError):
        _starlette(_envelope({"x": float("nan")}))
    with pytest.raises(ValueError):
        envelope_json(_envelope({"x": float("nan")}))


def test_frozen_text_is_worked_out_once_and_never_shared_with_copies() -> None:
    row = registry.get_model("local.image")
    assert row is not None
    first = json_text(row)
    assert json_text(row) is first  # kept on the value
    assert first == _starlette(dict(row))
    mine = dict(row)
    mine["status"] = "broken"
    assert '"status":"broken"' in envelope_json(_envelope(mine))
    assert json_text(row) is first


@pytest.mark.parametrize("params", [{}, {"details": "true"}, {"query": "video"}])
def test_models_reply_bytes_match_the_plain_encoding(
    local_client: httpx.Client, params: dict[str, str]
) -> None:
    for _ in range(2):  # the second reply comes from the cached text
        reply = local_client.get("/v1/models", params=params)
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "application/json"
        assert reply.headers["x-image-skill-exit-code"] == "0"
        assert reply.content == _starlette(reply.json()).encode("utf-8")
        assert int(reply.headers["content-length"]) == len(reply.content)


def test_token_lookup_is_a_read_and_the_refresh_a_separate_write(
    local_client: httpx.Client,
    local_settings: LocalSettings,
    auth_headers: dict[str, str],
    agent_token: str,
) -> None:
    conn: sqlite3.Connection = Store(local_settings).connect()
    try:
        conn.execute("UPDATE tokens SET last_used_at = NULL")
        actor, stale = lookup_token(conn, agent_token)
        assert actor is not None and stale
        assert conn.execute("SELECT last_used_at FROM tokens").fetchone()[0] is None
        touch_token(conn, actor.token_id)
        assert lookup_token(conn, agent_token)[1] is False
        assert lookup_token(conn, agent_token + "x") == (None, False)
        assert lookup_token(conn, None) == (None, False)
        # Over HTTP: an old mark is refreshed (in a worker thread), a fresh one left alone.
        conn.execute("UPDATE tokens SET last_used_at = '2000-01-01T00:00:00.000Z'")
        assert local_client.get("/v1/whoami", headers=auth_headers).status_code == 200
        refreshed = conn.execute("SELECT last_used_at FROM tokens").fetchone()[0]
        assert refreshed > "2000-01-01T00:00:00.000Z"
        assert local_client.get("/v1/whoami", headers=auth_headers).status_code == 200
        assert conn.execute("SELECT last_used_at FROM tokens").fetchone()[0] == refreshed
        conn.execute("UPDATE tokens SET status = 'revoked'")
        reply = local_client.get("/v1/whoami", headers=auth_headers)
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "AUTH_REQUIRED"
    finally:
        conn.close()
