"""Properties of the reply mapping: any status, any body bytes, any exit-code header.

``ImageSkillClient.request`` must always come back with a :class:`Result` whose envelope is
a dict holding ``ok``, whose exit code is 0-255 and is 0 exactly when the envelope says
``"ok": true``, and whose envelope prints as one strict JSON document. The CLI end is the
same question asked of ``image-skill whoami`` against a loopback server serving those replies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calltools import as_cli
from clitools import invoke
from image_skill.api.client import ImageSkillClient
from image_skill.cli.calls import status_exit_code
from image_skill.cli.output import dumps

EXIT_HEADER = "x-image-skill-exit-code"
STATUSES = st.one_of(
    st.sampled_from([100, 101, 200, 201, 204, 301, 302, 304, 400, 401, 402, 403, 404, 405]),
    st.sampled_from([409, 422, 429, 500, 502, 503, 504, 507, 599]),
    st.integers(min_value=200, max_value=599),
)

_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63), 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def _encode(value: Any) -> bytes:
    # Python's encoder writes NaN/Infinity tokens, as some servers do.
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


@st.composite
def _envelopes(draw: st.DrawFn) -> bytes:
    """A JSON object with ``ok`` (any JSON value, usually a boolean) and random extra keys."""
    body: dict[str, Any] = draw(st.dictionaries(st.text(max_size=10), _JSON, max_size=5))
    body["ok"] = draw(st.booleans() | _JSON_SCALARS | _JSON)
    for key in draw(st.sets(st.sampled_from(["command", "trace_id", "data", "error"]))):
        body[key] = draw(_JSON)
    return _encode(body)


def _nested(depth: int) -> bytes:
    return b'{"ok": true, "data": ' + b"[" * depth + b"]" * depth + b"}"


BODIES = st.one_of(
    _envelopes(),
    _JSON.map(_encode),  # JSON non-objects and objects without ``ok``
    st.sampled_from(
        [
            b"",
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            b'{"ok": true, "data": "\xff\xfe broken utf-8"}',
            b"\xef\xbb\xbf" + b'{"ok": false, "error": null}',  # BOM
            b'{"ok": false, "n": 1e400, "m": -1e400}',
            b'{"ok": true, "n": ' + b"9" * 5000 + b"}",  # past the int digit limit
            b'{"ok": true, "n": NaN, "i": Infinity}',
            b'{"ok": true}{"ok": false}',
            b"[1, 2, 3]",
            b"null",
            _nested(50),
            _nested(500),
            _nested(100_000),
        ]
    ),
    st.binary(max_size=64),
)
HEADERS = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=9).map(str),
    st.integers(min_value=-300, max_value=100_000).map(str),
    st.sampled_from(["", " ", "abc", "3.7", "1e400", "inf", "-inf", "nan", "0x10", "7 "]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8),
)


def _strict_loads(text: str) -> Any:
    def reject(token: str) -> Any:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=reject)


def _check_result(envelope: Any, exit_code: int) -> None:
    assert isinstance(envelope, dict) and "ok" in envelope
    # Only the contract's codes come back from a reply, whatever the server's header says.
    assert isinstance(exit_code, int) and 0 <= exit_code <= 9
    assert (exit_code == 0) is (envelope["ok"] is True), (envelope.get("ok"), exit_code)
    printed = dumps(envelope)
    assert printed.endswith("\n")
    assert isinstance(_strict_loads(printed), dict)  # exactly one strict JSON document


def _never_sleep(seconds: float) -> None:
    raise AssertionError(f"max_retries=0 must not sleep ({seconds}s)")


@given(status=STATUSES, body=BODIES, header=HEADERS, method=st.sampled_from(["GET", "POST"]))
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_any_reply_maps_to_a_consistent_result(
    status: int, body: bytes, header: str | None, method: str
) -> None:
    headers = {} if header is None else {EXIT_HEADER: header}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with ImageSkillClient(
        base_url="http://api.test", token="t", max_retries=0, http_client=http, sleep=_never_sleep
    ) as client:
        result = as_cli(client.request(method, "/v1/whoami", json=None), "image-skill whoami")
    http.close()
    _check_result(result.envelope, result.exit_code)
    if result.envelope["ok"] is not True:
        named = int(header) if header is not None and header.strip().isdigit() else None
        if named is not None and 1 <= named <= 9:
            # The header names the failure's code when it is one of the contract's codes.
            assert result.exit_code == named
        elif header is None or named is not None:
            # No header, 0 (which would read as success) or a code outside 0-9: the status.
            assert result.exit_code == status_exit_code(status)


def test_the_rules_the_properties_rest_on() -> None:
    """Spelled-out cases: a few of the replies the property above draws from."""

    def run(status: int, body: bytes, header: str | None = None) -> tuple[dict[str, Any], int]:
        headers = {} if header is None else {EXIT_HEADER: header}
        http = httpx.Client(
            transport=httpx.MockTransport(
                lambda r: httpx.Response(status, content=body, headers=headers)
            )
        )
        with ImageSkillClient(base_url="http://api.test", max_retries=0, http_client=http) as c:
            result = as_cli(c.request("GET", "/v1/whoami"), "image-skill whoami")
        return result.envelope, result.exit_code

    # ok:true is success whatever the header says; a bogus header never crashes.
    assert run(200, b'{"ok": true}', "3")[1] == 0
    assert run(200, b'{"ok": true}', "inf")[1] == 0
    # An ``ok`` that is not the boolean true is a failure, even with a 0 header.
    assert run(200, b'{"ok": "false"}', "0")[1] == 1
    assert run(401, b'{"ok": 1}')[1] == 3
    # Header values outside the contract's 0-9 and unparseable ones fall back to the status.
    failed = b'{"ok": false, "error": {"code": "X", "message": "m", "retryable": false}}'
    assert run(400, failed, "258")[1] == 1
    assert run(400, failed, "42")[1] == 1
    assert run(502, failed, "42")[1] == 7
    assert run(403, failed, "130")[1] == 3
    assert run(502, failed, "1e400")[1] == 7
    assert run(422, failed, "6")[1] == 6
    # Nesting too deep to print is treated as a reply without an envelope.
    envelope, code = run(200, _nested(100_000))
    assert envelope["error"]["code"] == "HOSTED_API_NON_JSON_RESPONSE" and code == 1
    envelope, code = run(503, _nested(500))
    assert envelope["error"]["code"] == "HOSTED_API_NON_JSON_RESPONSE" and code == 7
    envelope, code = run(200, _nested(50))
    assert json.dumps(envelope["data"]) == "[" * 50 + "]" * 50 and code == 0  # relayed as sent


# ------------------------------------------------------------------ the CLI end


class _Reply:
    """What the loopback server answers; the test rewrites it for every example."""

    status = 200
    body = b""
    header: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        no_body = _Reply.status in (204, 304)
        self.send_response(_Reply.status)
        if _Reply.header is not None:
            self.send_header(EXIT_HEADER, _Reply.header)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "0" if no_body else str(len(_Reply.body)))
        self.send_header("connection", "close")
        self.end_headers()
        if not no_body:
            self.wfile.write(_Reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def loopback() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The CLI's clients record their retry delays instead of sleeping."""
    sleeps: list[float] = []
    original = ImageSkillClient.__init__

    def init(self: ImageSkillClient, **kwargs: Any) -> None:
        kwargs["sleep"] = sleeps.append
        original(self, **kwargs)

    monkeypatch.setattr(ImageSkillClient, "__init__", init)
    return sleeps


CLI_HEADERS = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=9).map(str),
    st.sampled_from(["", "abc", "inf", "nan", "2.5"]),
)


@given(
    status=st.integers(min_value=200, max_value=599),
    body=BODIES,
    header=CLI_HEADERS,
)
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_whoami_prints_one_envelope_whatever_the_server_sends(
    loopback: str, recorded_sleeps: list[float], status: int, body: bytes, header: str | None
) -> None:
    _Reply.status, _Reply.body, _Reply.header = status, body, header
    result = invoke("whoami", "--token", "x", "--api-base-url", loopback)
    assert 0 <= result.exit_code <= 9, (result.exit_code, result.stdout)
    envelope = _strict_loads(result.stdout)  # one document, nothing else on stdout
    assert result.stdout.endswith("\n")
    assert isinstance(envelope, dict) and "ok" in envelope
    assert (result.exit_code == 0) is (envelope["ok"] is True)
