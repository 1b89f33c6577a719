"""Helpers for the create/edit/jobs backend tests: requests, envelope checks, test images."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import httpx
from PIL import Image

EXIT = "x-image-skill-exit-code"
PROMPT = "zebra-private-prompt-4711 on a red cube"
Headers = dict[str, str]


def create(client: httpx.Client, headers: Headers | None, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "prompt": PROMPT,
        "aspect_ratio": "1:1",
        "dry_run": False,
        "accept_unknown_cost": False,
    }
    body.update(fields)
    return client.post("/v1/create", json=body, headers=headers or {})


def edit(client: httpx.Client, headers: Headers, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {"aspect_ratio": "auto", "accept_unknown_cost": False}
    body.update(fields)
    return client.post("/v1/edit", json=body, headers=headers)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers[EXIT] == "0"
    data = response.json()["data"]
    assert isinstance(data, dict)
    return data


def fails(response: httpx.Response, status: int, code: str, exit_code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers[EXIT] == str(exit_code)
    env = response.json()
    assert env["ok"] is False and env["data"] is None
    assert env["error"]["code"] == code
    assert PROMPT not in response.text
    error = env["error"]
    assert isinstance(error, dict)
    return error


def balance(client: httpx.Client, headers: Headers) -> int:
    data = ok(client.get("/v1/quota", headers=headers))
    return int(data["limits"]["total_remaining_credits"])


def fetch(client: httpx.Client, asset: dict[str, Any]) -> bytes:
    response = client.get(asset["url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(asset["mime_type"])
    assert len(response.content) == asset["content_length"]
    assert hashlib.sha256(response.content).hexdigest() == asset["sha256"]
    return response.content


def png(width: int, height: int, *, seed: int = 1) -> bytes:
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            ((x * 7 + seed) % 256, (y * 5) % 256, (x * y + seed) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client: httpx.Client, headers: Headers, data: bytes, mime: str = "image/png") -> str:
    body = {
        "source_kind": "local_path",
        "filename": "input.png",
        "remote_origin": None,
        "mime_type": mime,
        "content_length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes_base64": base64.b64encode(data).decode("ascii"),
    }
    asset_id = ok(client.post("/v1/upload", json=body, headers=headers))["asset"]["asset_id"]
    assert isinstance(asset_id, str)
    return asset_id
