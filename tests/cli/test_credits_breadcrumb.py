"""credits buy spends money: it writes an in-flight breadcrumb and keeps it until the
outcome is known, and every recovery reuses the same idempotency key."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clitools import invoke
from spendtools import LOCAL, signup


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    return path


def _in_flight(cfg):
    folder = cfg.parent / "in-flight"
    return sorted(folder.glob("*.json")) if folder.exists() else []


def test_buy_announces_and_clears_its_breadcrumb(cfg):
    signup()
    quote = invoke(
        "credits",
        "quote",
        "--pack",
        "starter-500",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        "bc-q",
        *LOCAL,
    )
    quote_id = quote.data["quote_id"]
    bought = invoke(
        "credits",
        "buy",
        "--provider",
        "stripe",
        "--quote-id",
        quote_id,
        "--idempotency-key",
        "bc-buy",
        *LOCAL,
    )
    assert bought.exit_code == 0, bought.stdout
    notice = json.loads(bought.stderr.strip().splitlines()[-1])
    assert notice["in_flight"]["idempotency_key"] == "bc-buy"
    assert _in_flight(cfg) == []


class _Broken(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"<html>upstream exploded</html>"
        self.send_response(502)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_unknown_outcome_keeps_breadcrumb_and_key(cfg):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        res = invoke(
            "credits",
            "buy",
            "--provider",
            "stripe_x402",
            "--quote-id",
            "quote_x",
            "--idempotency-key",
            "bc-keep",
            "--token",
            "isk_r_fake",
            "--api-base-url",
            f"http://127.0.0.1:{server.server_address[1]}",
        )
    finally:
        server.shutdown()
    assert res.code == "HOSTED_API_NON_JSON_RESPONSE"
    recovery = res.json["error"]["recovery"]
    assert recovery["idempotency_key"] == "bc-keep"
    assert "--idempotency-key bc-keep" in recovery["suggested_command"]
    crumbs = _in_flight(cfg)
    assert len(crumbs) == 1
    saved = json.loads(crumbs[0].read_text())
    assert saved["idempotency_key"] == "bc-keep"
    assert "isk_r_fake" not in crumbs[0].read_text()
