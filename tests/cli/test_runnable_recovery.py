"""A server's suggested command is relayed as written; when it would not run as printed here
(another program prefix, or the explicit --api-base-url missing), the CLI adds
error.recovery.runnable_command next to it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clitools import invoke

SERVER_COMMAND = "image-skill credits methods --json"


class _Quota402(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps(
            {
                "ok": False,
                "command": "image-skill quota",
                "trace_id": "trace_0000000000000000",
                "actor": None,
                "data": None,
                "warnings": [],
                "error": {
                    "code": "QUOTA_EXCEEDED",
                    "message": "no credits left",
                    "retryable": False,
                    "recovery": {"suggested_command": SERVER_COMMAND},
                },
            }
        ).encode()
        self.send_response(402)
        self.send_header("content-type", "application/json")
        self.send_header("x-image-skill-exit-code", "5")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Quota402)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_explicit_base_url_is_added_and_server_text_kept(server, monkeypatch):
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "image-skill")
    res = invoke("quota", "--token", "x", "--api-base-url", server)
    assert res.exit_code == 5
    recovery = res.json["error"]["recovery"]
    assert recovery["suggested_command"] == SERVER_COMMAND
    assert recovery["runnable_command"] == (
        f"image-skill credits methods --api-base-url {server} --json"
    )


def test_other_prefix_is_swapped_in(server, monkeypatch):
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "/opt/py -m image_skill")
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", server)
    res = invoke("quota", "--token", "x")
    recovery = res.json["error"]["recovery"]
    assert recovery["suggested_command"] == SERVER_COMMAND
    assert recovery["runnable_command"] == "/opt/py -m image_skill credits methods --json"


def test_nothing_added_when_the_command_already_runs_here(server, monkeypatch):
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "image-skill")
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", server)
    res = invoke("quota", "--token", "x")
    assert "runnable_command" not in res.json["error"]["recovery"]
