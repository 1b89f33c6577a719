"""`models` and `capabilities` against the in-process local backend (and a recorder)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from clitools import invoke
from image_skill.cli.summary import summary_row
from summarytools import SUMMARY_ROW_KEYS

LOCAL = ("--api-base-url", "local")


@pytest.fixture
def recorded() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback server that records requests and answers an empty models list."""
    seen: list[dict[str, Any]] = []
    reply = json.dumps(
        {
            "ok": True,
            "command": "x",
            "trace_id": "trace_0",
            "actor": None,
            "data": {"models": []},
            "warnings": [],
            "error": None,
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append({"path": self.path, "headers": {k.lower() for k in self.headers}})
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_available_image_generate_returns_only_runnable_rows() -> None:
    res = invoke("models", "list", "--available", "--operation", "image.generate", *LOCAL)
    assert res.exit_code == 0
    rows = res.data["models"]
    assert rows
    for row in rows:
        assert row["status"] == "available"
        assert row["execution"]["model_execution_status"] == "executable"
        assert "image.generate" in row["operations"]
    summary = res.data["summary"]
    assert summary["returned"] == len(rows)
    # the unfiltered list also has non-runnable or other-operation rows
    everything = invoke("models", *LOCAL).data["models"]
    assert len(everything) > len(rows)


def test_summary_rows_through_our_renderer() -> None:
    full = invoke("models", "list", "--available", *LOCAL)
    res = invoke("models", "list", "--available", "--summary", *LOCAL)
    assert res.exit_code == 0
    assert res.data["summary"]["result_shape"] == "compact_model_summary"
    assert res.data["summary"]["full_list_command"].endswith(
        "models list --api-base-url local --json"
    )
    rows = res.data["models"]
    assert [row["id"] for row in rows] == [row["id"] for row in full.data["models"]]
    for row, model in zip(rows, full.data["models"], strict=True):
        assert list(row)[:5] == SUMMARY_ROW_KEYS[:5] and list(row) == SUMMARY_ROW_KEYS
        assert row["show_command"].endswith(
            f"models show {model['id']} --api-base-url local --json"
        )
        expected = summary_row(model, lambda argv: " ".join(argv))
        assert row["task_tags"] == expected["task_tags"]
        assert row["credits_required"] == model["economics"]["credit_pricing"]["credits_required"]
    # group-level flags work the same as on `list`
    bare = invoke("models", "--available", "--summary", *LOCAL)
    assert [row["id"] for row in bare.data["models"]] == [row["id"] for row in rows]


def test_show_default_and_not_found() -> None:
    listing = invoke("models", *LOCAL).data["models"]
    default_id = next(row["id"] for row in listing if row.get("default") is True)
    shown = invoke("models", "show", "default", *LOCAL)
    assert shown.exit_code == 0 and shown.json["command"] == "image-skill models show"
    assert shown.data["id"] == default_id and shown.data["model"]["default"] is True
    direct = invoke("models", "show", default_id, *LOCAL)
    assert direct.data["model"] == shown.data["model"]
    missing = invoke("models", "show", "nope", *LOCAL)
    assert missing.exit_code != 0 and missing.code == "MODEL_NOT_FOUND"
    assert "models list" in missing.json["error"]["recovery"]["suggested_command"]


def test_catalog_only_rows_never_run() -> None:
    res = invoke("models", "list", "--catalog-only", *LOCAL)
    assert res.exit_code == 0 and res.data["models"]
    assert all(
        row["execution"]["model_execution_status"] != "executable" for row in res.data["models"]
    )


@pytest.mark.parametrize("other", ["--available", "--executable"])
def test_catalog_only_conflict_is_client_side(recorded: Any, other: str) -> None:
    url, seen = recorded
    for words in (("models", "list"), ("models",)):
        res = invoke(*words, "--catalog-only", other, "--api-base-url", url)
        assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
        assert res.json["command"] == "image-skill " + " ".join(words)
    assert seen == []


def test_query_order_and_no_token_sent(recorded: Any) -> None:
    url, seen = recorded
    res = invoke(
        "models",
        "list",
        "--provider",
        " fal ",
        "--modality",
        "image",
        "--operation",
        "image.edit",
        "--catalog-only",
        "--api-base-url",
        url,
        "--token",
        "isk_r_x",
    )
    assert res.exit_code == 0
    assert seen[0]["path"] == (
        "/v1/models?catalog_only=true&operation=image.edit&modality=image&provider=fal"
    )
    assert "authorization" not in seen[0]["headers"]
    invoke("models", "show", "a/b c", "--api-base-url", url)
    assert seen[1]["path"] == "/v1/models/a%2Fb%20c"


def test_models_argument_errors(recorded: Any) -> None:
    url, seen = recorded
    res = invoke("models", "show", "--api-base-url", url)
    assert res.exit_code == 2 and res.json["command"] == "image-skill models show"
    res = invoke("models", "nope", "--api-base-url", url)
    assert res.exit_code == 2 and res.json["command"] == "image-skill models"
    assert res.json["error"]["message"] == "models supports list or show"
    assert seen == []


def test_capabilities_commands() -> None:
    listing = invoke("capabilities", *LOCAL)
    assert listing.exit_code == 0
    same = invoke("capabilities", "list", *LOCAL)
    assert [c["id"] for c in same.data["capabilities"]] == [
        c["id"] for c in listing.data["capabilities"]
    ]
    first = listing.data["capabilities"][0]
    shown = invoke("capabilities", "show", first["id"], *LOCAL)
    assert shown.exit_code == 0 and shown.data["capability"]["id"] == first["id"]
    missing = invoke("capabilities", "show", "is.nope", *LOCAL)
    assert missing.exit_code == 2 and missing.code == "CAPABILITY_NOT_FOUND"
    bare = invoke("capabilities", "show", *LOCAL)
    assert bare.exit_code == 2 and bare.code == "INVALID_ARGUMENTS"
    assert bare.json["command"] == "image-skill capabilities show"
    word = invoke("capabilities", "everything", *LOCAL)
    assert word.exit_code == 2 and word.json["command"] == "image-skill capabilities"
