"""The guide reads compact model rows like full ones (contract 0.1.70 §0.3): each compact-key
fallback, and what a compact key of the wrong type gives."""

from __future__ import annotations

from image_skill.guide.rows import (
    aspect_ratio_values,
    credit_pricing,
    needs_input,
    row_provider_usd,
)


def test_provider_usd_from_the_full_path_then_the_compact_key() -> None:
    assert row_provider_usd({"estimated_usd_per_image": 0.03}) == 0.03
    assert row_provider_usd({"estimated_usd_per_image": "0.03"}) is None
    full = {"economics": {"estimated_usd_per_image": 0.05}, "estimated_usd_per_image": 0.03}
    assert row_provider_usd(full) == 0.05
    assert row_provider_usd(None) is None


def test_credit_pricing_built_from_compact_keys() -> None:
    compact = {
        "credits_required": 6,
        "estimated_usd_per_image": 0.035,
        "pricing_confidence": "known",
    }
    assert credit_pricing(compact) == {
        "credits_required": 6,
        "estimated_revenue_usd": 0.06,
        "estimated_provider_cost_usd": 0.035,
        "fallback_provider_cost_usd": None,
        "credit_unit_usd": 0.01,
        "pricing_confidence": "known",
    }
    odd = credit_pricing(
        {"credits_required": 6, "estimated_usd_per_image": "x", "pricing_confidence": 1}
    )
    assert odd is not None
    assert (odd["estimated_provider_cost_usd"], odd["pricing_confidence"]) == (None, None)
    assert credit_pricing({"credits_required": "6"}) is None
    full = {"economics": {"credit_pricing": {"credits_required": 9}}, "credits_required": 6}
    assert credit_pricing(full) == {"credits_required": 9}


def test_aspect_ratios_from_the_full_path_then_the_compact_key() -> None:
    assert aspect_ratio_values({"aspect_ratios": ["9:16", "16:9"]}) == ["9:16", "16:9"]
    assert aspect_ratio_values({"aspect_ratios": "16:9"}) is None
    full = {"media": {"input": {"aspect_ratios": {"values": ["1:1"]}}}, "aspect_ratios": ["4:3"]}
    assert aspect_ratio_values(full) == ["1:1"]
    assert aspect_ratio_values(None) is None


def test_needs_input_from_either_shape() -> None:
    assert needs_input({"accepts_input_images": True, "supports": ["edit"]}) is True
    assert needs_input({"accepts_input_images": True, "supports": ["create"]}) is False
    assert needs_input({"accepts_input_images": "yes", "supports": ["edit"]}) is False
    assert needs_input(None) is False
