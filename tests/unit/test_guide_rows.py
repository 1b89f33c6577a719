"""Compact and full model rows give the same guide (contract 0.1.70 §0.3, §4.3).

Since 0.1.41 ``GET /v1/models`` answers with compact rows by default; the local backend
still sends full rows. Every test here feeds the guide both shapes of the same models.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from guide_fixtures import (
    COMPACT_HOSTED_ROWS,
    COMPACT_LOCAL_ROWS,
    HOSTED_ROWS,
    LOCAL_ROWS,
    QUOTA_BROKE,
    QUOTA_RICH,
    build,
    compact_row,
    hosted_row,
    models_envelope,
)

from image_skill.guide.rows import (
    aspect_ratio_values,
    credit_pricing,
    exec_create,
    exec_input_edit,
    execution_status,
    needs_input,
    row_provider_usd,
)
from image_skill.guide.selection import select_model

PROMPTS = [
    ("a compact field camera", "explore", None),
    ("a compact field camera", "draft", None),
    ("a compact field camera", "explore", 0.05),
    ("a 5 second video clip of waves", "explore", None),
    ("a lo-fi soundtrack for a rainy day", "explore", None),
    ("a textured 3D model of a chair", "explore", None),
    ("a chair", "image-to-3d", None),
    ("a video clip", "explore", 0.1),
]


def pick(rows: list[dict[str, Any]], prompt: str, intent: str, max_usd: Any, **kw: Any) -> Any:
    model = select_model(
        copy.deepcopy(rows),
        requested_model=kw.get("requested_model"),
        prompt=prompt,
        intent=intent,
        max_usd=max_usd,
        edit_guide=kw.get("edit_guide", False),
    )
    return None if model is None else model["id"]


@pytest.mark.parametrize(("prompt", "intent", "max_usd"), PROMPTS)
@pytest.mark.parametrize(
    ("full", "compact"),
    [(HOSTED_ROWS, COMPACT_HOSTED_ROWS), (LOCAL_ROWS, COMPACT_LOCAL_ROWS)],
    ids=["hosted", "local"],
)
@pytest.mark.parametrize("edit_guide", [False, True], ids=["create", "edit"])
def test_both_shapes_select_the_same_model(
    full: list[dict], compact: list[dict], prompt: str, intent: str, max_usd: Any, edit_guide: bool
) -> None:
    expected = pick(full, prompt, intent, max_usd, edit_guide=edit_guide)
    assert pick(compact, prompt, intent, max_usd, edit_guide=edit_guide) == expected
    # ... and a list mixing the two shapes changes nothing either
    mixed = [c if i % 2 else f for i, (f, c) in enumerate(zip(full, compact, strict=True))]
    assert pick(mixed, prompt, intent, max_usd, edit_guide=edit_guide) == expected


def test_compact_rows_actually_select_something() -> None:
    # guards the test above against both shapes selecting nothing
    assert pick(COMPACT_HOSTED_ROWS, "a cat", "explore", None) == "xai.grok-imagine-image-quality"
    assert pick(COMPACT_HOSTED_ROWS, "a 3d model of a cat", "explore", None) == (
        "fal.trellis-image-to-3d"
    )
    assert pick(COMPACT_LOCAL_ROWS, "a video clip", "explore", None) == "local.video"
    assert pick(COMPACT_LOCAL_ROWS, "make it blue", "explore", None, edit_guide=True) == (
        "local.image-edit"
    )


@pytest.mark.parametrize(
    ("prompt", "quota", "extra"),
    [
        ("a compact field camera", QUOTA_RICH, {}),
        ("a compact field camera", QUOTA_BROKE, {}),
        ("a 5 second video clip of waves at dusk", QUOTA_RICH, {}),
        ("a textured 3D model of a chair", QUOTA_RICH, {}),
        ("a compact field camera", QUOTA_RICH, {"intent": "draft"}),
        ("a compact field camera", QUOTA_RICH, {"model": "fal.flux-dev"}),
        ("", QUOTA_RICH, {}),
    ],
)
def test_both_shapes_build_the_same_guide(prompt: str, quota: dict, extra: dict) -> None:
    full = build(prompt=prompt, token_source="env", quota=quota, **extra)
    compact = build(
        prompt=prompt,
        token_source="env",
        quota=quota,
        models=models_envelope(COMPACT_HOSTED_ROWS),
        **extra,
    )
    assert compact.data == full.data
    assert full.data["selection"] is not None


def test_local_shapes_build_the_same_guide() -> None:
    for prompt in ("a red bicycle", "footage of a harbour", "rain sound", "a glb of a lamp"):
        kw: dict[str, Any] = {"prompt": prompt, "token_source": "env", "quota": QUOTA_RICH}
        full = build(models=models_envelope(LOCAL_ROWS), **kw)
        compact = build(models=models_envelope(COMPACT_LOCAL_ROWS), **kw)
        assert compact.data == full.data, prompt


# --- the readers, one by one ---------------------------------------------------------------


def test_execution_status_reader() -> None:
    assert execution_status({"execution": {"model_execution_status": "executable"}}) == (
        "executable"
    )
    assert execution_status({"model_execution_status": "executable"}) == "executable"
    # the full-row path wins; a non-string falls through to the compact key
    both = {"execution": {"model_execution_status": "x"}, "model_execution_status": "y"}
    assert execution_status(both) == "x"
    odd = {"execution": {"model_execution_status": 1}, "model_execution_status": "y"}
    assert execution_status(odd) == "y"
    assert execution_status({"model_execution_status": None}) is None
    assert execution_status(None) is None


def test_credit_pricing_reader_synthesises_from_compact_keys() -> None:
    row = {"credits_required": 7, "estimated_usd_per_image": 0.04, "pricing_confidence": "known"}
    assert credit_pricing(row) == {
        "credits_required": 7,
        "estimated_revenue_usd": 0.07,
        "estimated_provider_cost_usd": 0.04,
        "fallback_provider_cost_usd": None,
        "credit_unit_usd": 0.01,
        "pricing_confidence": "known",
    }
    loose = {"credits_required": 3, "estimated_usd_per_image": "0.1", "pricing_confidence": 5}
    synthesised = credit_pricing(loose)
    assert synthesised["estimated_provider_cost_usd"] is None
    assert synthesised["pricing_confidence"] is None
    assert "pricing_source" not in synthesised
    assert credit_pricing({"credits_required": "7"}) is None
    assert credit_pricing({"credits_required": True}) is None
    # the full row's object is used as it is
    full = {"economics": {"credit_pricing": {"credits_required": 1}}, "credits_required": 9}
    assert credit_pricing(full) == {"credits_required": 1}


def test_provider_usd_and_aspect_ratio_readers() -> None:
    assert row_provider_usd({"economics": {"estimated_usd_per_image": 0.2}}) == 0.2
    assert row_provider_usd({"estimated_usd_per_image": 0.3}) == 0.3
    assert row_provider_usd({"estimated_usd_per_image": "0.3"}) is None
    assert aspect_ratio_values({"media": {"input": {"aspect_ratios": {"values": ["1:1"]}}}}) == [
        "1:1"
    ]
    assert aspect_ratio_values({"aspect_ratios": ["9:16"]}) == ["9:16"]
    assert aspect_ratio_values({"aspect_ratios": "16:9"}) is None


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"accepts_input_images": True, "supports": ["edit"]}, True),
        ({"accepts_input_images": True, "supports": ["variation"]}, True),
        ({"accepts_input_images": True, "supports": ["create"]}, False),
        ({"accepts_input_images": "yes", "supports": ["edit"]}, False),
        ({"media": {"input": {"images": {"required": True}}}, "supports": ["edit"]}, True),
        ({"media": {"input": {"images": {"required": False}}}, "supports": ["edit"]}, False),
        # 0.1.30 wanted modality 3d; since 0.1.34 any input-image edit model counts (§4.3)
        ({"accepts_input_images": True, "supports": ["edit"], "modality": "image"}, True),
        ({"accepts_input_images": True, "supports": "edit"}, False),
    ],
)
def test_needs_input(row: dict, expected: bool) -> None:
    assert needs_input(row) is expected


def test_exec_predicates_on_compact_rows() -> None:
    edit = compact_row(
        hosted_row(
            "openai.gpt-image-2-edit",
            supports=("edit",),
            credits=17,
            revenue=0.17,
            usd=0.1,
            media_input={"images": {"required": True}},
        )
    )
    assert exec_input_edit(edit) and not exec_create(edit)
    not_ready = dict(edit, model_execution_status="cataloged_not_wired")
    assert not exec_input_edit(not_ready)
    unavailable = dict(edit, status="unavailable")
    assert not exec_input_edit(unavailable)
    # create --guide --model of an input-image edit model selects it (§4.3 item 1)
    rows = [*COMPACT_HOSTED_ROWS, edit]
    chosen = pick(rows, "make it blue", "explore", None, requested_model="openai.gpt-image-2-edit")
    assert chosen == "openai.gpt-image-2-edit"
    out = build(
        prompt="make it blue",
        model="openai.gpt-image-2-edit",
        models=models_envelope(rows),
        token_source="env",
        quota=QUOTA_RICH,
    )
    assert out.data["selection"]["operation"] == "edit"
    assert out.data["next_command"].startswith("image-skill edit --input image_... ")
