"""Uploads stream the file: the same body bytes as before, progress while it is sent, a retry
that sends the whole file again, and a file that changes mid-upload is refused."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from calltools import as_cli
from clitools import SIGNUP, invoke
from faults import Fault, FaultServer
from image_skill import envelope as E
from image_skill.api.client import ImageSkillClient
from image_skill.api.wire import json_body
from image_skill.files.upload_body import CHUNK, UploadBody
from image_skill.files.uploads import UPLOAD_LABEL, build_payload, upload
from spendtools import LOCAL
from upstreamtools import local_serve


def noise_png(path: Path, side: int) -> bytes:
    """An uncompressed PNG of random pixels: about ``3 * side * side`` bytes."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def expected_body(data: bytes, filename: str, mime: str = "image/png") -> bytes:
    """What the client sent before streaming: json_body of the whole payload dict."""
    return json_body(
        {
            "source_kind": "local_path",
            "filename": filename,
            "remote_origin": None,
            "mime_type": mime,
            "content_length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes_base64": base64.b64encode(data).decode("ascii"),
        }
    )


@pytest.mark.parametrize("size", [0, 1, 2, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 2])
def test_streamed_body_is_byte_for_byte_the_json_body(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "café.png"  # non-ASCII names are sent raw, as json_body does
    path.write_bytes(data)
    fields = {
        "source_kind": "local_path",
        "filename": path.name,
        "remote_origin": None,
        "mime_type": "image/png",
        "content_length": size,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    want = expected_body(data, path.name)
    for body in (UploadBody(fields, path=path), UploadBody(dict(fields), data=data)):
        first, again = b"".join(body), b"".join(body)  # iterating again starts over
        assert first == want and again == want
        assert body.length == len(want)


def test_a_local_upload_reports_progress_and_the_backend_keeps_the_same_bytes(
    account: Path, tmp_path: Path
) -> None:
    data = noise_png(tmp_path / "noise.png", 300)  # ~270 kB: two chunks
    seen: list[tuple[int, int | None]] = []
    with ImageSkillClient(base_url="local") as client:
        result = upload(
            client,
            str(tmp_path / "noise.png"),
            finish=lambda reply: as_cli(reply, UPLOAD_LABEL),
            progress=lambda done, total: seen.append((done, total)),
        )
    assert result.ok, result.envelope
    assert result.data["upload"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert seen[0] == (0, len(data)) and seen[-1] == (len(data), len(data))
    dones = [done for done, _ in seen]
    assert dones == sorted(dones) and len(seen) >= 1 + len(data) // CHUNK
    got = invoke("assets", "get", result.data["asset"]["asset_id"], "--output", "back.png", *LOCAL)
    assert got.exit_code == 0, got.stdout
    assert (tmp_path / "back.png").read_bytes() == data


@pytest.mark.parametrize("first", ["503 with Retry-After", "307 to the same origin"])
def test_a_resent_upload_sends_the_whole_file_again(tmp_path: Path, first: str) -> None:
    data = noise_png(tmp_path / "big.png", 400)  # ~480 kB
    with local_serve(tmp_path / "served") as base, FaultServer(upstream=base) as proxy:
        assert invoke(*SIGNUP, "--api-base-url", proxy.url).exit_code == 0
        if first.startswith("503"):
            error = {"code": "RATE_LIMITED", "message": "busy", "retryable": True}
            reply = Fault.json(
                {"ok": False, "error": error}, status=503, headers=[("retry-after", "0")]
            )
        else:
            reply = Fault.redirect(f"{proxy.url}/v1/upload", status=307)
        proxy.script("POST", "/v1/upload", reply)
        res = invoke("upload", str(tmp_path / "big.png"), "--api-base-url", proxy.url)
        sent = proxy.requests_to("/v1/upload", "POST")
    assert res.exit_code == 0, res.stdout
    assert res.data["upload"]["sha256"] == hashlib.sha256(data).hexdigest()
    want = expected_body(data, "big.png")
    assert len(sent) == 2  # the scripted reply, then the real upload: both carry the file
    for request in sent:
        assert request.body == want
        assert request.headers["content-length"] == str(len(want))
        assert "transfer-encoding" not in request.headers
    assert res.stderr == ""


@pytest.mark.parametrize("change", ["shrink", "rewrite"])
def test_a_file_that_changes_while_it_is_sent_is_refused(
    account: Path, tmp_path: Path, change: str
) -> None:
    path = tmp_path / "moving.png"
    data = noise_png(path, 300)

    def meddle(done: int, total: int | None) -> None:
        if done == 0:  # the scan is over and sending has started
            if change == "shrink":
                path.write_bytes(data[: len(data) // 2])
            else:
                path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))

    with ImageSkillClient(base_url="local") as client:
        result = upload(
            client, str(path), finish=lambda reply: as_cli(reply, UPLOAD_LABEL), progress=meddle
        )
    assert result.exit_code == 9 and result.error is not None
    assert result.error["code"] == E.INPUT_FILE_UNREADABLE
    assert "changed or could not be read while it was sent" in result.error["message"]
    assert result.error["recovery"]["path"] == str(path)


def test_payload_still_gives_the_whole_dict(tmp_path: Path) -> None:
    data = noise_png(tmp_path / "p.png", 20)
    payload = build_payload(str(tmp_path / "p.png")).payload
    assert json_body(payload) == expected_body(data, "p.png")


@pytest.mark.parametrize("mode", [(), ("--human",)])
def test_no_bar_when_stderr_is_not_a_terminal(
    account: Path, tmp_path: Path, mode: tuple[str, ...]
) -> None:
    noise_png(tmp_path / "quiet.png", 300)
    res = invoke(*mode, "upload", "quiet.png", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.stderr == ""
