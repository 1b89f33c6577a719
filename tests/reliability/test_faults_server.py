"""The fault-injection server does each misbehaviour it promises (checked with httpx/socket)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from faults import Fault, FaultServer, ProxiedReply


@pytest.fixture
def fs() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def test_plain_json_reply_and_request_recording(fs: FaultServer) -> None:
    fs.script(
        "POST", "/v1/create", Fault.json({"ok": True, "data": {"x": 1}}, headers={"x-a": "b"})
    )
    reply = httpx.post(fs.url + "/v1/create?q=1", json={"prompt": "p"}, headers={"x-t": "1"})
    assert reply.status_code == 200
    assert reply.json() == {"ok": True, "data": {"x": 1}}
    assert reply.headers["x-a"] == "b"
    [seen] = fs.requests
    assert (seen.method, seen.path) == ("POST", "/v1/create?q=1")
    assert seen.headers["x-t"] == "1"
    assert seen.json() == {"prompt": "p"}


def test_unscripted_request_gets_the_default_and_queue_is_consumed_in_order(
    fs: FaultServer,
) -> None:
    fs.script("GET", "/a", Fault(status=201, body=b"one"), Fault(status=202, body=b"two"))
    assert [httpx.get(fs.url + "/a").status_code for _ in range(3)] == [201, 202, 599]
    assert httpx.get(fs.url + "/other").json()["error"]["code"] == "UNSCRIPTED"


def test_repeat_keeps_the_last_fault_and_star_matches_any_method(fs: FaultServer) -> None:
    fs.script("*", "/r", Fault(status=204), repeat=True)
    assert httpx.get(fs.url + "/r").status_code == 204
    assert httpx.post(fs.url + "/r/x").status_code == 204
    assert httpx.delete(fs.url + "/r").status_code == 204


def test_headers_such_as_an_out_of_contract_exit_code(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault.json({"ok": "false"}, headers=[("x-image-skill-exit-code", "42")]))
    reply = httpx.get(fs.url + "/")
    assert reply.headers["x-image-skill-exit-code"] == "42"
    assert reply.json() == {"ok": "false"}


def test_top_level_array_and_non_json(fs: FaultServer) -> None:
    fs.script("GET", "/arr", Fault.json([1, 2]))
    fs.script("GET", "/txt", Fault(body=b"<html>nope"))
    assert httpx.get(fs.url + "/arr").json() == [1, 2]
    assert httpx.get(fs.url + "/txt").content == b"<html>nope"


def test_content_length_longer_than_body_is_a_protocol_error(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault(body=b'{"ok": tr', content_length=500))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(fs.url + "/")


def test_content_length_shorter_than_body_truncates(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault(body=b'{"ok": true}', content_length=5))
    assert httpx.get(fs.url + "/").content == b'{"ok"'


def test_omitted_content_length_is_close_delimited(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault(body=b"abc", content_length=-1))
    reply = httpx.get(fs.url + "/")
    assert "content-length" not in reply.headers
    assert reply.content == b"abc"


def test_close_mid_body(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault(body=b"0123456789", close_after_bytes=4))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(fs.url + "/")


def test_reset_mid_body_and_reset_instead_of_reply(fs: FaultServer) -> None:
    fs.script("GET", "/mid", Fault(body=b"x" * 1000, close_after_bytes=10, reset_on_close=True))
    fs.script("GET", "/now", Fault(reset=True))
    for path in ("/mid", "/now"):
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            httpx.get(fs.url + path)


def test_drip_is_slow_but_complete(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault(body=b"abcdef", drip_interval=0.05, drip_size=2))
    started = time.monotonic()
    assert httpx.get(fs.url + "/").content == b"abcdef"
    assert time.monotonic() - started >= 0.1


def test_drip_defeats_a_per_read_timeout(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault(body=b"a" * 12, drip_interval=0.1))
    started = time.monotonic()
    reply = httpx.get(fs.url + "/", timeout=0.5)  # each read arrives in time
    assert reply.content == b"a" * 12
    assert time.monotonic() - started > 0.5


def test_hang_and_delay_before_headers(fs: FaultServer) -> None:
    fs.script("GET", "/hang", Fault(hang=True))
    fs.script("GET", "/slow", Fault(body=b"late", delay=0.3))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(fs.url + "/hang", timeout=0.3)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(fs.url + "/slow", timeout=0.1)
    fs.script("GET", "/slow", Fault(body=b"late", delay=0.2))
    assert httpx.get(fs.url + "/slow", timeout=2).content == b"late"


def test_huge_streamed_body(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault.huge(5 * 1024 * 1024))
    with httpx.stream("GET", fs.url + "/") as reply:
        assert sum(len(c) for c in reply.iter_bytes()) == 5 * 1024 * 1024


def test_redirects(fs: FaultServer) -> None:
    moved = Fault.redirect(fs.url + "/elsewhere", status=307)
    fs.script("POST", "/v1/create", moved, moved)
    fs.script("POST", "/elsewhere", Fault.json({"ok": True}))
    reply = httpx.post(fs.url + "/v1/create", json={"a": 1})
    assert reply.status_code == 307 and reply.headers["location"] == fs.url + "/elsewhere"
    followed = httpx.post(fs.url + "/v1/create", json={"a": 1}, follow_redirects=True)
    assert followed.json() == {"ok": True}
    assert fs.requests_to("/elsewhere")[0].json() == {"a": 1}


def test_chunked_request_body_is_recorded(fs: FaultServer) -> None:
    fs.script("POST", "/", Fault(status=200))

    def gen() -> Iterator[bytes]:
        yield b"hello "
        yield b"world"

    assert httpx.post(fs.url + "/", content=gen()).status_code == 200
    assert fs.requests[0].body == b"hello world"


def test_raw_socket_sees_the_exact_bytes(fs: FaultServer) -> None:
    fs.script("GET", "/", Fault(status=500, body=b"boom", headers={"x-k": "v"}))
    with socket.create_connection(("127.0.0.1", fs.port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"x-k: v\r\n" in data and b"content-length: 4\r\n" in data
    assert data.endswith(b"\r\n\r\nboom")


def test_proxy_relays_drops_replaces_and_edits() -> None:
    with FaultServer() as upstream:
        upstream.script(
            "*", "/", Fault.json({"ok": True, "n": 1}, headers={"x-u": "1"}), repeat=True
        )
        with FaultServer(upstream=upstream.url) as fs:
            assert httpx.post(fs.url + "/p", json={"q": 1}).json() == {"ok": True, "n": 1}
            fs.script("POST", "/p", Fault(proxy=True, drop_reply=True))
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.post(fs.url + "/p", json={"q": 2})
            fs.script("POST", "/p", Fault(proxy=True, replace=True, status=502, body=b"gone"))
            replaced = httpx.post(fs.url + "/p", json={"q": 3})
            assert (replaced.status_code, replaced.content) == (502, b"gone")

            def flip(reply: ProxiedReply) -> ProxiedReply:
                value = json.loads(reply.body)
                value["ok"] = "false"
                return ProxiedReply(reply.status, reply.headers, json.dumps(value).encode())

            fs.script("POST", "/p", Fault(proxy=True, edit=flip, headers={"x-extra": "e"}))
            edited = httpx.post(fs.url + "/p", json={"q": 4})
            assert edited.json() == {"ok": "false", "n": 1}
            assert edited.headers["x-u"] == "1" and edited.headers["x-extra"] == "e"
            fs.script("POST", "/p", Fault(proxy=True, close_after_bytes=3))
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.post(fs.url + "/p", json={"q": 5})
        # every request reached the upstream (the spend happened there), body intact
        assert [r.json()["q"] for r in upstream.requests] == [1, 2, 3, 4, 5]
