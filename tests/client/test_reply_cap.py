"""The client reads at most MAX_REPLY_BYTES of a reply for its envelope (issue 8 point 3):
a longer body is not pulled further, and it counts as a reply without an envelope."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from calltools import as_cli
from image_skill.api.client import ImageSkillClient
from image_skill.api.wire import MAX_REPLY_BYTES

CHUNK = 64 * 1024


class _Counting(httpx.SyncByteStream):
    """50 MB of garbage in 64 KiB chunks, counting how many were pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(50 * 1024 * 1024 // CHUNK):
            self.pulled += 1
            yield b"\x00" * CHUNK


def _request(stream: _Counting, recovery: str | None = None, **kwargs: object) -> tuple[dict, int]:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, stream=stream)))
    with ImageSkillClient(base_url="http://api.test", max_retries=0, http_client=http) as client:
        reply = client.request("POST", "/v1/create", **kwargs)
    assert reply.outcome_unknown and reply.client_built
    result = as_cli(reply, "image-skill create", recovery)
    return result.envelope, result.exit_code


def test_a_huge_spend_reply_is_cut_at_the_cap_and_is_an_unknown_outcome() -> None:
    stream = _Counting()
    envelope, _ = _request(stream, "cmd", json={"idempotency_key": "k-1"}, idempotency_key="k-1")
    assert stream.pulled * CHUNK <= MAX_REPLY_BYTES + CHUNK
    error = envelope["error"]
    assert error["code"] == "HOSTED_API_NON_JSON_RESPONSE" and error["retryable"] is True
    assert error["recovery"]["idempotency_key"] == "k-1"
    assert error["recovery"]["suggested_command"] == "cmd"


def test_a_huge_read_reply_is_cut_too() -> None:
    stream = _Counting()
    envelope, code = _request(stream)
    assert stream.pulled * CHUNK <= MAX_REPLY_BYTES + CHUNK
    assert envelope["error"]["code"] == "HOSTED_API_NON_JSON_RESPONSE"
    assert envelope["error"]["retryable"] is False and code == 1
