"""Compact `models` rows (contract §10.7, 0.1.70 §3.2/§3.3): key order, omission rules,
task tags, and the pass-through of lists the server compacted."""

from __future__ import annotations

from typing import Any

import pytest

from image_skill.cli.summary import summarize_models, summary_row, task_tags
from image_skill.local.registry.models import list_models
from summarytools import SUMMARY_ROW_KEYS


def full_row() -> dict[str, Any]:
    return {
        "id": "fal.some-model",
        "display_name": "Some Model",
        "provider_id": "fal",
        "mode": "create",
        "status": "available",
        "availability_reason": "ok",
        "supports": ["create"],
        "operations": ["image.generate"],
        "capability": {"intents": ["explore"], "grants_required": ["image.create.preview"]},
        "economics": {
            "estimated_usd_per_image": 0.05,
            "cost_known": True,
            "budget_required_for_live": False,
            "credit_pricing": {"credits_required": 9, "pricing_confidence": "known"},
        },
        "media": {"output": {"max_outputs_per_request": 1, "max_resolution": "1k"}},
        "execution": {
            "model_execution_status": "executable",
            "artifact_storage": "image_skill_owned",
        },
        "parameters": {"properties": {"seed": {"type": "integer"}}},
    }


def test_row_keys_in_contract_order_and_values() -> None:
    row = summary_row(full_row())
    assert list(row) == SUMMARY_ROW_KEYS
    assert row["estimated_usd_per_image"] == 0.05
    assert row["credits_required"] == 9
    assert row["pricing_confidence"] == "known"
    assert row["cost_known"] is True
    assert row["max_outputs_per_request"] == 1
    assert row["max_resolution"] == "1k"
    assert row["grants_required"] == ["image.create.preview"]
    assert row["show_command"] == "image-skill models show fal.some-model --json"
    assert "parameters" not in row


def test_missing_raw_keys_are_omitted_and_defaults_filled() -> None:
    row = summary_row({"operations": "not-a-list", "economics": "nope"})
    # without raw keys: `default` (always a bool) and everything derived
    assert list(row) == ["default", *SUMMARY_ROW_KEYS[6:]]
    assert row["default"] is False and row["modality"] == "image"
    assert row["availability_reason"] is None
    assert row["supports"] == [] and row["operations"] == []
    assert row["estimated_usd_per_image"] is None
    assert row["credits_required"] is None
    assert row["cost_known"] is False
    assert row["budget_required_for_live"] is False
    assert row["grants_required"] == []
    assert row["show_command"] == "image-skill models show MODEL_ID --json"


@pytest.mark.parametrize(
    ("given", "default"), [(True, True), (False, False), ("true", False), (1, False), (None, False)]
)
def test_default_is_true_only_for_true(given: Any, default: bool) -> None:
    assert summary_row({**full_row(), "default": given})["default"] is default


@pytest.mark.parametrize(("given", "modality"), [("video", "video"), (None, "image"), ("", "")])
def test_modality_falls_back_to_image_only_when_missing(given: Any, modality: str) -> None:
    model = full_row()
    if given is not None:
        model["modality"] = given
    assert summary_row(model)["modality"] == modality


def test_server_compacted_lists_pass_through() -> None:
    data = {"models": [{"id": "a"}], "summary": {"result_shape": "compact_model_summary"}}
    assert summarize_models(data) is data
    other = {"models": [full_row()], "summary": {"result_shape": "something_else"}}
    assert summarize_models(other)["models"][0]["task_tags"]


def test_raw_null_is_kept_but_absent_is_dropped() -> None:
    row = summary_row({"id": "x.y", "status": None})
    assert "status" in row and row["status"] is None
    assert "display_name" not in row


def test_cost_known_false_and_null_fallbacks() -> None:
    model = full_row()
    model["economics"]["cost_known"] = None
    model["economics"]["budget_required_for_live"] = True
    row = summary_row(model)
    assert row["cost_known"] is False
    assert row["budget_required_for_live"] is True


@pytest.mark.parametrize(
    ("operation", "tag"),
    [
        ("image.generate", "generate"),
        ("image.edit", "edit"),
        ("image.variation", "variation"),
        ("image.upscale", "upscale"),
        ("image.utility", "utility"),
        ("image.vision", "vision"),
        ("video.generate", "inspect"),
        ("3d.generate", "inspect"),
    ],
)
def test_operation_tags(operation: str, tag: str) -> None:
    assert task_tags({"operations": [operation]})[0] == tag


def test_supports_then_operations_then_intents_deduplicated() -> None:
    tags = task_tags(
        {
            "supports": ["edit", "create"],
            "operations": ["image.edit", "image.variation"],
            "capability": {"intents": ["final", "edit", "final"]},
        }
    )
    assert tags == ["edit", "create", "variation", "final"]


def test_text_to_image_rules() -> None:
    generate = {"operations": ["image.generate"]}
    assert "text-to-image" in task_tags(generate)
    needs_image = {**generate, "media": {"input": {"images": {"required": True}}}}
    assert "text-to-image" not in task_tags(needs_image)
    needs_refs = {**generate, "media": {"input": {"references": {"required": True}}}}
    assert "text-to-image" not in task_tags(needs_refs)
    assert "text-to-image" not in task_tags({"operations": ["image.edit"]})


def test_input_image_tags_only_when_required_is_true() -> None:
    tags = task_tags({"media": {"input": {"images": {"required": True}}}})
    assert tags == ["input-image", "image-to-image"]
    assert task_tags({"media": {"input": {"images": {"required": "yes"}}}}) == []


def test_mask_tags() -> None:
    assert task_tags({"media": {"input": {"mask": {"supported": True}}}}) == ["mask"]
    required = {"media": {"input": {"mask": {"supported": True, "required": True}}}}
    assert task_tags(required) == ["mask-required"]
    assert task_tags({"media": {"input": {"mask": {"required": True}}}}) == []


def test_reference_tags() -> None:
    one = {"media": {"input": {"references": {"supported": True, "max": 1}}}}
    assert task_tags(one) == ["reference-image"]
    many = {"media": {"input": {"references": {"supported": True, "max": 2}}}}
    assert task_tags(many) == ["reference-image", "multi-reference"]
    assert task_tags({"media": {"input": {"references": {"max": 5}}}}) == []


def test_output_tags() -> None:
    assert task_tags({"media": {"output": {"transparent_background": True}}}) == [
        "transparent-background"
    ]
    assert task_tags({"media": {"output": {"max_outputs_per_request": 4}}}) == ["multi-output"]
    assert task_tags({"media": {"output": {"max_outputs_per_request": 1}}}) == []


def test_video_tag_from_id_case_sensitive_or_display_name_any_case() -> None:
    assert task_tags({"id": "fal.ltx-video"}) == ["video"]
    assert task_tags({"id": "fal.LTX-VIDEO"}) == []
    assert task_tags({"id": "x", "display_name": "My VIDEO model"}) == ["video"]


def test_downloadable_tag() -> None:
    assert task_tags({"execution": {"artifact_storage": "image_skill_owned"}}) == ["downloadable"]
    assert task_tags({"execution": {"artifact_storage": "provider"}}) == []


def test_full_tag_order() -> None:
    model = {
        "id": "x.video-edit",
        "supports": ["edit"],
        "operations": ["image.edit"],
        "capability": {"intents": ["final"]},
        "media": {
            "input": {
                "images": {"required": True},
                "mask": {"supported": True},
                "references": {"supported": True, "max": 3},
            },
            "output": {"transparent_background": True, "max_outputs_per_request": 2},
        },
        "execution": {"artifact_storage": "image_skill_owned"},
    }
    assert task_tags(model) == [
        "edit",
        "final",
        "input-image",
        "image-to-image",
        "mask",
        "reference-image",
        "multi-reference",
        "transparent-background",
        "multi-output",
        "video",
        "downloadable",
    ]


def test_summarize_keeps_key_positions_and_merges_summary() -> None:
    data = {"models": [full_row()], "summary": {"total": 1, "result_shape": "x"}, "extra": 1}
    out = summarize_models(data)
    assert list(out) == ["models", "summary", "extra"]
    assert out["summary"] == {
        "total": 1,
        "result_shape": "compact_model_summary",
        "full_list_command": "image-skill models list --details --json",
    }
    assert list(out["models"][0]) == SUMMARY_ROW_KEYS
    assert data["models"][0]["parameters"]  # input untouched


def test_summarize_adds_summary_after_existing_keys() -> None:
    out = summarize_models({"models": [], "note": "n"})
    assert list(out) == ["models", "note", "summary"]


@pytest.mark.parametrize("data", [None, [], "x", {"models": "nope"}, {"other": 1}])
def test_non_model_data_passes_through(data: Any) -> None:
    assert summarize_models(data) == data


def test_custom_renderer_is_used_for_commands() -> None:
    def render(argv: list[str]) -> str:
        return "python -m image_skill " + " ".join(argv)

    out = summarize_models({"models": [full_row()]}, render=render)
    assert out["models"][0]["show_command"] == (
        "python -m image_skill models show fal.some-model --json"
    )
    assert out["summary"]["full_list_command"] == (
        "python -m image_skill models list --details --json"
    )


def test_summary_of_the_local_registry() -> None:
    out = summarize_models(list_models(base="local"))
    rows = {row["id"]: row for row in out["models"]}
    image = rows["local.image"]
    assert image["credits_required"] == 9
    assert image["task_tags"][:3] == ["create", "generate", "explore"]
    assert "text-to-image" in image["task_tags"] and "multi-output" in image["task_tags"]
    edit = rows["local.image-edit"]
    assert {"mask", "reference-image", "multi-reference", "input-image"} <= set(edit["task_tags"])
    assert "video" in rows["local.video"]["task_tags"]
    assert rows["local.image-edit-usage-priced"]["budget_required_for_live"] is True
