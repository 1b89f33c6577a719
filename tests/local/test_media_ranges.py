"""Owned media is streamed from its file and honours one byte range (206, 416, If-Range)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import httpx
import pytest

from image_skill.local.routes.streaming import CHUNK, Unsatisfiable, parse_range
from image_skill.local.settings import LocalSettings
from image_skill.local.store.assets import store_asset
from image_skill.local.store.db import Store

EXIT = "x-image-skill-exit-code"
#: More than two chunks, not a multiple of the chunk size.
SIZE = 2 * CHUNK + 12_345


@pytest.fixture
def media(
    local_client: httpx.Client, local_settings: LocalSettings, signup: Any
) -> tuple[str, bytes]:
    """``(url, bytes)`` of an owned ``video/mp4`` asset bigger than two stream chunks."""
    token = signup(local_client)
    org = local_client.get("/v1/whoami", headers={"authorization": f"Bearer {token}"}).json()[
        "data"
    ]["organization"]["organization_id"]
    data = b"\x00\x00\x00\x18ftypmp42" + os.urandom(SIZE - 12)
    with Store(local_settings).connection() as conn:
        row = store_asset(
            conn,
            local_settings,
            organization_id=org,
            job_id=None,
            kind="uploaded",
            data=data,
            mime_type="video/mp4",
        )
    return f"/a/{row['asset_id']}.mp4", data


def test_whole_file_is_streamed_exactly_and_announces_ranges(
    local_client: httpx.Client, media: tuple[str, bytes]
) -> None:
    url, data = media
    reply = local_client.get(url)
    assert reply.status_code == 200
    assert reply.content == data
    assert reply.headers["content-length"] == str(SIZE)
    assert reply.headers["accept-ranges"] == "bytes"
    assert reply.headers["x-image-skill-sha256"] == hashlib.sha256(data).hexdigest()
    assert "content-range" not in reply.headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 1),
        ("bytes=10-99", 10, 100),
        (f"bytes={CHUNK - 5}-{CHUNK + 5}", CHUNK - 5, CHUNK + 6),  # across a chunk edge
        (f"bytes={CHUNK}-", CHUNK, SIZE),
        ("bytes=-50", SIZE - 50, SIZE),
        (f"bytes=-{SIZE + 10}", 0, SIZE),  # a suffix longer than the file is all of it
        (f"bytes=5-{SIZE * 3}", 5, SIZE),  # the last byte is clamped to the end
        (f"BYTES = {SIZE - 1} - ", SIZE - 1, SIZE),
    ],
)
def test_one_range_gives_206_with_exactly_those_bytes(
    local_client: httpx.Client, media: tuple[str, bytes], header: str, start: int, end: int
) -> None:
    url, data = media
    reply = local_client.get(url, headers={"range": header})
    assert reply.status_code == 206, reply.text[:200]
    assert reply.content == data[start:end]
    assert reply.headers["content-length"] == str(end - start)
    assert reply.headers["content-range"] == f"bytes {start}-{end - 1}/{SIZE}"
    # The validators still describe the whole asset.
    assert reply.headers["x-image-skill-sha256"] == hashlib.sha256(data).hexdigest()
    assert reply.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 7}-{SIZE + 9}", "bytes=-0"])
def test_a_range_past_the_end_is_416_with_the_size(
    local_client: httpx.Client, media: tuple[str, bytes], header: str
) -> None:
    url, _data = media
    reply = local_client.get(url, headers={"range": header})
    assert reply.status_code == 416
    assert reply.headers["content-range"] == f"bytes */{SIZE}"
    assert reply.headers[EXIT] == "2"
    envelope = reply.json()
    assert envelope["ok"] is False and envelope["error"]["code"] == "INVALID_ARGUMENTS"
    assert str(SIZE) in envelope["error"]["message"]


@pytest.mark.parametrize(
    "header", ["bytes=abc", "items=0-10", "bytes=0-1,5-6", "bytes=50-10", "bytes=-", "bytes"]
)
def test_a_range_this_server_does_not_use_is_ignored(
    local_client: httpx.Client, media: tuple[str, bytes], header: str
) -> None:
    url, data = media
    reply = local_client.get(url, headers={"range": header})
    assert reply.status_code == 200
    assert reply.content == data
    assert "content-range" not in reply.headers


def test_if_range_honours_the_range_only_for_the_current_etag(
    local_client: httpx.Client, media: tuple[str, bytes]
) -> None:
    url, data = media
    etag = local_client.head(url).headers["etag"]
    same = local_client.get(url, headers={"range": "bytes=0-9", "if-range": etag})
    assert same.status_code == 206 and same.content == data[:10]
    other = local_client.get(url, headers={"range": "bytes=0-9", "if-range": '"stale"'})
    assert other.status_code == 200 and other.content == data


def test_head_reports_the_range_without_a_body(
    local_client: httpx.Client, media: tuple[str, bytes]
) -> None:
    url, _data = media
    whole = local_client.head(url)
    assert whole.status_code == 200 and whole.content == b""
    assert whole.headers["content-length"] == str(SIZE)
    part = local_client.head(url, headers={"range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == b""
    assert part.headers["content-length"] == "100"
    assert part.headers["content-range"] == f"bytes 100-199/{SIZE}"


def test_if_none_match_still_wins_over_a_range(
    local_client: httpx.Client, media: tuple[str, bytes]
) -> None:
    url, _data = media
    etag = local_client.head(url).headers["etag"]
    reply = local_client.get(url, headers={"if-none-match": etag, "range": "bytes=0-9"})
    assert reply.status_code == 304 and reply.content == b""


def test_a_file_that_no_longer_matches_its_row_is_refused(
    local_client: httpx.Client, media: tuple[str, bytes], local_settings: LocalSettings
) -> None:
    url, _data = media
    path = local_settings.media_dir / url.rsplit("/", 1)[1]
    with path.open("ab") as handle:
        handle.write(b"extra")
    reply = local_client.get(url, headers={"range": "bytes=0-9"})
    assert reply.status_code == 500
    assert reply.json()["error"]["code"] == "LOCAL_BACKEND_FAILED"
    path.unlink()
    assert local_client.get(url).status_code == 404


def test_parse_range_edges() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-", 10) == (0, 10)
    assert parse_range("bytes=9-9", 10) == (9, 10)
    assert parse_range("bytes=" + "1" * 300 + "-", 10) is None  # absurdly long: ignored
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=0-", 0)  # nothing of an empty file can be sent
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-5", 0)
