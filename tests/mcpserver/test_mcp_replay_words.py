"""The CLI words a spend made through MCP records in its breadcrumb (``argv``): the flags
that send the same body again, in the order of the CLI's own recovery commands."""

from __future__ import annotations

import pytest

from image_skill.api.requests import CreateRequest, EditRequest, Reference
from image_skill.cli.mcp import body_words
from image_skill.cli.references import build_plan


def test_a_create_body_becomes_the_flags_that_send_it_again() -> None:
    body = CreateRequest(
        prompt="a red kite",
        model="local.image",
        aspect_ratio="16:9",
        output_count=2,
        max_estimated_usd_per_image=0.25,
        max_usd=1,
        model_parameters={"seed": 7},
        references=[Reference(asset_id="image_abc", role="reference_image", index=1)],
        idempotency_key="k-1",
        accept_unknown_cost=True,
    ).to_body()
    assert body_words("create", body) == [
        "--prompt",
        "a red kite",
        "--model",
        "local.image",
        "--aspect-ratio",
        "16:9",
        "--output-count",
        "2",
        "--max-estimated-usd-per-image",
        "0.25",
        "--max-usd",
        "1",
        "--model-parameters-json",
        '{"seed":7}',
        "--accept-unknown-cost",
        "--reference-image",
        "image_abc@1",
        "--idempotency-key",
        "k-1",
    ]


def test_reference_values_parse_back_to_the_same_references() -> None:
    refs = [
        Reference(asset_id="image_a", role="element_frontal", index=0),
        Reference(asset_id="image_b", role="element_reference", index=0, reference_index=2),
        Reference(asset_id="image_c", role="reference_image", index=0, reference_task="style"),
    ]
    body = CreateRequest(prompt="x", references=refs, idempotency_key="k").to_body()
    words = body_words("create", body)
    flags = ("--element-frontal", "--element-reference", "--reference-image")
    values: dict[str, list[str]] = {flag: [] for flag in flags}
    for flag, value in zip(words, words[1:], strict=False):
        if flag in values:
            values[flag].append(value)
    plans = build_plan(
        values["--element-frontal"], values["--element-reference"], values["--reference-image"]
    )
    rebuilt = [plan.to_reference(plan.image) for plan in plans]
    assert sorted(rebuilt, key=str) == sorted(body["references"], key=str)


def test_an_edit_body_starts_with_its_input_and_mask_and_skips_what_edit_cannot_take() -> None:
    body = EditRequest(
        input_asset_id="image_in",
        mask_asset_id="image_mask",
        prompt="blue sky",
        output_count=3,
        idempotency_key="e-1",
    ).to_body()
    assert body_words("edit", body) == [
        "--input",
        "image_in",
        "--mask",
        "image_mask",
        "--prompt",
        "blue sky",
        "--idempotency-key",
        "e-1",
    ]


def test_the_breadcrumb_of_an_env_token_spend_says_to_pipe_the_same_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from image_skill.cli._app import AppState
    from image_skill.cli.mcp import spend_replay

    monkeypatch.setenv("IMAGE_SKILL_TOKEN", "isk_r_" + "x" * 24)
    body = CreateRequest(prompt="x", aspect_ratio="1:1", idempotency_key="k-env").to_body()
    argv, note = spend_replay(AppState(api_base_url="local", token_source="env"))("create", body)
    assert argv == [
        *["--prompt", "x", "--aspect-ratio", "1:1", "--idempotency-key", "k-env"],
        *["--token-stdin", "--api-base-url", "local", "--json"],
    ]
    assert note is not None
    assert note["token_source"] == "env" and note["token_env"] == "IMAGE_SKILL_TOKEN"
    saved = spend_replay(AppState(api_base_url="local", token_source="config"))
    argv, note = saved("create", body)
    assert "--token-stdin" not in argv and note is None
