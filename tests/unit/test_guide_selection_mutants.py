"""Model selection conditions that a swapped ``and``/``or`` or a dropped branch would change
(digest §4 plus our modality fallback), each shown with rows that tell the two apart."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from guide_fixtures import HOSTED_ROWS, build, hosted_row, models_envelope, quota_envelope

from image_skill.guide import text as T
from image_skill.guide.selection import (
    guide_model,
    needs_input_image,
    select_model,
    selection_object,
    selection_reason,
    suggested_aspect_ratio,
)

QUOTA = quota_envelope(10_000)
IMAGES_REQUIRED = {"images": {"required": True, "max": 1}}


def row(model_id: str, modality: str = "image", **kw: Any) -> dict[str, Any]:
    kw.setdefault("credits", 5)
    kw.setdefault("revenue", 0.05)
    kw.setdefault("usd", 0.04)
    return hosted_row(model_id, modality=modality, **kw)


def image_to_3d(model_id: str = "fal.mesher", **kw: Any) -> dict[str, Any]:
    return row(model_id, "3d", supports=("variation",), media_input=IMAGES_REQUIRED, **kw)


def pick(rows: list[dict[str, Any]], prompt: str, intent: str = "explore") -> str | None:
    model = select_model(
        copy.deepcopy(rows), requested_model=None, prompt=prompt, intent=intent, max_usd=None
    )
    return None if model is None else model["id"]


def selection(rows: list[dict[str, Any]], prompt: str, **kw: Any) -> dict[str, Any]:
    out = build(models=models_envelope(rows), prompt=prompt, token_source="env", quota=QUOTA, **kw)
    return out.data["selection"]


# --- the selection reason ------------------------------------------------------------------


def test_an_audio_prompt_without_an_audio_model_gets_the_reason_of_the_model_it_got() -> None:
    rows = [r for r in HOSTED_ROWS if r["modality"] != "audio"]
    chosen = selection(rows, "a lo-fi soundtrack for a rainy day")
    assert chosen["model_id"] == "xai.grok-imagine-image-quality"
    assert chosen["reason"] == T.R_QUALITY


def test_an_audio_model_picked_for_a_plain_prompt_is_just_the_first_eligible() -> None:
    chosen = selection([row("fal.hum", "audio")], "a lighthouse at dawn")
    assert (chosen["model_id"], chosen["reason"]) == ("fal.hum", T.R_FIRST)
    assert selection([row("fal.hum", "audio")], "the sound of a lighthouse")["reason"] == (
        T.R_AUDIO
    )


def test_a_video_prompt_without_a_video_model_gets_the_reason_of_the_model_it_got() -> None:
    rows = [r for r in HOSTED_ROWS if r["modality"] != "video"]
    chosen = selection(rows, "a 5 second video clip of waves")
    assert chosen["model_id"] == "xai.grok-imagine-image-quality"
    assert chosen["reason"] == T.R_QUALITY


def test_a_video_model_picked_for_a_plain_prompt_is_just_the_first_eligible() -> None:
    chosen = selection([row("fal.reel", "video")], "a lighthouse at dawn")
    assert (chosen["model_id"], chosen["reason"]) == ("fal.reel", T.R_FIRST)
    assert selection([row("fal.reel", "video")], "footage of a lighthouse")["reason"] == T.R_VIDEO


def test_an_image_to_3d_model_gets_the_3d_reason_only_for_3d_wording() -> None:
    assert selection([image_to_3d()], "a glb mesh of a chair")["reason"] == T.R_3D
    # Without 3D wording an image-to-3D row is not a candidate at all.
    out = build(
        models=models_envelope([image_to_3d()]),
        prompt="a chair",
        token_source="env",
        quota=QUOTA,
    )
    assert out.data["selection"] is None


def test_3d_wording_alone_does_not_give_the_3d_reason() -> None:
    # A text-to-3D create row needs no input image: the 3D reason (which says how to fill
    # in the image_... placeholder) does not apply to it.
    rows = [row("fal.some-image"), row("fal.text-mesh", "3d")]
    chosen = selection(rows, "a textured model of a chair")
    assert (chosen["model_id"], chosen["reason"]) == ("fal.text-mesh", T.R_FIRST)
    assert chosen["operation"] == "create"
    hosted = [r for r in HOSTED_ROWS if r["modality"] != "3d"]
    chosen = selection(hosted, "a textured model of a chair")
    assert (chosen["model_id"], chosen["reason"]) == ("xai.grok-imagine-image-quality", T.R_QUALITY)


def test_reason_and_eligibility_default_to_the_create_guide() -> None:
    plain = row("fal.some-image")
    assert selection_reason(plain, requested=False, prompt="a cat", intent="explore") == T.R_FIRST
    chosen = selection_object(plain, requested=False, prompt="a cat", intent="explore")
    assert chosen is not None and chosen["reason"] == T.R_FIRST
    assert guide_model(plain) is True
    assert guide_model(image_to_3d()) is True
    assert guide_model(row("fal.off", status="unavailable")) is False


def test_only_video_rows_suggest_an_aspect_ratio() -> None:
    ratios = {"aspect_ratios": {"values": ["1:1", "16:9"]}}
    assert suggested_aspect_ratio(row("fal.still", media_input=ratios)) is None
    assert suggested_aspect_ratio(None) is None
    assert suggested_aspect_ratio(row("fal.reel", "video", media_input=ratios)) == "16:9"
    out = build(
        models=models_envelope([row("fal.still", media_input=ratios)]),
        token_source="env",
        quota=QUOTA,
    )
    assert "--aspect-ratio" not in out.data["next_command"]


def test_a_video_row_without_aspect_ratios_suggests_none() -> None:
    reel = row("fal.reel", "video")
    assert suggested_aspect_ratio(reel) is None
    out = build(
        models=models_envelope([reel]),
        prompt="footage of a harbour",
        token_source="env",
        quota=QUOTA,
    )
    assert out.data["selection"]["suggested_aspect_ratio"] is None
    assert "--aspect-ratio" not in out.data["next_command"]
    empty = row("fal.reel", "video", media_input={"aspect_ratios": {"values": []}})
    assert suggested_aspect_ratio(empty) is None


# --- which rows need an input image --------------------------------------------------------


def test_needs_input_image_takes_every_condition() -> None:
    assert needs_input_image(image_to_3d()) is True
    assert needs_input_image(None) is False
    # A 3D row that takes no input image (text-to-3D) is a create model...
    text_to_3d = row("fal.text-mesh", "3d", supports=("create",))
    assert needs_input_image(text_to_3d) is False
    # ...and so is a create row whose registry entry marks images as required.
    strict_image = row("fal.strict", supports=("create",), media_input=IMAGES_REQUIRED)
    assert needs_input_image(strict_image) is False
    # A 3D row whose images are optional (required is not exactly true) takes none either.
    optional = row("fal.maybe", "3d", supports=("variation",), media_input={"images": {}})
    assert needs_input_image(optional) is False


@pytest.mark.parametrize(
    ("model", "operation"),
    [
        (row("fal.text-mesh", "3d", supports=("create",)), "create"),
        (row("fal.strict", supports=("create",), media_input=IMAGES_REQUIRED), "create"),
        (image_to_3d(), "edit"),
    ],
)
def test_operation_follows_the_input_image_rule(model: dict[str, Any], operation: str) -> None:
    chosen = selection_object(model, requested=False, prompt="a chair", intent="explore")
    assert chosen is not None and chosen["operation"] == operation


# --- the 3D branch takes executable image-to-3D rows only ---------------------------------


def test_the_3d_branch_skips_rows_that_are_not_image_to_3d() -> None:
    edit_image = row("fal.retouch", supports=("edit",), media_input=IMAGES_REQUIRED)
    plain_image = row("fal.some-image")
    rows = [edit_image, plain_image, image_to_3d()]
    assert pick(rows, "a glb mesh of a chair") == "fal.mesher"


@pytest.mark.parametrize(
    "blocked",
    [
        image_to_3d("fal.mesher-off", status="unavailable"),
        row("fal.mesher-create", "3d", supports=("create",), media_input=IMAGES_REQUIRED),
        row("fal.mesher-optional", "3d", supports=("variation",), media_input={}),
    ],
)
def test_an_image_to_3d_row_must_be_available_take_variations_and_need_an_image(
    blocked: dict[str, Any],
) -> None:
    assert pick([blocked, image_to_3d()], "a glb mesh of a chair") == "fal.mesher"


# --- our modality fallback, with rows of other modalities around ------------------------


def test_3d_wording_without_image_to_3d_takes_a_3d_create_row() -> None:
    rows = [row("fal.some-image"), row("fal.text-mesh", "3d")]
    assert pick(rows, "a textured model of a chair") == "fal.text-mesh"
    two = [row("fal.some-image"), row("fal.mesh-a", "3d"), row("fal.mesh-b", "3d")]
    assert pick(two, "a textured model of a chair") == "fal.mesh-a"
    two[2]["default"] = True
    assert pick(two, "a textured model of a chair") == "fal.mesh-b"


def test_audio_wording_without_an_audio_row_takes_the_first_eligible_row() -> None:
    rows = [row("fal.some-video", "video"), row("fal.some-image")]
    assert pick(rows, "rain sound on a tin roof") == "fal.some-video"


def test_video_wording_without_a_video_row_takes_the_first_eligible_row() -> None:
    rows = [row("fal.some-audio", "audio"), row("fal.some-image")]
    assert pick(rows, "an animated clip of a tin roof") == "fal.some-audio"


def test_a_plain_prompt_takes_the_first_image_row_or_the_default_one() -> None:
    rows = [row("fal.some-video", "video"), row("fal.image-a"), row("fal.image-b")]
    assert pick(rows, "a cat") == "fal.image-a"
    rows[2]["default"] = True
    assert pick(rows, "a cat") == "fal.image-b"
    # A row with no modality counts as an image row.
    bare = row("fal.bare")
    del bare["modality"]
    assert pick([row("fal.some-video", "video"), bare], "a cat") == "fal.bare"


def test_no_eligible_row_gives_no_model() -> None:
    rows = [row("fal.off", status="unavailable"), image_to_3d()]
    assert pick(rows, "a cat") is None
    assert pick([], "a cat") is None
