"""`upload` and `edit` on the local backend: sniffed uploads, masked edits, money safety."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from clitools import invoke
from spendtools import (
    LOCAL,
    in_flight_files,
    mask_left_half,
    notices,
    png,
    remaining_credits,
)


@pytest.fixture
def source(tmp_path: Path) -> bytes:
    data = png(64, 48)
    (tmp_path / "source.png").write_bytes(data)
    (tmp_path / "mask.png").write_bytes(mask_left_half(64, 48))
    return data


# -- upload ------------------------------------------------------------------------------


def test_upload_a_png(account: Path, source: bytes) -> None:
    res = invoke("upload", "source.png", "--json", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["asset"]["asset_id"].startswith("image_")
    assert res.data["asset"]["mime_type"] == "image/png"
    assert res.data["asset"]["content_length"] == len(source)
    by_flag = invoke("upload", "--input", "source.png", *LOCAL)
    assert by_flag.exit_code == 0, by_flag.stdout


def test_a_text_file_named_png_is_denied_by_policy(account: Path, tmp_path: Path) -> None:
    (tmp_path / "x.png").write_text("this is text, not pixels\n")
    res = invoke("upload", "x.png", *LOCAL)
    assert (res.exit_code, res.code) == (6, "INPUT_POLICY_DENIED")
    assert any("application/octet-stream" in w for w in res.json["warnings"])


def test_upload_argument_and_file_errors(account: Path, tmp_path: Path) -> None:
    res = invoke("upload", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["error"]["message"] == "upload requires PATH_OR_URL"
    missing = invoke("upload", "missing.png", *LOCAL)
    assert (missing.exit_code, missing.code) == (9, "INPUT_FILE_UNREADABLE")
    (tmp_path / "notes.txt").write_text("hello")
    unknown = invoke("upload", "notes.txt", *LOCAL)
    assert (unknown.exit_code, unknown.code) == (2, "UPLOAD_MIME_TYPE_UNKNOWN")


def test_upload_requires_a_token(tmp_path: Path, source: bytes) -> None:
    res = invoke("upload", "source.png", *LOCAL)
    assert (res.exit_code, res.code) == (3, "AUTH_REQUIRED")


@pytest.fixture
def web(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "pic.png").write_bytes(png(20, 10))
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_upload_a_remote_url(account: Path, web: str) -> None:
    res = invoke("upload", f"{web}/pic.png", "--allow-private-network", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["request"]["source_kind"] == "remote_url"
    assert res.data["request"]["remote_origin"] == web
    gone = invoke("upload", f"{web}/nothing.png", "--allow-private-network", *LOCAL)
    assert (gone.exit_code, gone.code) == (7, "REMOTE_UPLOAD_FETCH_FAILED")


# -- edit ----------------------------------------------------------------------------------


def test_masked_edit_from_local_files_changes_only_the_masked_pixels(
    account: Path, source: bytes, tmp_path: Path
) -> None:
    res = invoke(
        "edit",
        "--input",
        "source.png",
        "--mask",
        "mask.png",
        "--prompt",
        "paint it red",
        "--model",
        "local.image-edit",
        "--output",
        "edited.png",
        *LOCAL,
    )
    assert res.exit_code == 0, res.stdout
    [notice] = notices(res)
    key = notice["in_flight"]["idempotency_key"]
    assert key.startswith("edit-") and res.data["request"]["idempotency_key"] == key
    assert in_flight_files(account) == []
    out = Image.open(tmp_path / "edited.png").convert("RGB")
    src = Image.open(io.BytesIO(source)).convert("RGB")
    assert out.size == src.size
    changed = {
        (x, y) for y in range(48) for x in range(64) if out.getpixel((x, y)) != src.getpixel((x, y))
    }
    assert changed, "the edit changed nothing"
    assert all(x < 32 for x, _ in changed)


def test_edit_accepts_asset_ids_and_owned_urls(account: Path, source: bytes) -> None:
    uploaded = invoke("upload", "source.png", *LOCAL).data["asset"]
    by_id = invoke("edit", "--input", uploaded["asset_id"], "--prompt", "x", "--dry-run", *LOCAL)
    assert by_id.exit_code == 0, by_id.stdout
    by_url = invoke("edit", uploaded["url"], "--prompt", "x", "--dry-run", *LOCAL)
    assert by_url.exit_code == 0, by_url.stdout
    assert (
        by_id.data["input"]["asset_id"] == by_url.data["input"]["asset_id"] == uploaded["asset_id"]
    )


def test_edit_dry_run_spends_nothing(account: Path, source: bytes) -> None:
    before = remaining_credits()
    res = invoke("edit", "--input", "source.png", "--prompt", "x", "--dry-run", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["dry_run"] is True
    assert res.stderr == ""
    assert remaining_credits() == before


def test_edit_same_key_twice_is_one_debit(account: Path, source: bytes) -> None:
    asset_id = invoke("upload", "source.png", *LOCAL).data["asset"]["asset_id"]
    args = ("edit", "--input", asset_id, "--prompt", "x", "--idempotency-key", "e-1", *LOCAL)
    first = invoke(*args)
    after = remaining_credits()
    second = invoke(*args)
    assert first.exit_code == second.exit_code == 0, second.stdout
    assert first.data["job_id"] == second.data["job_id"]
    assert remaining_credits() == after


def test_edit_with_a_reference_image(account: Path, source: bytes, tmp_path: Path) -> None:
    (tmp_path / "ref.png").write_bytes(png(300, 300, (200, 0, 0)))
    res = invoke(
        "edit", "--input", "source.png", "--prompt", "x", "--reference-image", "ref.png", *LOCAL
    )
    assert res.exit_code == 0, res.stdout
    [reference] = res.data["request"]["references"]
    assert reference["role"] == "reference_image" and reference["index"] == 0
    assert reference["asset_id"].startswith("image_")
    assert in_flight_files(account) == []


def test_promptless_model(account: Path, source: bytes) -> None:
    with_prompt = invoke(
        "edit", "--input", "source.png", "--model", "local.image-to-3d", "--prompt", "x", *LOCAL
    )
    assert (with_prompt.exit_code, with_prompt.code) == (2, "INVALID_ARGUMENTS")
    assert (
        with_prompt.json["error"]["message"] == "model local.image-to-3d does not accept --prompt"
    )
    res = invoke("edit", "--input", "source.png", "--model", "local.image-to-3d", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["assets"][0]["mime_type"] == "model/gltf-binary"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--prompt", "x"), "edit requires --input ASSET_ID_OR_PATH_OR_URL"),
        (("--input", "image_a"), "edit requires --prompt (or --prompt-file)"),
        (("--input", "image_a", "--prompt", "  "), "edit prompt cannot be empty"),
        (
            ("--input", "image_a", "--prompt", "x", "--prompt-file", "p"),
            "provide either --prompt or --prompt-file, not both",
        ),
        (
            ("--input", "image_a", "--prompt", "x", "--reference-image", "r@3"),
            "reference image indexes must be contiguous starting at 0",
        ),
        (
            ("--input", "source.png", "--prompt", "x", "--model-parameters-json", "1"),
            "--model-parameters-json must be a JSON object",
        ),
    ],
)
def test_edit_argument_errors(
    account: Path, source: bytes, args: tuple[str, ...], message: str
) -> None:
    res = invoke("edit", *args, *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill edit"
    assert res.json["error"]["message"] == message


def test_edit_upload_failure_is_the_upload_envelope(account: Path, tmp_path: Path) -> None:
    (tmp_path / "x.png").write_text("not an image")
    res = invoke("edit", "--input", "x.png", "--prompt", "x", *LOCAL)
    assert (res.exit_code, res.code) == (6, "INPUT_POLICY_DENIED")
    assert res.stderr == ""  # nothing was spent, so no in-flight notice
    assert in_flight_files(account) == []
