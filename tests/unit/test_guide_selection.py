"""Model selection, keyword detection, pricing helpers and the payment summary of the guide."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from guide_fixtures import (
    CHECKOUT_METHOD,
    HOSTED_ROWS,
    LOCAL_ROWS,
    QUOTA_BROKE,
    QUOTA_RICH,
    X402_METHOD,
    build,
    hosted_row,
    models_envelope,
    payments_envelope,
    simulated,
)

from image_skill._js import flag_number, format_usd, js_trim, number_to_string, truthy
from image_skill.guide import text as T
from image_skill.guide.payments import payment_summary
from image_skill.guide.selection import (
    implies_3d,
    implies_audio,
    implies_video,
    intent_class,
    select_model,
)


def pick(rows: list[dict[str, Any]], prompt: str, **kw: Any) -> str | None:
    kw.setdefault("intent", "explore")
    kw.setdefault("requested_model", None)
    kw.setdefault("max_usd", None)
    model = select_model(copy.deepcopy(rows), prompt=prompt, **kw)
    return None if model is None else model["id"]


# --- hosted-like registry (digest §12.1) ---------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "intent", "expected"),
    [
        ("a compact field camera", "explore", "xai.grok-imagine-image-quality"),
        ("a compact field camera", "final", "xai.grok-imagine-image-quality"),
        ("a compact field camera", " Draft ", "fal.flux-dev"),
        ("a 5 second video clip of waves", "explore", "fal.ltx-video-13b-distilled"),
        ("a lo-fi soundtrack for a rainy day", "explore", "fal.stable-audio-25-text-to-audio"),
        ("a textured 3D model of a chair", "explore", "fal.trellis-image-to-3d"),
        ("a chair", "image-to-3d", "fal.trellis-image-to-3d"),
        ("a music video still", "explore", "fal.ltx-video-13b-distilled"),
    ],
)
def test_hosted_selection(prompt: str, intent: str, expected: str) -> None:
    assert pick(HOSTED_ROWS, prompt, intent=intent) == expected


def test_hosted_explicit_model_skips_every_heuristic() -> None:
    assert pick(HOSTED_ROWS, "a video", requested_model="fal.flux-dev") == "fal.flux-dev"
    assert pick(HOSTED_ROWS, "x", requested_model="fal.trellis-image-to-3d") == (
        "fal.trellis-image-to-3d"
    )
    assert pick(HOSTED_ROWS, "x", requested_model="openai.gpt-image-2") is None
    assert pick(HOSTED_ROWS, "x", requested_model="nope") is None


def test_hosted_explicit_model_reasons() -> None:
    out = build(model="fal.flux-dev", token_source="env", quota=QUOTA_RICH)
    assert out.data["selection"]["reason"] == T.R_REQ_CREATE
    assert "--model fal.flux-dev " in out.data["next_command"]
    out3d = build(model="fal.trellis-image-to-3d", token_source="env", quota=QUOTA_RICH)
    assert out3d.data["selection"]["reason"] == T.R_REQ_3D
    # The 3D next_command holds an image_... placeholder: both reasons say how to fill it.
    for reason in (T.R_REQ_3D, T.R_3D):
        assert "image_..." in reason and "asset_id" in reason and "upload PATH" in reason
    assert out3d.data["selection"]["operation"] == "edit"


def test_budget_filter_and_its_fallback() -> None:
    # 0.05 excludes the 0.09 quality model, so the next preferred id that fits wins.
    assert pick(HOSTED_ROWS, "a cat", max_usd=0.05) == "fal.flux-dev"
    # Nothing fits 0.01: the budget is ignored and the usual choice stands.
    assert pick(HOSTED_ROWS, "a cat", max_usd=0.01) == "xai.grok-imagine-image-quality"
    # The budget filters the whole candidate list first: a video prompt whose only video
    # model is over budget gets the preferred image model that fits (npm behaviour).
    assert pick(HOSTED_ROWS, "a video clip", max_usd=0.1) == "xai.grok-imagine-image-quality"
    assert pick(HOSTED_ROWS, "a video clip", max_usd=0.3) == "fal.ltx-video-13b-distilled"


def test_reasons_follow_the_final_model() -> None:
    draft = build(intent="draft", token_source="env", quota=QUOTA_RICH)
    assert draft.data["selection"]["reason"] == T.R_DRAFT
    rows = [r for r in HOSTED_ROWS if r["id"] not in ("xai.grok-imagine-image-quality",)]
    rows = [r for r in rows if r["id"] != "fal.flux-dev"]
    first = build(models=models_envelope(rows), token_source="env", quota=QUOTA_RICH)
    # No preferred id and no image row left: the first eligible row, which is the video one.
    assert first.data["selection"]["model_id"] == "fal.ltx-video-13b-distilled"
    assert first.data["selection"]["reason"] == T.R_FIRST
    assert first.data["selection"]["suggested_aspect_ratio"] == "16:9"


def test_first_image_row_beats_first_row_when_no_preferred_id() -> None:
    rows = [
        hosted_row("fal.some-video", modality="video", credits=5, revenue=0.05, usd=0.04),
        hosted_row("fal.some-image", credits=2, revenue=0.02, usd=0.01),
    ]
    assert pick(rows, "a cat") == "fal.some-image"
    assert pick(rows, "a cat clip") == "fal.some-video"


# --- local-like registry -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a red bicycle leaning on a wall", "local.image"),
        ("an animated clip of a red bicycle", "local.video"),
        ("rain sound on a tin roof", "local.audio"),
        ("a glb mesh of a bicycle", "local.image-to-3d"),
    ],
)
def test_local_selection(prompt: str, expected: str) -> None:
    assert pick(LOCAL_ROWS, prompt) == expected
    shuffled = list(LOCAL_ROWS)
    random.Random(7).shuffle(shuffled)
    shuffled.sort(key=lambda row: row["id"] == "local.image")  # default row last
    assert pick(shuffled, prompt) == expected


def test_local_default_row_preferred_among_image_candidates() -> None:
    rows = [
        *(r for r in LOCAL_ROWS if r["id"] == "local.video"),
        copy.deepcopy(LOCAL_ROWS[0]) | {"id": "local.image-plain", "default": False},
        *(r for r in LOCAL_ROWS if r["id"] != "local.video"),
    ]
    assert pick(rows, "a cat") == "local.image"
    out = build(models=models_envelope(LOCAL_ROWS), token_source="env", quota=QUOTA_RICH)
    assert out.data["selection"]["model_id"] == "local.image"
    assert out.data["selection"]["reason"] == T.R_DEFAULT
    # Catalog-only mirrors of hosted ids never run, so the preference list skips them.
    assert pick(LOCAL_ROWS, "a cat", intent="draft") == "local.image"


def test_local_explicit_models() -> None:
    assert pick(LOCAL_ROWS, "x", requested_model="local.audio") == "local.audio"
    # Contract 0.1.70 §4.3 (since 0.1.34): an input-image edit model asked for by --model is
    # a guide model of create --guide too (0.1.30 accepted image-to-3D only). Catalog-only
    # mirrors never are.
    assert pick(LOCAL_ROWS, "x", requested_model="local.image-edit") == "local.image-edit"
    assert pick(LOCAL_ROWS, "x", requested_model="xai.grok-imagine-image-quality") is None


def test_local_3d_ready_command_is_an_edit() -> None:
    out = build(
        prompt="a chair as a 3d model",
        models=models_envelope(LOCAL_ROWS),
        token_source="env",
        quota=QUOTA_RICH,
        explicit_api_base_url="local",
    )
    assert out.data["selection"]["model_id"] == "local.image-to-3d"
    assert out.data["next_command"] == (
        "image-skill edit --input image_... --model local.image-to-3d "
        "--max-estimated-usd-per-image 0.02 "
        "--idempotency-key edit-guide-1780000000000-1a2b3c4d --output . --api-base-url local --json"
    )


def test_local_video_aspect_ratio_falls_back_to_first_value() -> None:
    out = build(
        prompt="footage of a harbour",
        models=models_envelope(LOCAL_ROWS),
        token_source="env",
        quota=QUOTA_RICH,
    )
    assert out.data["selection"]["suggested_aspect_ratio"] == "1:1"
    assert "--aspect-ratio 1:1 " in out.data["next_command"]


def test_real_local_registry_rows_route_each_kind_of_prompt() -> None:
    registry = pytest.importorskip("image_skill.local.registry.data")
    rows = copy.deepcopy(registry.LOCAL_ROWS)
    assert pick(rows, "a lighthouse at dawn") == "local.image"
    assert pick(rows, "a video of a lighthouse") == "local.video"
    assert pick(rows, "the sound of a lighthouse horn") == "local.audio"
    assert pick(rows, "a textured model of a lighthouse") == "local.image-to-3d"


# --- keyword detection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "three_d", "audio", "video"),
    [
        ("a mesh fence", True, False, False),
        ("meshes", False, False, False),
        ("3d printable chess piece model", True, False, False),
        ("3dmodel", False, False, False),
        ("object as three-d", True, False, False),
        ("a music video", False, False, True),
        ("music video with audio", False, False, True),
        ("sounds of rain", False, False, False),
        ("éaudio", False, True, False),
        ("clip-art of a cat", False, False, True),
        ("videos of cats", False, False, False),
        ("a time-lapse of a city", False, False, True),
        ("text-to-audio jingle", False, True, False),
        ("3d\u00a0low poly asset", True, False, False),
    ],
)
def test_keyword_detection(text: str, three_d: bool, audio: bool, video: bool) -> None:
    assert (implies_3d(text), implies_audio(text), implies_video(text)) == (three_d, audio, video)


@pytest.mark.parametrize(
    ("intent", "klass"),
    [
        ("explore", "general"),
        ("cheap", "budget_draft"),
        ("\ufeffTEST ", "budget_draft"),
        ("product-shot", "final"),
        ("Hero", "final"),
        ("drafty", "general"),
    ],
)
def test_intent_classes(intent: str, klass: str) -> None:
    assert intent_class(intent) == klass


# --- JS helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.125, "0.13"),
        (0.625, "0.63"),
        (0.035, "0.04"),
        (1.005, "1.00"),
        (0.001, "0.00"),
        (0.5, "0.50"),
        (1, "1"),
        (1.0, "1"),
        (-0.0, "0"),
        (0.09, "0.09"),
        (9 / 100, "0.09"),
        (-0.5, "-0.50"),
    ],
)
def test_format_usd_matches_to_fixed(value: float, text: str) -> None:
    assert format_usd(value) == text


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("", 0.0),
        ("  ", 0.0),
        ("1.", 1.0),
        (".5", 0.5),
        ("+.5", 0.5),
        ("1e-2", 0.01),
        ("00012", 12.0),
        ("0x10", 16.0),
        ("0b11", 3.0),
        ("0o17", 15.0),
        ("Infinity", None),
        ("nan", None),
        ("inf", None),
        ("1_0", None),
        ("abc", None),
        (None, None),
        (0.25, 0.25),
    ],
)
def test_flag_number_follows_js_number(raw: Any, value: float | None) -> None:
    assert flag_number(raw) == value


def test_js_number_to_string_and_truthiness() -> None:
    assert [number_to_string(x) for x in (1e-7, 1e21, 1e16, 0.1, 123.0, -2.5)] == [
        "1e-7",
        "1e+21",
        "10000000000000000",
        "0.1",
        "123",
        "-2.5",
    ]
    assert [truthy(v) for v in ([], {}, "", 0, None, "0", float("nan"), False)] == [
        True,
        True,
        False,
        False,
        False,
        True,
        False,
        False,
    ]
    assert js_trim("\ufeff\u00a0 x \u2028") == "x"
    assert js_trim("\x1cx\x85") == "\x1cx\x85"


# --- payment summary ---------------------------------------------------------------------------


def test_simulated_local_rails_count_as_usable() -> None:
    summary = payment_summary(
        payments_envelope([simulated(CHECKOUT_METHOD), simulated(X402_METHOD)])["data"]
    )
    # usable, but simulated rails move no money, so none is listed as live money
    assert summary["live_money_methods"] == []
    assert summary["browserless_methods"] == ["stripe_x402.exact.usdc"]
    assert summary["preferred_method"] == "stripe_x402.exact.usdc"
    # The summary stays honest about money: a simulated rail is not live money.
    assert summary["preferred_method_summary"]["live_money"] is False
    assert summary["preferred_method_summary"]["top_up_path"] == "browserless_agent_self_fund"


def test_non_live_unsimulated_and_unavailable_rails_are_dropped() -> None:
    not_live = copy.deepcopy(X402_METHOD) | {"live_money": False}
    unavailable = copy.deepcopy(CHECKOUT_METHOD) | {"available": False}
    summary = payment_summary(payments_envelope([not_live, unavailable])["data"])
    assert summary["checked"] is True
    assert summary["live_money_methods"] == []
    assert summary["preferred_method"] is None
    # buyer_modes still lists the unavailable live-money rail's modes.
    assert summary["buyer_modes"] == ["hybrid", "human_only"]


def test_quota_stage_on_local_simulated_rails() -> None:
    out = build(
        payments=payments_envelope([simulated(CHECKOUT_METHOD), simulated(X402_METHOD)]),
        token_source="env",
        quota=QUOTA_BROKE,
    )
    assert out.data["stage"] == "quota_required"
    assert out.data["self_fund_next_command_label"] == "browserless_agent_payable_quote"
    assert out.data["self_fund_handoff"]["wallet_settlement"] is not None
    assert out.data["guide_warning"]["payment_top_up_path"] == "browserless_agent_self_fund"
    # No money moves on a simulated rail, and the guide must not say it does: agents are
    # told to treat live_money true as real spend, so they would refuse the rehearsal.
    assert out.data["self_fund_handoff"]["live_money"] is False
    assert out.data["guide_warning"]["live_money_action"] is False
    assert out.data["guide_warning"]["spend_required"] is True
    # ...and its sentences say the rail is simulated instead of warning about real money.
    # the fixture rail's quote holds KEY, so the template variant (0.1.70 §4.10)
    assert out.data["guide_warning"]["warning"] == T.template_variant(T.GW_QUOTA_SIMULATED)
    assert out.data["self_fund_handoff"]["warning"] == T.SF_SIMULATED
    wallet = out.data["self_fund_handoff"]["wallet_settlement"]
    assert wallet["warning"] == T.WS_WARNING_SIMULATED
    assert wallet["next_step"] == T.WS_NEXT_STEP_SIMULATED
    live = build(payments=payments_envelope([X402_METHOD]), token_source="env", quota=QUOTA_BROKE)
    assert live.data["self_fund_handoff"]["live_money"] is True
    assert live.data["guide_warning"]["live_money_action"] is True
    assert live.data["guide_warning"]["warning"] == T.template_variant(T.GW_QUOTA_SELF_FUND)
    assert live.data["self_fund_handoff"]["wallet_settlement"]["warning"] == T.WS_WARNING


def test_inspection_path_for_a_rail_that_is_neither_self_fund_nor_handoff() -> None:
    method = copy.deepcopy(X402_METHOD) | {
        "method_id": "wire",
        "requires_browser": None,
        "agent_settleable": False,
        "buyer_modes": ["agent_only"],
        "recovery": {"status_command": "image-skill credits status --json"},
    }
    summary = payment_summary({"methods": [method]})
    assert summary["preferred_method"] == "wire"
    assert summary["preferred_method_summary"]["top_up_path"] == "payment_method_inspection"
    assert summary["preferred_method_summary"]["next_step"] == "inspect_credits_methods"
    assert summary["suggested_commands"][-1] == "image-skill credits status --json"
    out = build(
        payments={"ok": True, "data": {"methods": [method]}}, token_source="env", quota=QUOTA_BROKE
    )
    assert out.data["guide_warning"]["warning"] == T.GW_QUOTA_OTHER
    assert out.data["self_fund_next_command_label"] == "payment_or_quota_action"
