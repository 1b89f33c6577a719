"""The transports' TLS context: CA certificates load at the first handshake, never before,
and a certificate is still verified (against a TLS server on a loopback port)."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from image_skill.api.client import ImageSkillClient
from image_skill.api.deadline import deadline_transport
from image_skill.api.tls import LazyVerifyingContext, lazy_verifying_context

SETTINGS = ("verify_mode", "check_hostname", "verify_flags", "options", "minimum_version")


def _context_of(transport: httpx.BaseTransport) -> ssl.SSLContext:
    context = transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context


def test_lazy_context_is_httpxs_default_context_once_loaded() -> None:
    lazy = lazy_verifying_context()
    reference = httpx.create_ssl_context()
    assert {name: getattr(lazy, name) for name in SETTINGS} == {
        name: getattr(reference, name) for name in SETTINGS
    }
    assert lazy.verify_mode == ssl.CERT_REQUIRED and lazy.check_hostname
    assert not lazy.loaded
    assert lazy.cert_store_stats()["x509_ca"] == 0
    lazy.load_ca_certificates()
    lazy.load_ca_certificates()  # idempotent: no duplicate certificates
    assert lazy.loaded
    assert lazy.get_ca_certs() == reference.get_ca_certs()
    assert lazy.cert_store_stats() == reference.cert_store_stats()


def test_transport_is_built_without_loading_any_ca_certificate() -> None:
    context = _context_of(deadline_transport())
    assert isinstance(context, LazyVerifyingContext)
    assert not context.loaded


def test_http_base_url_client_never_loads_the_ca_bundle(served_base: str) -> None:
    with ImageSkillClient(base_url=served_base) as client:
        assert client.health().ok
        context = _context_of(client._http._transport)
        assert isinstance(context, LazyVerifyingContext)
        assert not context.loaded


@pytest.fixture
def served_base(tmp_path: Path) -> Iterator[str]:
    from image_skill.local.server import serve_in_thread
    from image_skill.local.settings import LocalSettings

    with serve_in_thread(LocalSettings(data_dir=tmp_path / "data")) as (base, _stop):
        yield base


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; (url, certificate)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, *args: object) -> None:
            pass  # the refused handshakes of the verification test

    server = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", cert
    finally:
        server.shutdown()
        server.server_close()


def test_https_still_verifies_the_certificate(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _cert = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    transport = deadline_transport()
    with httpx.Client(transport=transport) as http, pytest.raises(httpx.ConnectError) as caught:
        http.get(url)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert isinstance(_context_of(transport), LazyVerifyingContext)
    assert _context_of(transport).loaded  # the handshake loaded certifi's bundle first


def test_https_trusts_ssl_cert_file_like_httpx(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with httpx.Client(transport=deadline_transport()) as http:
        assert http.get(url).text == "ok"
    # trust_env=False ignores it, as httpx does.
    with (
        httpx.Client(transport=deadline_transport(trust_env=False)) as http,
        pytest.raises(httpx.ConnectError),
    ):
        http.get(url)
