"""Upload payloads: content sniffing over names, limits, remote fetches, asset resolution."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from calltools import as_cli
from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.api.client import ImageSkillClient
from image_skill.api.netpolicy import NetworkPolicy
from image_skill.api.reply import Reply
from image_skill.envelope import Result
from image_skill.files.uploads import (
    UNKNOWN_BYTES_MIME,
    UPLOAD_LABEL,
    PreparedUpload,
    UploadError,
    build_payload,
    resolve_input_asset,
)

#: These tests fetch from a loopback server: let the network policy allow it.
LOOPBACK = NetworkPolicy(allow_private=True)


def remote_payload(url: str) -> PreparedUpload:
    return build_payload(url, policy=LOOPBACK)


def png_bytes(size: tuple[int, int] = (4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


def failure_of(exc: pytest.ExceptionInfo[UploadError]) -> tuple[int, str, dict[str, Any]]:
    result = exc.value.result
    error = result.error
    assert error is not None
    assert result.envelope["command"] == "image-skill upload"
    return result.exit_code, error["code"], error


# -- local files ---------------------------------------------------------------------


def test_local_png_payload(tmp_path: Path) -> None:
    data = png_bytes()
    path = tmp_path / "source.png"
    path.write_bytes(data)
    prepared = build_payload(str(path))
    assert prepared.warnings == []
    assert prepared.payload == {
        "source_kind": "local_path",
        "filename": "source.png",
        "remote_origin": None,
        "mime_type": "image/png",
        "content_length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes_base64": base64.b64encode(data).decode(),
    }
    assert list(prepared.payload) == [
        "source_kind",
        "filename",
        "remote_origin",
        "mime_type",
        "content_length",
        "sha256",
        "bytes_base64",
    ]


def test_relative_paths_resolve_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in.png").write_bytes(png_bytes())
    monkeypatch.chdir(tmp_path)
    assert build_payload("in.png").payload["filename"] == "in.png"


def test_sniffed_content_wins_over_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(png_bytes())
    prepared = build_payload(str(path))
    assert prepared.payload["mime_type"] == "image/png"
    assert prepared.warnings == []  # .txt claims no type

    jpeg_named = tmp_path / "photo.jpg"
    jpeg_named.write_bytes(png_bytes())
    prepared = build_payload(str(jpeg_named))
    assert prepared.payload["mime_type"] == "image/png"
    assert "image/jpeg" in prepared.warnings[0]


def test_text_renamed_png_is_not_sent_as_png(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_text("just some text, not an image\n")
    prepared = build_payload(str(path))
    assert prepared.payload["mime_type"] == UNKNOWN_BYTES_MIME
    assert "image/png" in prepared.warnings[0]


def test_known_non_image_content_is_sent_as_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "sound.png"
    path.write_bytes(WAV)
    assert build_payload(str(path)).payload["mime_type"] == "audio/wav"


def test_nothing_known_is_refused_client_side(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(UploadError) as info:
        build_payload(str(path))
    exit_code, code, error = failure_of(info)
    assert (exit_code, code) == (2, E.UPLOAD_MIME_TYPE_UNKNOWN)
    assert error["message"] == "could not infer MIME type; use png, jpg, jpeg, webp, gif, or avif"
    assert error["retryable"] is False


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:  # sparse: nothing is really written or read
        handle.truncate(C.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(UploadError) as info:
        build_payload(str(path))
    exit_code, code, error = failure_of(info)
    assert (exit_code, code) == (2, E.UPLOAD_TOO_LARGE)
    assert error["recovery"]["max_bytes"] == C.MAX_UPLOAD_BYTES
    exact = tmp_path / "exact.png"
    with exact.open("wb") as handle:
        handle.write(png_bytes())
        handle.truncate(C.MAX_UPLOAD_BYTES)
    assert build_payload(str(exact)).payload["content_length"] == C.MAX_UPLOAD_BYTES


@pytest.mark.parametrize("name", ["missing.png", "a-directory"])
def test_missing_or_unreadable_file(tmp_path: Path, name: str) -> None:
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(UploadError) as info:
        build_payload(str(tmp_path / name))
    exit_code, code, error = failure_of(info)
    assert (exit_code, code) == (9, E.INPUT_FILE_UNREADABLE)
    assert name in error["message"]


# -- remote URLs ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path.split("?", 1)[0]
        if path == "/stream-big":
            self.send_response(200)
            self.send_header("content-type", "image/png")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            chunk = b"\x89PNG\r\n\x1a\n" + b"x" * 4000
            for _ in range(5):
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        status, headers, body = self.routes.get(path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "content-length" not in headers:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def remote() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    png = png_bytes()
    _Handler.seen = []
    _Handler.routes = {
        "/img/source.png": (200, {"content-type": "image/png; charset=binary"}, png),
        "/img/": (200, {"content-type": "IMAGE/PNG"}, png),
        "/raw/pic.webp": (200, {}, png),
        "/fake.png": (200, {"content-type": "image/png"}, b"<html>not an image</html>"),
        "/page": (200, {"content-type": "text/html"}, b"<html>hello</html>"),
        "/unknown": (200, {}, b"plain words"),
        "/hop": (302, {"location": "/img/source.png"}, b""),
        "/loop": (302, {"location": "/loop"}, b""),
        "/to-file": (302, {"location": "file:///etc/passwd"}, b""),
        "/big": (200, {"content-type": "image/png", "content-length": "99999999"}, b""),
        "/boom": (503, {}, b"down"),
    }
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_remote_payload_uses_origin_and_basename(remote: str) -> None:
    prepared = remote_payload(remote + "/img/source.png?sig=secret")
    payload = prepared.payload
    assert payload["source_kind"] == "remote_url"
    assert payload["filename"] == "source.png"
    assert payload["remote_origin"] == remote
    assert payload["mime_type"] == "image/png"
    assert base64.b64decode(payload["bytes_base64"]) == png_bytes()
    assert "authorization" not in _Handler.seen[-1]
    assert remote_payload(remote + "/img/").payload["filename"] == "img"
    assert remote_payload(remote + "/raw/pic.webp").payload["mime_type"] == "image/png"


def test_remote_redirects_are_followed_within_the_limit(remote: str) -> None:
    assert remote_payload(remote + "/hop").payload["filename"] == "hop"
    with pytest.raises(UploadError) as info:
        remote_payload(remote + "/loop")
    exit_code, code, error = failure_of(info)
    assert (exit_code, code) == (7, E.REMOTE_UPLOAD_FETCH_FAILED)
    assert "redirects" in error["message"]
    assert len(_Handler.seen) == 1 + 1 + C.REMOTE_FETCH_MAX_REDIRECTS + 1


def test_remote_redirect_to_a_non_http_scheme_fails(remote: str) -> None:
    with pytest.raises(UploadError) as info:
        remote_payload(remote + "/to-file")
    assert failure_of(info)[:2] == (7, E.REMOTE_UPLOAD_FETCH_FAILED)


@pytest.mark.parametrize(("path", "status"), [("/nothing-here", 404), ("/boom", 503)])
def test_remote_non_2xx(remote: str, path: str, status: int) -> None:
    with pytest.raises(UploadError) as info:
        remote_payload(remote + path)
    exit_code, code, error = failure_of(info)
    assert (exit_code, code) == (7, E.REMOTE_UPLOAD_FETCH_FAILED)
    assert error["message"] == f"could not fetch remote upload URL: HTTP {status}"
    assert error["retryable"] is True


def test_remote_oversize_by_header_and_by_stream(
    remote: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UploadError) as info:
        remote_payload(remote + "/big")
    assert failure_of(info)[:2] == (2, E.UPLOAD_TOO_LARGE)
    monkeypatch.setattr(C, "MAX_UPLOAD_BYTES", 10_000)
    with pytest.raises(UploadError) as info:
        remote_payload(remote + "/stream-big")
    assert failure_of(info)[:2] == (2, E.UPLOAD_TOO_LARGE)


def test_remote_claims_do_not_override_content(remote: str) -> None:
    fake = remote_payload(remote + "/fake.png")
    assert fake.payload["mime_type"] == UNKNOWN_BYTES_MIME
    assert remote_payload(remote + "/page").payload["mime_type"] == "text/html"
    with pytest.raises(UploadError) as info:
        remote_payload(remote + "/unknown")
    assert failure_of(info)[:2] == (2, E.UPLOAD_MIME_TYPE_UNKNOWN)


def test_remote_network_error_is_a_fetch_failure() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()  # nothing listens there any more
    with pytest.raises(UploadError) as info:
        remote_payload(f"http://127.0.0.1:{port}/x.png")
    assert failure_of(info)[:2] == (7, E.REMOTE_UPLOAD_FETCH_FAILED)


def test_invalid_url_is_an_argument_error() -> None:
    with pytest.raises(UploadError) as info:
        build_payload("http://")
    assert failure_of(info)[:2] == (2, E.INVALID_ARGUMENTS)


# -- resolve_input_asset -------------------------------------------------------------


def _finish(reply: Reply) -> Result:
    return as_cli(reply, UPLOAD_LABEL)


def _client(handler: Any, base_url: str = "http://127.0.0.1:9") -> ImageSkillClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ImageSkillClient(base_url=base_url, token="tok", http_client=http, max_retries=0)


def _no_request(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request {request.url}")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("image_abc123", "image_abc123"),
        ("https://media.image-skill.com/a/image_abc.png?x=1", "image_abc"),
        ("http://127.0.0.1:9/a/mask_m1.png", "mask_m1"),
    ],
)
def test_owned_references_need_no_upload(value: str, expected: str) -> None:
    assert resolve_input_asset(_client(_no_request), value, finish=_finish) == expected


def test_other_urls_and_paths_are_uploaded(tmp_path: Path) -> None:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        assert request.headers["authorization"] == "Bearer tok"
        return httpx.Response(
            200, json={"ok": True, "data": {"asset": {"asset_id": "image_new"}}, "error": None}
        )

    path = tmp_path / "in.jpg"
    path.write_bytes(png_bytes())
    warnings: list[str] = []
    assert (
        resolve_input_asset(_client(handler), str(path), finish=_finish, warnings=warnings)
        == "image_new"
    )
    assert sent[0]["mime_type"] == "image/png" and sent[0]["filename"] == "in.jpg"
    assert len(warnings) == 1


def test_upload_reply_without_asset_id(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "data": {"asset": {}}, "error": None})

    path = tmp_path / "in.png"
    path.write_bytes(png_bytes())
    with pytest.raises(UploadError) as info:
        resolve_input_asset(_client(handler), str(path), finish=_finish)
    exit_code, code, error = failure_of(info)
    assert (exit_code, code) == (9, E.UPLOAD_ASSET_ID_MISSING)
    assert error["retryable"] is True


def test_failed_upload_envelope_is_returned_unchanged(tmp_path: Path) -> None:
    denied = {
        "ok": False,
        "command": "image-skill upload",
        "error": {"code": "INPUT_POLICY_DENIED", "message": "no", "retryable": False},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json=denied, headers={"x-image-skill-exit-code": "6"})

    path = tmp_path / "in.png"
    path.write_text("text")
    with pytest.raises(UploadError) as info:
        resolve_input_asset(_client(handler), str(path), finish=_finish)
    assert info.value.result.exit_code == 6
    assert info.value.result.envelope == denied
