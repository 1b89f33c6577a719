"""Uploads, asset metadata and owned media serving against the real local backend."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from image_skill.local.app import create_app
from image_skill.local.settings import LocalSettings
from image_skill.local.transport import InProcessTransport

EXIT = "x-image-skill-exit-code"


def png_bytes(width: int = 320, height: int = 200) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes(width: int = 400, height: int = 300) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 20, 20)).save(buf, format="JPEG")
    return buf.getvalue()


def upload_body(data: bytes, mime: str = "image/png", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source_kind": "local_path",
        "filename": "cat.png",
        "remote_origin": None,
        "mime_type": mime,
        "content_length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes_base64": base64.b64encode(data).decode("ascii"),
    }
    body.update(overrides)
    return body


def do_upload(client: httpx.Client, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/v1/upload", json=body, headers=headers)


def test_upload_png_creates_owned_asset_job_and_event(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    data = png_bytes(320, 200)
    r = do_upload(local_client, auth_headers, upload_body(data))
    assert r.status_code == 200, r.text
    assert r.headers[EXIT] == "0"
    env = r.json()
    assert env["ok"] is True and env["command"] == "image-skill upload"
    d = env["data"]
    assert d["request"] == {
        "source_kind": "local_path",
        "filename": "cat.png",
        "remote_origin": None,
    }
    asset = d["asset"]
    assert asset["asset_id"].startswith("image_")
    assert asset["kind"] == "uploaded"
    assert asset["job_id"].startswith("job_")
    assert (asset["width"], asset["height"]) == (320, 200)
    assert asset["content_length"] == len(data)
    assert asset["sha256"] == hashlib.sha256(data).hexdigest()
    assert asset["url"].endswith(f"/a/{asset['asset_id']}.png")
    assert asset["source"] == "hosted_metadata"
    assert d["upload"] == {
        "bytes": len(data),
        "mime_type": "image/png",
        "sha256": asset["sha256"],
        "policy": {"status": "allowed"},
    }
    events = local_client.get(
        "/v1/activity", params={"subject": asset["asset_id"]}, headers=auth_headers
    ).json()["data"]["events"]
    assert [e["type"] for e in events] == ["asset.uploaded"]
    links = events[0]["links"]
    assert links["job_id"] == asset["job_id"] and links["asset_ids"] == [asset["asset_id"]]
    assert "usage_event_id" in links


def test_upload_does_not_spend_credits(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    before = local_client.get("/v1/quota", headers=auth_headers).json()["data"]
    for _ in range(5):  # more than the daily job cap
        r = do_upload(local_client, auth_headers, upload_body(png_bytes()))
        assert r.status_code == 200, r.text
    after = local_client.get("/v1/quota", headers=auth_headers).json()["data"]
    assert after == before


def test_remote_upload_keeps_only_the_origin(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    data = jpeg_bytes()
    body = upload_body(
        data, "image/jpeg", source_kind="remote_url", remote_origin="https://example.com"
    )
    r = do_upload(local_client, auth_headers, body)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["request"]["remote_origin"] == "https://example.com"
    assert r.json()["data"]["asset"]["url"].endswith(".jpg")
    full_url = upload_body(
        data, "image/jpeg", source_kind="remote_url", remote_origin="https://example.com/a/b.jpg"
    )
    bad = do_upload(local_client, auth_headers, full_url)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_ARGUMENTS"


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"just some text, not an image at all", "image/png"),  # lies about its type
        (jpeg_bytes(), "image/png"),  # a real image, but not the declared one
        (b"%PDF-1.7 fake", "application/pdf"),  # type not on the allow-list
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", "audio/wav"),
    ],
)
def test_non_images_are_policy_denied(
    local_client: httpx.Client, auth_headers: dict[str, str], data: bytes, mime: str
) -> None:
    r = do_upload(local_client, auth_headers, upload_body(data, mime))
    assert r.status_code == 422, r.text
    assert r.headers[EXIT] == "6"
    assert r.json()["error"]["code"] == "INPUT_POLICY_DENIED"


def test_truncated_png_is_denied(local_client: httpx.Client, auth_headers: dict[str, str]) -> None:
    data = png_bytes()[:12]  # signature only, no IHDR
    r = do_upload(local_client, auth_headers, upload_body(data))
    assert r.status_code == 422 and r.json()["error"]["code"] == "INPUT_POLICY_DENIED"


def test_oversized_upload_is_denied_before_decoding(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    data = png_bytes()
    body = upload_body(data, content_length=20 * 1024 * 1024 + 1)
    r = do_upload(local_client, auth_headers, body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "INPUT_POLICY_DENIED"


@pytest.mark.parametrize(
    "override",
    [
        {"sha256": "0" * 64},
        {"content_length": 10},
        {"bytes_base64": "not base64!!"},
        {"source_kind": "ftp"},
        {"filename": "../etc/passwd"},
        {"sha256": "abc"},
        {"content_length": True},
    ],
)
def test_integrity_and_shape_errors_are_invalid_arguments(
    local_client: httpx.Client, auth_headers: dict[str, str], override: dict[str, Any]
) -> None:
    r = do_upload(local_client, auth_headers, upload_body(png_bytes(), **override))
    assert r.status_code == 400, r.text
    assert r.headers[EXIT] == "2"
    assert r.json()["error"]["code"] == "INVALID_ARGUMENTS"


def test_rejected_uploads_store_nothing(
    local_client: httpx.Client, auth_headers: dict[str, str], local_settings: LocalSettings
) -> None:
    do_upload(local_client, auth_headers, upload_body(png_bytes(), sha256="1" * 64))
    do_upload(local_client, auth_headers, upload_body(b"text", "image/png"))
    assert list(local_settings.media_dir.iterdir()) == []
    events = local_client.get("/v1/activity", headers=auth_headers).json()["data"]["events"]
    assert all(e["type"] != "asset.uploaded" for e in events)


def test_upload_requires_auth(local_client: httpx.Client) -> None:
    r = do_upload(local_client, {}, upload_body(png_bytes()))
    assert r.status_code == 401 and r.headers[EXIT] == "3"


def test_asset_metadata_and_served_bytes_match(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    data = png_bytes(300, 300)
    asset = do_upload(local_client, auth_headers, upload_body(data)).json()["data"]["asset"]
    r = local_client.get(f"/v1/assets/{asset['asset_id']}", headers=auth_headers)
    assert r.status_code == 200 and r.headers[EXIT] == "0"
    shown = r.json()["data"]
    assert shown["request"] == {"reference": asset["asset_id"], "reference_type": "asset_id"}
    assert shown["asset"] == asset

    media = local_client.get(asset["url"])  # no auth header: the URL is the capability
    assert media.status_code == 200
    assert media.content == data
    assert media.headers["content-type"] == "image/png"
    assert int(media.headers["content-length"]) == len(data)
    assert media.headers["x-image-skill-sha256"] == hashlib.sha256(media.content).hexdigest()
    assert media.headers["x-image-skill-sha256"] == shown["asset"]["sha256"]
    assert "max-age" in media.headers["cache-control"]

    head = local_client.head(asset["url"])
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(data)


def test_media_unknown_or_wrong_extension_is_json_404(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    asset = do_upload(local_client, auth_headers, upload_body(png_bytes())).json()["data"]["asset"]
    for path in (
        f"/a/{asset['asset_id']}.jpg",
        f"/a/{asset['asset_id']}",
        "/a/image_000000000000000000000000.png",
    ):
        r = local_client.get(path)
        assert r.status_code == 404, path
        assert r.headers[EXIT] == "1"
        assert r.json()["error"]["code"] == "ASSET_NOT_FOUND"


def test_other_org_cannot_see_asset_or_its_activity(
    local_client: httpx.Client, auth_headers: dict[str, str], signup: Any
) -> None:
    asset = do_upload(local_client, auth_headers, upload_body(png_bytes())).json()["data"]["asset"]
    other = {"authorization": f"Bearer {signup(local_client, 'other@example.com', 'other')}"}
    theirs = local_client.get(f"/v1/assets/{asset['asset_id']}", headers=other)
    unknown = local_client.get("/v1/assets/image_ffffffffffffffffffffffff", headers=other)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"] == {
        **unknown.json()["error"],
        "message": theirs.json()["error"]["message"],
    }
    assert theirs.json()["error"]["code"] == "ASSET_NOT_FOUND"
    shown = local_client.get(f"/v1/activity/{asset['asset_id']}", headers=other).json()["data"]
    assert shown["events"] == []
    listed = local_client.get("/v1/activity", headers=other).json()["data"]["events"]
    assert all(e["subject"]["id"] != asset["asset_id"] for e in listed)


def test_upload_and_download_over_loopback(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        token = client.post(
            "/v1/agent-signups",
            json={
                "agent_contact": "live@example.com",
                "agent_name": "live",
                "runtime": "pytest",
                "return_token": True,
            },
        ).json()["data"]["token"]
        headers = {"authorization": f"Bearer {token}"}
        data = png_bytes(310, 310)
        asset = client.post("/v1/upload", json=upload_body(data), headers=headers).json()["data"][
            "asset"
        ]
        assert asset["url"].startswith(live_server)
        media = httpx.get(asset["url"])
        assert media.content == data
        assert media.headers["x-image-skill-sha256"] == asset["sha256"]
        head = httpx.head(asset["url"])
        assert head.status_code == 200
        assert int(head.headers["content-length"]) == len(data)


def test_media_base_url_setting_shapes_urls(tmp_path: Any) -> None:
    settings = LocalSettings(
        data_dir=tmp_path / "d", media_base_url="https://media.image-skill.com/"
    )
    app = create_app(settings)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://local.test") as client:
        token = client.post(
            "/v1/agent-signups",
            json={"agent_contact": "m@example.com", "agent_name": "m", "runtime": "pytest"},
        ).json()["data"]["token"]
        body = upload_body(png_bytes())
        r = client.post("/v1/upload", json=body, headers={"authorization": f"Bearer {token}"})
        asset = r.json()["data"]["asset"]
        assert asset["url"] == f"https://media.image-skill.com/a/{asset['asset_id']}.png"


def test_openapi_documents_media_routes(local_client: httpx.Client) -> None:
    paths = local_client.get("/openapi.json").json()["paths"]
    assert paths["/v1/upload"]["post"]["x-image-skill-command"] == "image-skill upload"
    assert "422" in paths["/v1/upload"]["post"]["responses"]
    assert paths["/v1/assets/{asset_id}"]["get"]["x-image-skill-command"] == (
        "image-skill assets show"
    )
    assert {"get", "head"} <= set(paths["/a/{name}"])
    assert {"/v1/activity", "/v1/activity/{reference}", "/v1/feedback"} <= set(paths)
