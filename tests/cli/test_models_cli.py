"""`models` and `capabilities` against the in-process local backend (and a recorder that
also plays a 0.1.30 server: full rows, no compact summary)."""

from __future__ import annotations

import json
import shlex
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from clitools import invoke
from image_skill.cli.summary import summary_row
from summarytools import SUMMARY_ROW_KEYS

LOCAL = ("--api-base-url", "local")


def _envelope(data: Any) -> bytes:
    return json.dumps(
        {
            "ok": True,
            "command": "x",
            "trace_id": "trace_0",
            "actor": None,
            "data": data,
            "warnings": [],
            "error": None,
        }
    ).encode()


@pytest.fixture
def recorded() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback server that records requests and answers ``data`` of ``replies[0]``
    (an empty models list unless a test puts something else there)."""
    seen: list[dict[str, Any]] = []
    replies: list[Any] = [{"models": []}]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append({"path": self.path, "headers": {k.lower() for k in self.headers}})
            reply = _envelope(replies[0])
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
        yield f"http://127.0.0.1:{server.server_address[1]}", seen, replies
    finally:
        server.shutdown()
        server.server_close()


def test_available_image_generate_returns_only_runnable_rows() -> None:
    args = ("--available", "--operation", "image.generate", *LOCAL)
    res = invoke("models", "list", *args)
    assert res.exit_code == 0
    rows = res.data["models"]
    assert rows
    for row in rows:  # compact rows by default (0.1.70 §3.2)
        assert row["status"] == "available"
        assert row["model_execution_status"] == "executable"
        assert "image.generate" in row["operations"]
        assert "execution" not in row and "parameters" not in row
    summary = res.data["summary"]
    assert summary["returned"] == len(rows)
    assert summary["result_shape"] == "compact_model_summary"
    # --details: the full rows, in the same order
    full = invoke("models", "list", "--details", *args)
    assert full.exit_code == 0
    assert [row["id"] for row in full.data["models"]] == [row["id"] for row in rows]
    for row in full.data["models"]:
        assert row["execution"]["model_execution_status"] == "executable"
    assert "result_shape" not in full.data["summary"]
    # the unfiltered list also has non-runnable or other-operation rows
    everything = invoke("models", *LOCAL).data["models"]
    assert len(everything) > len(rows)


def assert_same_but_commands(ours: Any, served: Any) -> None:
    """Equal, except that a server command (``image-skill ...``) may come with our program
    prefix: its words after the program name must be ours, in order."""
    if isinstance(served, dict):
        assert isinstance(ours, dict) and list(ours) == list(served)
        for key, value in served.items():
            assert_same_but_commands(ours[key], value)
    elif isinstance(served, list):
        assert isinstance(ours, list) and len(ours) == len(served)
        for mine, theirs in zip(ours, served, strict=True):
            assert_same_but_commands(mine, theirs)
    elif isinstance(served, str) and served.startswith("image-skill "):
        words = shlex.split(served)[1:]
        assert isinstance(ours, str) and shlex.split(ours)[-len(words) :] == words, ours
    else:
        assert ours == served


def test_server_compacted_rows_pass_through_unchanged() -> None:
    from image_skill.api.client import ImageSkillClient

    with ImageSkillClient(base_url="local") as client:
        served = client.models([("available", "true")]).envelope["data"]
    for words in (["models"], ["models", "list"], ["models", "list", "--summary"]):
        res = invoke(*words, "--available", *LOCAL)
        assert res.exit_code == 0
        # the server's compact menu, as sent (its commands made runnable here)
        assert_same_but_commands(res.data, served)
    assert served["summary"]["result_shape"] == "compact_model_summary"
    for row in served["models"]:
        assert list(row)[: len(SUMMARY_ROW_KEYS)] == SUMMARY_ROW_KEYS


def test_a_0130_servers_full_rows_are_compacted_here(recorded: Any) -> None:
    url, seen, replies = recorded
    full = invoke("models", "list", "--available", "--details", *LOCAL).data
    del full["summary"]["backend"]
    replies[0] = full  # a 0.1.30 server: full rows, a summary without result_shape
    res = invoke("models", "list", "--available", "--api-base-url", url)
    assert res.exit_code == 0
    assert seen[-1]["path"] == "/v1/models?available=true"
    summary = res.data["summary"]
    assert summary["result_shape"] == "compact_model_summary"
    assert summary["full_list_command"].endswith(
        f"models list --details --api-base-url {url} --json"
    )
    assert {k: v for k, v in summary.items() if k in full["summary"]} == full["summary"]
    rows = res.data["models"]
    assert [row["id"] for row in rows] == [row["id"] for row in full["models"]]
    for row, model in zip(rows, full["models"], strict=True):
        assert list(row) == SUMMARY_ROW_KEYS
        assert row["default"] is (model.get("default") is True)
        assert row["modality"] == model.get("modality", "image")
        assert row["show_command"].endswith(
            f"models show {model['id']} --api-base-url {url} --json"
        )
        expected = summary_row(model, lambda argv: " ".join(argv))
        assert row["task_tags"] == expected["task_tags"]
        assert row["credits_required"] == model["economics"]["credit_pricing"]["credits_required"]
    assert sum(row["default"] for row in rows) == 1
    # --details passes the full rows through; group-level flags work as on `list`
    assert invoke("models", "list", "--details", "--api-base-url", url).data == full
    bare = invoke("models", "--available", "--summary", "--api-base-url", url)
    assert bare.data == res.data


def test_query_is_served_by_the_backend() -> None:
    res = invoke("models", "list", "--query", " local video ", *LOCAL)
    assert res.exit_code == 0
    assert [row["id"] for row in res.data["models"]] == ["local.video"]
    assert res.data["summary"]["filters"]["query"] == "local video"
    details = invoke("models", "list", "--details", "--query", "image-to-3d", *LOCAL)
    assert [row["id"] for row in details.data["models"]] == ["local.image-to-3d"]
    assert "execution" in details.data["models"][0]


@pytest.mark.parametrize("words", [["models", "list"], ["models"]])
def test_summary_with_details_is_refused_before_any_request(recorded: Any, words: list[str]):
    url, seen, _ = recorded
    res = invoke(
        *words, "--summary", "--details", "--catalog-only", "--available", "--api-base-url", url
    )
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert res.json["command"] == "image-skill " + " ".join(words)
    assert res.json["error"]["message"] == "models list --summary cannot be combined with --details"
    assert seen == []


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
    assert all(row["model_execution_status"] != "executable" for row in res.data["models"])
    full = invoke("models", "list", "--catalog-only", "--details", *LOCAL).data["models"]
    assert [row["id"] for row in full] == [row["id"] for row in res.data["models"]]
    assert all(row["execution"]["model_execution_status"] != "executable" for row in full)


@pytest.mark.parametrize("other", ["--available", "--executable"])
def test_catalog_only_conflict_is_client_side(recorded: Any, other: str) -> None:
    url, seen, _ = recorded
    for words in (("models", "list"), ("models",)):
        res = invoke(*words, "--catalog-only", other, "--api-base-url", url)
        assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
        assert res.json["command"] == "image-skill " + " ".join(words)
    assert seen == []


def test_query_order_and_no_token_sent(recorded: Any) -> None:
    url, seen, _ = recorded
    res = invoke(
        "models",
        "list",
        "--query",
        " nano banana ",
        "--details",
        "--summary",
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
    assert res.exit_code == 2  # --summary with --details
    assert seen == []
    res = invoke(
        "models",
        "list",
        "--query",
        " nano banana ",
        "--details",
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
        "/v1/models?catalog_only=true&details=true&operation=image.edit&modality=image"
        "&provider=fal&query=nano+banana"
    )
    assert "authorization" not in seen[0]["headers"]
    invoke("models", "show", "a/b c", "--api-base-url", url)
    assert seen[1]["path"] == "/v1/models/a%2Fb%20c"


def test_models_argument_errors(recorded: Any) -> None:
    url, seen, _ = recorded
    for ids in ([], ["a", "b"], ["default", "local.image", "x"]):
        res = invoke("models", "show", *ids, "--api-base-url", url)
        assert res.exit_code == 2 and res.json["command"] == "image-skill models show"
        assert res.json["error"]["message"] == "models show requires exactly one MODEL_ID"
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
