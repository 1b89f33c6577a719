"""Model-parameter defaults, the xAI re-price, JS rounding and ``--model`` lookup
(contract 0.1.70 §3.6, §4.4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from guide_fixtures import HOSTED_ROWS, QUOTA_RICH, build, hosted_row, models_envelope

from image_skill._js import js_round
from image_skill.guide.lookup import fuzzy_match, norm, resolve_lookup
from image_skill.guide.pricing import (
    default_model_parameters,
    guide_pricing,
    xai_credit_pricing,
    xai_provider_cost,
)

QUALITY = "xai.grok-imagine-image-quality"


def row(model_id: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("credits", 9)
    kw.setdefault("revenue", 0.09)
    kw.setdefault("usd", 0.07)
    return hosted_row(model_id, **kw)


def cost(model: dict | None, **kw: Any) -> dict[str, Any]:
    kw.setdefault("user_parameters", None)
    kw.setdefault("budget_draft", False)
    kw.setdefault("max_usd", None)
    kw.setdefault("aspect_ratio", None)
    return guide_pricing(model, **kw).cost()


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0.125, 2, 0.13),  # Python's round gives 0.12
        (2.5, 0, 3.0),  # and 2.0 here
        (-2.5, 0, -2.0),  # JS Math.round breaks ties towards +infinity
        (1.005, 2, 1.0),  # 1.005 is 1.00499999... in binary
        (11.666666666666668, 6, 11.666667),
        (0.0, 6, 0.0),
    ],
)
def test_js_round_is_half_up(value: float, digits: int, expected: float) -> None:
    assert js_round(value, digits) == expected


def test_quality_model_defaults_to_2k_and_is_re_priced() -> None:
    # verified in 0.1.70 (§4.4): 12 credits, 0.12, provider 0.07, model_parameters
    assert cost(row(QUALITY)) == {
        "estimated_credits": 12,
        "estimated_usd_per_image": 0.12,
        "estimated_debit_usd_per_image": 0.12,
        "estimated_provider_usd_per_image": 0.07,
        "credit_unit_usd": 0.01,
        "pricing_confidence": "known",
        "pricing_source": "model_parameters",
        "model_parameter_defaults_applied": ["resolution=2k"],
    }


@pytest.mark.parametrize(
    ("kw", "resolution", "credits", "source"),
    [
        ({"budget_draft": True}, "1k", 9, "model_registry"),
        ({"max_usd": 0.06}, "1k", 9, "model_registry"),
        ({"max_usd": 0.07}, "2k", 12, "model_parameters"),  # 0.07 does not exceed 0.07
        ({"max_usd": 0.5}, "2k", 12, "model_parameters"),
    ],
)
def test_quality_resolution_rule(kw: dict, resolution: str, credits: int, source: str) -> None:
    out = cost(row(QUALITY), **kw)
    assert out["model_parameter_defaults_applied"] == [f"resolution={resolution}"]
    assert out["estimated_credits"] == credits
    assert out["pricing_source"] == source


def test_user_parameters_win_and_are_priced() -> None:
    # the user's own resolution is kept even for a draft, and priced
    out = cost(row(QUALITY), user_parameters={"resolution": "2k"}, budget_draft=True)
    assert out["model_parameter_defaults_applied"] == []
    assert (out["estimated_credits"], out["pricing_source"]) == (12, "model_parameters")
    # a user value other than 1k/absent counts as model_parameters pricing at the 1k rate
    out = cost(row(QUALITY), user_parameters={"resolution": "4k"})
    assert (out["estimated_credits"], out["pricing_source"]) == (9, "model_parameters")


def test_plain_xai_model_re_priced_only_with_user_parameters() -> None:
    plain = row("xai.grok-imagine-image", credits=5, revenue=0.05, usd=0.02)
    registry = cost(plain)
    assert registry["estimated_credits"] == 5 and registry["pricing_source"] is None
    seeded = cost(plain, user_parameters={"seed": 1})
    # 0.02 / 0.6 / 0.01 = 3.33.. -> 4 credits
    assert seeded["estimated_credits"] == 4
    assert seeded["estimated_usd_per_image"] == 0.04
    assert seeded["estimated_provider_usd_per_image"] == 0.02
    assert seeded["pricing_source"] == "model_registry"
    assert seeded["model_parameter_defaults_applied"] == []


def test_xai_edit_model_costs_its_source_image() -> None:
    assert xai_provider_cost("xai.grok-imagine-image-edit", {}) == (0.022, "model_registry")
    assert xai_provider_cost("xai.grok-imagine-image-quality-edit", {"resolution": "2k"}) == (
        0.08,
        "model_parameters",
    )
    # ...but an input-image model is never re-priced by the guide
    edit = row(
        "xai.grok-imagine-image-edit",
        supports=("edit",),
        media_input={"images": {"required": True}},
    )
    assert cost(edit, user_parameters={"seed": 1})["estimated_credits"] == 9


def test_xai_credit_pricing_floor_and_rounding() -> None:
    assert xai_credit_pricing(0.0, "model_registry")["credits_required"] == 1
    assert xai_credit_pricing(0.07, "x")["estimated_revenue_usd"] == 0.12
    assert xai_credit_pricing(0.05, "x")["credits_required"] == 9


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", "square_hd"),
        ("4:3", "landscape_4_3"),
        ("3:4", "portrait_4_3"),
        ("16:9", "landscape_16_9"),
        ("9:16", "portrait_16_9"),
        ("3:2", None),
    ],
)
def test_flux_image_size_default(ratio: str, size: str | None) -> None:
    flux = row("fal.flux-dev", credits=4, revenue=0.04, usd=0.025)
    params, applied = default_model_parameters(
        flux, None, budget_draft=False, max_usd=None, aspect_ratio=ratio
    )
    assert params.get("image_size") == size
    assert applied == ((f"image_size={size}",) if size else ())
    # recorded, but the registry price stands (flux is not re-priced)
    out = cost(flux)
    assert out["model_parameter_defaults_applied"] == ["image_size=square_hd"]
    assert out["estimated_credits"] == 4


def test_gpt_image_quality_default_depends_on_the_budget() -> None:
    gpt = row("openai.gpt-image-2", credits=27, revenue=0.27, usd=0.21)
    assert cost(gpt)["model_parameter_defaults_applied"] == ["quality=medium"]
    assert cost(gpt, max_usd=0.21)["model_parameter_defaults_applied"] == ["quality=medium"]
    assert cost(gpt, max_usd=0.2)["model_parameter_defaults_applied"] == []
    assert cost(gpt, user_parameters={"quality": "high"})["model_parameter_defaults_applied"] == []


def test_defaults_are_never_written_into_commands() -> None:
    out = build(token_source="env", quota=QUOTA_RICH)
    assert out.data["cost"]["model_parameter_defaults_applied"] == ["resolution=2k"]
    for command in (out.data["next_command"], out.data["no_spend_next_command"]):
        assert "resolution" not in command and "--model-parameters-json" not in command
    # the user's own JSON is carried, compact, keys in the user's order
    mine = build(token_source="env", quota=QUOTA_RICH, model_parameters={"seed": 3, "a": 1.0})
    assert '--model-parameters-json \'{"seed":3,"a":1}\' ' in mine.data["next_command"]


def test_budget_filter_uses_registry_pricing_not_the_re_price() -> None:
    # 0.1 admits the quality model by its registry price 0.09, although the re-priced
    # debit is 0.12; the guard is the user's 0.1
    out = build(token_source="env", quota=QUOTA_RICH, max_usd_per_image="0.1")
    assert out.data["selection"]["model_id"] == QUALITY
    assert out.data["cost"]["estimated_credits"] == 12
    assert "--max-estimated-usd-per-image 0.10 " in out.data["next_command"]


# --- --model lookup (§3.6) --------------------------------------------------------------------

NANO = [
    row("fal.nano-banana-2", credits=4, revenue=0.04, usd=0.039),
    row("fal.nano-banana-2-edit", supports=("edit",), media_input={"images": {"required": True}}),
    row("fal.imagen4-preview", credits=5, revenue=0.05, usd=0.04),
    row("fal.imagen4-preview-fast", credits=3, revenue=0.03, usd=0.02),
]


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("fal.nano-banana-2", "fal.nano-banana-2"),
        ("  fal.nano-banana-2 ", "fal.nano-banana-2"),
        ("nano-banana", "fal.nano-banana-2"),
        ("Nano Banana", "fal.nano-banana-2"),
        ("fal-ai/nano-banana/edit", "fal.nano-banana-2-edit"),
        ("nano banana edit", "fal.nano-banana-2-edit"),
        ("imagen4", "fal.imagen4-preview"),
        ("imagen 4 fast", "fal.imagen4-preview-fast"),
        ("FAL.NANO_BANANA_2", "fal.nano-banana-2"),  # one row with that normalised id
        ("imagen", None),  # two fuzzy matches: ambiguous
        ("preview fast", "fal.imagen4-preview-fast"),  # every word found in one row
        ("", None),
        ("   ", None),
        ("nope", None),
    ],
)
def test_resolve_lookup(requested: str, expected: str | None) -> None:
    found = resolve_lookup(requested, copy.deepcopy(NANO))
    assert (found["id"] if found else None) == expected


def test_lookup_default_and_aliases_need_their_target() -> None:
    rows = copy.deepcopy(HOSTED_ROWS)
    assert resolve_lookup("default", rows) is None  # no default row here
    rows[1]["default"] = True
    assert resolve_lookup("default", rows)["id"] == "fal.flux-dev"
    # an alias whose target is not listed does not resolve (and nothing else matches)
    assert resolve_lookup("nano-banana-pro", copy.deepcopy(NANO)) is None
    assert resolve_lookup(None, rows) is None
    assert norm("Fal-AI/Nano Banana") == "falainanobanana"
    assert fuzzy_match(NANO[0], "nano-banana")  # the row's aliases are searchable


def test_guide_model_flag_uses_the_lookup_not_the_js_crash() -> None:
    # 0.1.70 fails with PUBLIC_CLI_FAILED for a non-exact --model (§4.1); we resolve it
    out = build(
        model="nano banana",
        models=models_envelope(NANO),
        token_source="env",
        quota=QUOTA_RICH,
    )
    assert out.data["stage"] == "ready_to_create"
    assert out.data["selection"]["model_id"] == "fal.nano-banana-2"
    # the rerun keeps --model as typed; the create command names the resolved id
    prompt = build(prompt="", model="nano banana", models=models_envelope(NANO))
    assert "--model 'nano banana' " in prompt.data["next_command"]
    assert "--model fal.nano-banana-2 " in out.data["next_command"]
