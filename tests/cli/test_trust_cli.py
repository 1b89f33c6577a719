"""`image-skill trust` end to end: in-process local backend, and a loopback server that serves
npm-style metadata and the three contract docs while relaying /healthz and /v1/models to the
local backend. Also public_get fault injection (MockTransport, no real sleeps)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest

from clitools import invoke
from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.api.client import ImageSkillClient
from image_skill.local import make_in_process_transport
from image_skill.trust import packet as T

DOCS = {
    "/skill.md": b"# Test skill\n\nA short skill text served by the test.\n",
    "/llms.txt": "\ufefftest llms index \u2014 caf\u00e9\n".encode(),
    "/cli.md": b"# Test CLI reference\n",
}
NPM_DOC = {
    "name": "image-skill",
    "version": "0.1.30",
    "gitHead": "0123456789abcdef0123456789abcdef01234567",
    "repository": {"type": "git", "url": "git+https://github.com/example/image-skill-cli.git"},
    "dist": {
        "integrity": "sha512-test",
        "tarball": "http://example.invalid/image-skill-0.1.30.tgz",
        "attestations": {"url": "http://example.invalid/attestations/image-skill@0.1.30"},
    },
}


@dataclass
class Loopback:
    base: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    backend = httpx.Client(transport=make_in_process_transport(), base_url=IN_PROCESS_ORIGIN)
    seen: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, ctype, body, extra = self._answer()
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _answer(self) -> tuple[int, str, bytes, dict[str, str]]:
            if self.path == "/image-skill/0.1.30":
                return 200, "application/json", json.dumps(NPM_DOC).encode(), {}
            if self.path in DOCS:
                return 200, "text/markdown; charset=utf-8", DOCS[self.path], {}
            if self.path in ("/healthz", "/v1/models"):
                reply = backend.get(self.path)
                extra = {}
                if "x-image-skill-exit-code" in reply.headers:
                    extra["x-image-skill-exit-code"] = reply.headers["x-image-skill-exit-code"]
                return reply.status_code, "application/json", reply.content, extra
            return 404, "text/plain", b"not here", {}

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Loopback(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()
        backend.close()


def _sha(body: bytes) -> str:
    text = body.decode("utf-8")
    text = text[1:] if text.startswith("\ufeff") else text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_trust_against_loopback_is_verified(loopback: Loopback) -> None:
    res = invoke("trust", "--api-base-url", loopback.base, "--json")
    assert res.exit_code == 0, res.stdout
    env = res.json
    assert env["ok"] is True and env["command"] == "image-skill trust"
    data = env["data"]
    assert data["schema"] == "image-skill.trust-packet.v0"
    assert data["subject"]["api_base_url"] == loopback.base
    assert data["subject"]["npm_registry_url"] == loopback.base
    npm = data["npm_package"]
    assert npm["status"] == "verified"
    assert npm["registry_url"] == loopback.base + "/image-skill/0.1.30"
    assert npm["git_head"] == NPM_DOC["gitHead"] and npm["dist_integrity"] == "sha512-test"
    assert npm["attestation"]["status"] == "available"
    assert data["public_repo"]["url"] == "https://github.com/example/image-skill-cli"
    contracts = data["hosted_contracts"]
    assert contracts["status"] == "verified"
    for item, (path, body) in zip(contracts["contracts"], DOCS.items(), strict=True):
        assert item["url"] == loopback.base + path
        assert item["status"] == "verified" and item["http_status"] == 200
        assert item["content_sha256"] == _sha(body)
        assert item["bytes"] == len(body) - (3 if body.startswith(b"\xef\xbb\xbf") else 0)
    assert data["hosted_api"]["status"] == "reachable"
    assert data["hosted_api"]["url"] == loopback.base + "/healthz"
    registry = data["model_registry"]
    assert registry["status"] == "available"
    assert registry["availability_summary"]["executable"] > 0
    assert "local" in registry["availability_summary"]["providers"]
    assert data["summary"]["status"] == "usable_with_warnings"
    # Only the always-on studies warning and the catalog-only count remain.
    assert env["warnings"][-1] == T.STUDY_WARNING
    assert all("npm" not in w and "contract" not in w for w in env["warnings"])
    commands = [row["command"] for row in data["safe_commands"]]
    assert all(f"--api-base-url {loopback.base}" in c for c in commands)
    assert not any("npx" in c for c in commands)


def test_trust_sends_no_token_and_reads_no_config(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupt = tmp_path / "config.json"
    corrupt.write_text("{not json")  # any read of the config would fail loudly
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(corrupt))
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", "isk_env_secret")
    res = invoke("trust", "--api-base-url", loopback.base, "--token-stdin", input="isk_piped\n")
    assert res.exit_code == 0, res.stdout
    res2 = invoke("trust", "--api-base-url", loopback.base, "--token", "isk_flag")
    assert res2.exit_code == 0, res2.stdout
    for out in (res.stdout, res2.stdout):
        assert "isk_" not in out
    paths = [path for path, _ in loopback.requests]
    assert sorted(set(paths)) == sorted(
        ["/image-skill/0.1.30", "/skill.md", "/llms.txt", "/cli.md", "/healthz", "/v1/models"]
    )
    assert all("authorization" not in headers for _, headers in loopback.requests)
    accepts = {path: headers.get("accept") for path, headers in loopback.requests}
    assert accepts["/image-skill/0.1.30"] == T.NPM_ACCEPT
    assert accepts["/skill.md"] == T.DOCS_ACCEPT
    assert accepts["/healthz"] == "application/json"


def test_trust_on_local_backend_reports_missing_docs_honestly() -> None:
    res = invoke("trust", "--api-base-url", "local")
    assert res.exit_code == 0, res.stdout
    data = res.data
    assert data["subject"]["api_base_url"] == "local"
    assert data["npm_package"]["status"] == "not_available_yet"
    assert data["npm_package"]["error"]["code"] == "PUBLIC_FETCH_FAILED"
    contracts = data["hosted_contracts"]
    assert contracts["status"] == "unreachable"
    assert {c["http_status"] for c in contracts["contracts"]} == {404}
    assert data["hosted_api"]["reachable"] is True
    assert data["model_registry"]["status"] == "available"
    assert data["summary"]["status"] == "usable_with_warnings"
    assert res.json["warnings"][0].startswith("npm metadata for image-skill@0.1.30")
    assert "--api-base-url local" in data["safe_commands"][0]["command"]
    py = data["python_package"]
    assert py["name"] == "image-skill" and py["version"] == metadata.version("image-skill")
    assert py["source"] == "importlib.metadata"
    assert isinstance(py["editable"], bool) and isinstance(py["direct_url_install"], bool)
    assert "module_path" not in py
    assert data["redaction"]["private_paths_included"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--foo", "bar", "--json", "--baz=1", "--foo"],
            "unsupported flags for trust: --foo, --baz",
        ),
        (["--summary", "extra"], "unsupported flags for trust: --summary"),
        (["extra"], "trust does not accept positional arguments"),
        (["--json", "-x"], "trust does not accept positional arguments"),
        (["--token"], "--token requires a value"),
        (["--token", "t", "--token-stdin"], "use either --token or --token-stdin, not both"),
    ],
)
def test_trust_argument_errors(loopback: Loopback, args: list[str], message: str) -> None:
    res = invoke("trust", "--api-base-url", loopback.base, *args, input="isk_x\n")
    assert res.exit_code == 2
    assert res.code == "INVALID_ARGUMENTS" and res.json["command"] == "image-skill trust"
    assert res.json["error"]["message"] == message
    assert loopback.requests == []


def test_trust_token_stdin_empty_is_auth_required(loopback: Loopback) -> None:
    res = invoke("trust", "--api-base-url", loopback.base, "--token-stdin", input="  \n")
    assert res.exit_code == 3 and res.code == "AUTH_REQUIRED"
    assert "recovery" not in res.json["error"]
    assert loopback.requests == []


def test_trust_help_entry() -> None:
    res = invoke("trust", "--help")
    assert res.exit_code == 0
    assert res.data["usage"] == "image-skill trust --json"
    assert res.data["docs_url"].endswith("#image-skill-trust")
    assert res.data["description"]


# -- public_get fault injection --------------------------------------------------------
def _client(handler: Any, sleeps: list[float]) -> ImageSkillClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ImageSkillClient(base_url="http://api.test", http_client=http, sleep=sleeps.append)


def test_public_get_retries_busy_replies_then_decodes() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, content=b"\xef\xbb\xbfok \xff")

    sleeps: list[float] = []
    fetch = _client(handler, sleeps).public_get("http://docs.test/a.md", accept="text/plain")
    assert fetch.ok and fetch.status_code == 200 and fetch.error is None
    assert fetch.text == "ok \ufffd"
    assert len(sleeps) == 2 and calls[0].headers["accept"] == "text/plain"
    assert "authorization" not in calls[0].headers


def test_public_get_failures_are_data() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sleeps: list[float] = []
    fetch = _client(refused, sleeps).public_get("http://docs.test/a.md", accept="*/*")
    assert not fetch.ok and fetch.status_code is None and fetch.text is None
    assert fetch.error is not None and fetch.error["code"] == "PUBLIC_FETCH_FAILED"
    assert fetch.error["retryable"] is True and "connection refused" in fetch.error["message"]
    assert len(sleeps) == 2

    def missing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="gone")

    fetch = _client(missing, []).public_get("http://docs.test/a.md", accept="*/*")
    assert fetch.status_code == 404 and fetch.text == "gone"
    assert fetch.error == {
        "code": "PUBLIC_FETCH_FAILED",
        "message": "public HTTP GET returned 404",
        "retryable": False,
    }
