"""POST /v1/create on the in-process local backend: real media, checks before spend."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import struct
import wave

import httpx
import pytest
from PIL import Image

from createtools import PROMPT, Headers, balance, create, fails, fetch, ok
from image_skill.local.settings import LocalSettings

# ------------------------------------------------------------------------------ create


def test_create_returns_an_owned_png_with_the_requested_aspect_ratio(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    before = balance(local_client, auth_headers)
    data = ok(create(local_client, auth_headers, aspect_ratio="16:9"))
    assert data["status"] == "completed" and data["job_id"].startswith("job_")
    assert data["capability"] == {"id": "is.image.generate.local-image.v1"}
    assert data["model"]["id"] == "local.image"
    assert data["safety"] == {"status": "allowed"}
    [asset] = data["assets"]
    assert asset["asset_id"].startswith("image_") and asset["path"] == asset["url"]
    assert asset["url"].endswith(f"/a/{asset['asset_id']}.png")
    image = Image.open(io.BytesIO(fetch(local_client, asset)))
    assert image.format == "PNG"
    assert (image.width, image.height) == (asset["width"], asset["height"]) == (1024, 576)
    assert image.width * 9 == image.height * 16
    credits = data["cost"]["credit_pricing"]["credits_required"]
    assert credits == 9 and data["quota"]["consumed_credits"] == 9
    assert balance(local_client, auth_headers) == before - credits
    selection = data["request"]["selection"]
    assert selection["policy"] == "hosted_default_create_v1"
    assert selection["capability"] == {"id": "is.image.generate.local-image.v1"}
    assert selection["model_parameters"]["source"] == "default_policy"
    assert selection["output"] == {
        "resolution_class": "1k",
        "expected_width": 1024,
        "expected_height": 576,
        "expected_min_short_edge": 576,
    }
    assert data["request"]["output_count"] == 1


def test_same_prompt_and_seed_give_identical_bytes_and_another_seed_differs(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    def render(seed: int) -> bytes:
        data = ok(create(local_client, auth_headers, model_parameters={"seed": seed}))
        return fetch(local_client, data["assets"][0])

    first, again, other = render(7), render(7), render(8)
    assert first == again
    assert first != other


def test_create_records_the_events_and_never_stores_the_prompt(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    response = create(local_client, auth_headers)
    data = ok(response)
    assert PROMPT not in response.text
    job_id, asset_id = data["job_id"], data["assets"][0]["asset_id"]
    listed = ok(local_client.get(f"/v1/activity?subject={job_id}", headers=auth_headers))
    by_type = {event["type"]: event for event in listed["events"]}
    assert set(by_type) == {"asset.created", "usage.credit_consumed", "job.completed"}
    usage_id = by_type["usage.credit_consumed"]["links"]["usage_event_id"]
    assert usage_id.startswith("usage_")
    assert by_type["job.completed"]["links"]["asset_ids"] == [asset_id]
    assert by_type["job.completed"]["links"]["usage_event_id"] == usage_id
    assert by_type["asset.created"]["subject"] == {"type": "asset", "id": asset_id}
    assert by_type["job.completed"]["status"] == "completed"
    with sqlite3.connect(local_settings.db_path) as conn:
        dump = "\n".join(conn.iterdump())
    assert "zebra-private-prompt" not in dump
    assert hashlib.sha256(PROMPT.encode()).hexdigest() in dump


def test_output_count_makes_distinct_assets_and_is_bounded(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    data = ok(create(local_client, auth_headers, output_count=2))
    assert len(data["assets"]) == 2
    assert data["cost"]["credit_pricing"]["credits_required"] == 18
    assert data["assets"][0]["sha256"] != data["assets"][1]["sha256"]
    error = fails(create(local_client, auth_headers, output_count=5), 400, "INVALID_ARGUMENTS", 2)
    assert error["recovery"]["max_outputs_per_request"] == 4


def test_anonymous_dry_run_plans_without_storing(local_client: httpx.Client) -> None:
    data = ok(create(local_client, None, dry_run=True, output_count=2))
    assert data["job_id"] is None and data["status"] == "planned"
    assert data["assets"] == [] and len(data["planned_assets"]) == 2
    assert data["quota"]["consumed_credits"] == 0
    assert data["cost"]["credit_pricing"]["credits_required"] == 18
    refs = [{"asset_id": "image_x", "role": "reference_image", "index": 0}]
    fails(create(local_client, None, dry_run=True, references=refs), 401, "AUTH_REQUIRED", 3)
    fails(create(local_client, None), 401, "AUTH_REQUIRED", 3)


def test_model_resolution_errors(local_client: httpx.Client, auth_headers: Headers) -> None:
    fails(create(local_client, auth_headers, model="local.nope"), 400, "MODEL_NOT_FOUND", 2)
    fails(
        create(local_client, auth_headers, model="xai.grok-imagine-image-quality"),
        403,
        "MODEL_NOT_EXECUTABLE",
        4,
    )
    fails(create(local_client, auth_headers, model="local.image-edit"), 403, "CAPABILITY_DENIED", 4)
    fails(create(local_client, auth_headers, intent="3d model"), 403, "CAPABILITY_DENIED", 4)


def test_checks_before_spend_leave_the_balance_alone(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    before = balance(local_client, auth_headers)
    error = fails(
        create(local_client, auth_headers, model_parameters={"seed": 1, "bogus": True}),
        400,
        "MODEL_PARAMETERS_INVALID",
        2,
    )
    assert error["recovery"]["offending_keys"] == ["bogus"]
    fails(
        create(local_client, auth_headers, model_parameters={"n": 2}),
        400,
        "MODEL_PARAMETERS_INVALID",
        2,
    )
    fails(create(local_client, auth_headers, prompt="  "), 400, "INVALID_ARGUMENTS", 2)
    fails(
        create(local_client, auth_headers, prompt="image-skill-policy-test:deny " + PROMPT),
        422,
        "CONTENT_POLICY_DENIED",
        6,
    )
    fails(create(local_client, auth_headers, aspect_ratio="5:1"), 400, "INVALID_ARGUMENTS", 2)
    error = fails(
        create(local_client, auth_headers, max_estimated_usd_per_image=0.05),
        400,
        "BUDGET_GUARD_EXCEEDED",
        2,
    )
    assert error["recovery"]["needed_max_estimated_usd_per_image"] == 0.09
    error = fails(
        create(local_client, auth_headers, output_count=2, max_usd=0.1),
        400,
        "BUDGET_GUARD_EXCEEDED",
        2,
    )
    assert error["recovery"]["needed_max_usd"] == 0.18
    assert balance(local_client, auth_headers) == before


def test_default_policy_takes_the_higher_tier_only_when_the_budget_allows(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    rich = ok(create(local_client, auth_headers, dry_run=True, max_estimated_usd_per_image=0.12))
    selection = rich["request"]["selection"]
    assert "resolution=2k" in selection["model_parameters"]["defaults_applied"]
    assert selection["output"]["expected_width"] == 2048
    assert rich["cost"]["credit_pricing"]["credits_required"] == 12
    tight = ok(create(local_client, auth_headers, dry_run=True, max_estimated_usd_per_image=0.1))
    assert tight["request"]["selection"]["output"]["resolution_class"] == "1k"
    draft = ok(
        create(
            local_client, auth_headers, dry_run=True, intent="draft", max_estimated_usd_per_image=1
        )
    )
    assert draft["cost"]["credit_pricing"]["credits_required"] == 9


def test_audio_is_a_wav_and_ignores_the_aspect_ratio(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    data = ok(create(local_client, auth_headers, intent="audio jingle", aspect_ratio="1:1"))
    [asset] = data["assets"]
    assert data["model"]["id"] == "local.audio"
    assert asset["asset_id"].startswith("audio_") and asset["mime_type"] == "audio/wav"
    with wave.open(io.BytesIO(fetch(local_client, asset))) as clip:
        assert clip.getnframes() / clip.getframerate() == pytest.approx(3.0)


def _boxes(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    out: dict[bytes, tuple[int, int]] = {}
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        assert size >= 8 and start + size <= end
        out[kind] = (start + 8, start + size)
        start += size
    return out


def test_video_is_an_mp4_whose_frames_decode(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    data = ok(create(local_client, auth_headers, model="local.video", aspect_ratio="16:9"))
    [asset] = data["assets"]
    assert asset["asset_id"].startswith("video_") and asset["mime_type"] == "video/mp4"
    mp4 = fetch(local_client, asset)
    top = _boxes(mp4, 0, len(mp4))
    assert {b"ftyp", b"moov", b"mdat"} <= set(top)
    node = top[b"moov"]
    for kind in (b"trak", b"mdia", b"minf", b"stbl"):
        node = _boxes(mp4, *node)[kind]
    stsz_start, _ = _boxes(mp4, *node)[b"stsz"]
    count = struct.unpack(">I", mp4[stsz_start + 8 : stsz_start + 12])[0]
    first = struct.unpack(">I", mp4[stsz_start + 12 : stsz_start + 16])[0]
    assert count == 24
    mdat_start, _ = top[b"mdat"]
    frame = Image.open(io.BytesIO(mp4[mdat_start : mdat_start + first]))
    assert frame.format == "JPEG" and frame.size == (640, 360) == (asset["width"], asset["height"])
