"""POST /v1/edit on the in-process local backend: masks, image-to-3D, references, ownership."""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import httpx
import pytest
from PIL import Image

from createtools import PROMPT, Headers, balance, create, edit, fails, fetch, ok, png, upload


@pytest.fixture
def other_headers(local_client: httpx.Client, signup: Any) -> Headers:
    token = signup(local_client, contact="other@example.com", name="other-agent")
    return {"authorization": f"Bearer {token}"}


def _mask_left_half(width: int, height: int) -> bytes:
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (0, 0, width // 2, height))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def test_masked_edit_changes_pixels_only_inside_the_mask(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    source = png(64, 48)
    input_id = upload(local_client, auth_headers, source)
    mask_id = upload(local_client, auth_headers, _mask_left_half(64, 48))
    data = ok(
        edit(
            local_client,
            auth_headers,
            input_asset_id=input_id,
            mask_asset_id=mask_id,
            prompt=PROMPT,
            model="local.image-edit",
        )
    )
    assert data["operation"] == "edit" and data["input"]["asset_id"] == input_id
    [asset] = data["assets"]
    out = Image.open(io.BytesIO(fetch(local_client, asset))).convert("RGB")
    src = Image.open(io.BytesIO(source)).convert("RGB")
    assert out.size == src.size == (asset["width"], asset["height"])
    for y in range(48):
        for x in range(64):
            same = out.getpixel((x, y)) == src.getpixel((x, y))
            assert same is (x >= 32), (x, y)


def test_edit_without_a_model_uses_the_edit_default_and_keeps_the_input_size(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    input_id = upload(local_client, auth_headers, png(40, 30))
    data = ok(edit(local_client, auth_headers, input_asset_id=input_id, prompt=PROMPT))
    assert data["model"]["id"] == "local.image-edit"
    assert (data["assets"][0]["width"], data["assets"][0]["height"]) == (40, 30)
    cropped = ok(
        edit(local_client, auth_headers, input_asset_id=input_id, prompt=PROMPT, aspect_ratio="1:1")
    )
    assert (cropped["assets"][0]["width"], cropped["assets"][0]["height"]) == (30, 30)


def test_image_to_3d_is_promptless_and_returns_a_glb(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    input_id = upload(local_client, auth_headers, png(32, 32))
    fails(
        edit(
            local_client,
            auth_headers,
            input_asset_id=input_id,
            model="local.image-to-3d",
            prompt="x",
        ),
        400,
        "INVALID_ARGUMENTS",
        2,
    )
    data = ok(edit(local_client, auth_headers, input_asset_id=input_id, intent="image-to-3d"))
    assert data["model"]["id"] == "local.image-to-3d"
    [asset] = data["assets"]
    assert asset["asset_id"].startswith("file_") and asset["url"].endswith(".glb")
    glb = fetch(local_client, asset)
    magic, version, length = struct.unpack("<4sII", glb[:12])
    assert (magic, version, length) == (b"glTF", 2, len(glb))
    chunk_length, chunk_type = struct.unpack("<I4s", glb[12:20])
    assert chunk_type == b"JSON"
    document = json.loads(glb[20 : 20 + chunk_length])
    assert document["asset"]["version"] == "2.0" and document["meshes"]


def test_edit_checks_ownership_media_and_model_support(
    local_client: httpx.Client, auth_headers: Headers, other_headers: Headers
) -> None:
    theirs = upload(local_client, other_headers, png(32, 32))
    mine = upload(local_client, auth_headers, png(32, 32))
    before = balance(local_client, auth_headers)
    fails(
        edit(local_client, auth_headers, input_asset_id=theirs, prompt=PROMPT),
        404,
        "ASSET_NOT_FOUND",
        1,
    )
    fails(
        edit(local_client, auth_headers, input_asset_id=mine, mask_asset_id=theirs, prompt=PROMPT),
        404,
        "ASSET_NOT_FOUND",
        1,
    )
    fails(
        edit(
            local_client,
            auth_headers,
            input_asset_id=mine,
            mask_asset_id=mine,
            model="local.image-to-3d",
        ),
        400,
        "INVALID_ARGUMENTS",
        2,
    )
    fails(edit(local_client, auth_headers, prompt=PROMPT), 400, "INVALID_ARGUMENTS", 2)
    small_ref = [{"asset_id": mine, "role": "reference_image", "index": 0}]
    error = fails(
        edit(local_client, auth_headers, input_asset_id=mine, prompt=PROMPT, references=small_ref),
        422,
        "INPUT_POLICY_DENIED",
        6,
    )
    assert error["recovery"]["field"] == "references[0].asset_id"
    gap = [{"asset_id": mine, "role": "reference_image", "index": 1}]
    fails(
        edit(local_client, auth_headers, input_asset_id=mine, prompt=PROMPT, references=gap),
        400,
        "INVALID_ARGUMENTS",
        2,
    )
    fails(create(local_client, auth_headers, references=small_ref), 400, "INVALID_ARGUMENTS", 2)
    assert balance(local_client, auth_headers) == before


def test_edit_with_an_owned_reference_image(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    mine = upload(local_client, auth_headers, png(32, 32))
    ref = upload(local_client, auth_headers, png(320, 320, seed=9))
    refs = [{"asset_id": ref, "role": "reference_image", "index": 0}]
    data = ok(edit(local_client, auth_headers, input_asset_id=mine, prompt=PROMPT, references=refs))
    assert data["request"]["references"] == refs
    plain = ok(edit(local_client, auth_headers, input_asset_id=mine, prompt=PROMPT))
    assert plain["assets"][0]["sha256"] != data["assets"][0]["sha256"]


def test_unknown_cost_needs_explicit_acceptance(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    mine = upload(local_client, auth_headers, png(32, 32))
    before = balance(local_client, auth_headers)
    model = "local.image-edit-usage-priced"
    error = fails(
        edit(local_client, auth_headers, input_asset_id=mine, prompt=PROMPT, model=model),
        400,
        "BUDGET_REQUIRES_CONFIRMATION",
        2,
    )
    assert error["recovery"]["required_flag"] == "--accept-unknown-cost"
    assert balance(local_client, auth_headers) == before
    data = ok(
        edit(
            local_client,
            auth_headers,
            input_asset_id=mine,
            prompt=PROMPT,
            model=model,
            accept_unknown_cost=True,
        )
    )
    credits = data["cost"]["credit_pricing"]["credits_required"]
    assert data["cost"]["credit_pricing"]["pricing_confidence"] == "unknown"
    assert balance(local_client, auth_headers) == before - credits
