"""The local backend's credit pricing and budget guards at their edges: each price block
field, output-count limits, parameter-priced tiers, and caps equal to the debit."""

from __future__ import annotations

from typing import Any

import pytest

from image_skill.local.registry import pricing
from image_skill.local.registry.errors import RegistryError


def row(
    usd: float | None = 0.07,
    *,
    max_outputs: Any = 4,
    known: Any = True,
    fallback: float | None = None,
    tiers: dict[str, Any] | None = None,
    default: str | None = None,
) -> dict[str, Any]:
    economics: dict[str, Any] = {
        "estimated_usd_per_image": usd,
        "cost_known": known,
        "credit_pricing": pricing.credit_pricing_block(
            usd, confidence="known" if usd is not None else "unknown", fallback_usd=fallback
        ),
    }
    if tiers is not None:
        economics["parameter_pricing"] = {"parameter": "resolution", "usd_by_value": tiers}
    out: dict[str, Any] = {
        "id": "local.test",
        "economics": economics,
        "media": {"output": {"max_outputs_per_request": max_outputs}},
    }
    if default is not None:
        out["parameters"] = {"properties": {"resolution": {"default": default}}}
    return out


def refused(call: Any, *args: Any, **kwargs: Any) -> RegistryError:
    with pytest.raises(RegistryError) as info:
        call(*args, **kwargs)
    return info.value


# --- the credits formula and the price block -------------------------------------------


@pytest.mark.parametrize(("usd", "credits"), [(0.006, 1), (0.012, 2), (0.3, 50), (0.301, 51)])
def test_credits_round_up_after_the_margin(usd: float, credits: int) -> None:
    assert pricing.credits_for_usd(usd) == credits


@pytest.mark.parametrize(("credits", "usd"), [(0, 0.0), (1, 0.01), (23, 0.23), (150, 1.5)])
def test_usd_for_credits_is_exact_to_the_cent(credits: int, usd: float) -> None:
    assert pricing.usd_for_credits(credits) == usd


def test_price_block_of_a_known_cost() -> None:
    assert pricing.credit_pricing_block(0.07) == {
        "credits_required": 12,
        "credit_unit_usd": 0.01,
        "estimated_provider_cost_usd": 0.07,
        "fallback_provider_cost_usd": 0.07,
        "estimated_revenue_usd": 0.12,
        "pricing_confidence": "known",
        "margin_rate": 0.4,
        "payment_fee_rate": 0.015,
        "basis": "provider_estimate",
    }


def test_price_block_of_an_unknown_cost_reserves_from_the_fallback() -> None:
    block = pricing.credit_pricing_block(None, confidence="unknown", fallback_usd=0.05)
    assert block["credits_required"] == 9
    assert block["estimated_provider_cost_usd"] is None
    assert block["fallback_provider_cost_usd"] == 0.05
    assert block["estimated_revenue_usd"] == 0.09
    assert (block["pricing_confidence"], block["basis"]) == ("unknown", "fallback_reservation")
    # A known cost is the basis even when a different fallback is given.
    assert pricing.credit_pricing_block(0.07, fallback_usd=0.5)["credits_required"] == 12
    empty = pricing.credit_pricing_block(None)
    assert (empty["credits_required"], empty["estimated_revenue_usd"]) == (None, None)


@pytest.mark.parametrize(
    ("economics", "needs"),
    [({"cost_known": True}, False), ({"cost_known": "yes"}, True), ({}, True), (None, True)],
)
def test_unknown_cost_acceptance(economics: Any, needs: bool) -> None:
    assert pricing.requires_unknown_cost_acceptance({"economics": economics}) is needs


# --- output counts ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "limit"), [(4, 4), (1, 1), (0, 1), (-2, 1), ("4", 1), (None, 1)])
def test_max_outputs(value: Any, limit: int) -> None:
    assert pricing.max_outputs(row(max_outputs=value)) == limit
    assert pricing.max_outputs({}) == 1


def test_output_count_up_to_the_limit() -> None:
    assert pricing.validate_output_count(row(), None) == 1
    assert pricing.validate_output_count(row(), 1) == 1
    assert pricing.validate_output_count(row(), 4) == 4
    error = refused(pricing.validate_output_count, row(), 5)
    assert error.code == "INVALID_ARGUMENTS"
    assert error.message == (
        "output_count 5 exceeds max_outputs_per_request 4 for model local.test."
    )
    assert error.details == {"output_count": 5, "max_outputs_per_request": 4}
    assert error.recovery == {"suggested_command": "image-skill models show local.test --json"}


@pytest.mark.parametrize("count", [0, -1, True, 1.5, "2"])
def test_output_count_must_be_a_positive_integer(count: Any) -> None:
    error = refused(pricing.validate_output_count, row(), count)
    assert error.message == "output_count must be a positive integer."


# --- quotes -----------------------------------------------------------------------------


def test_quote_totals_across_outputs() -> None:
    quote = pricing.credit_quote_for(row(0.07), 3)
    assert quote == {
        "model_id": "local.test",
        "output_count": 3,
        "pricing_tier": None,
        "estimated_usd": 0.21,
        "estimated_usd_per_image": 0.07,
        "credits_per_output": 12,
        "estimated_debit_usd_per_image": 0.12,
        "cost_known": True,
        "requires_unknown_cost_acceptance": False,
        "credit_pricing": {
            "credit_unit_usd": 0.01,
            "credits_required": 36,
            "estimated_provider_cost_usd": 0.21,
            "fallback_provider_cost_usd": 0.21,
            "estimated_revenue_usd": 0.36,
            "pricing_confidence": "known",
        },
    }


def test_an_unknown_cost_quote_reserves_from_the_fallback() -> None:
    quote = pricing.credit_quote_for(row(None, known=False, fallback=0.05), 2)
    assert (quote["estimated_usd"], quote["estimated_usd_per_image"]) == (None, None)
    assert quote["credits_per_output"] == 9
    assert quote["credit_pricing"]["credits_required"] == 18
    assert quote["credit_pricing"]["fallback_provider_cost_usd"] == 0.1
    assert quote["credit_pricing"]["pricing_confidence"] == "unknown"
    assert quote["requires_unknown_cost_acceptance"] is True
    assert quote["cost_known"] is False


def test_a_quote_without_any_price_has_no_credits() -> None:
    quote = pricing.credit_quote_for(row(None, known=False), 1)
    assert quote["credits_per_output"] is None
    assert quote["credit_pricing"]["credits_required"] is None
    assert quote["credit_pricing"]["estimated_revenue_usd"] is None


def test_a_parameter_priced_tier_sets_the_price_and_the_fallback() -> None:
    tiers = {"1k": 0.07, "2k": 0.1}
    two_k = pricing.credit_quote_for(row(0.07, tiers=tiers), 2, {"resolution": "2k"})
    assert (two_k["pricing_tier"], two_k["estimated_usd_per_image"]) == ("2k", 0.1)
    assert two_k["credits_per_output"] == 17
    assert two_k["credit_pricing"]["fallback_provider_cost_usd"] == 0.2
    # The row's declared default applies when the parameter is not given.
    by_default = pricing.credit_quote_for(row(0.07, tiers=tiers, default="2k"), 1, {})
    assert (by_default["pricing_tier"], by_default["credits_per_output"]) == ("2k", 17)
    # A value without a tier price keeps the base price and names no tier.
    other = pricing.credit_quote_for(row(0.07, tiers=tiers), 1, {"resolution": "4k"})
    assert (other["pricing_tier"], other["credits_per_output"]) == (None, 12)
    # A usage-priced row stays usage-priced whatever the tier.
    usage = pricing.credit_quote_for(row(None, known=False, tiers=tiers), 1, {"resolution": "2k"})
    assert (usage["pricing_tier"], usage["estimated_usd_per_image"]) == ("2k", None)


# --- budget guards ------------------------------------------------------------------------


def test_caps_equal_to_the_debit_pass_and_a_cent_less_fails() -> None:
    quote = pricing.credit_quote_for(row(0.07), 2)  # 24 credits, $0.12 per image
    pricing.check_budget(quote, max_estimated_usd_per_image=0.12, max_usd=0.24)
    per_image = refused(pricing.check_budget, quote, max_estimated_usd_per_image=0.11)
    assert per_image.code == "BUDGET_GUARD_EXCEEDED"
    assert per_image.details == {
        "estimated_debit_usd_per_image": 0.12,
        "max_estimated_usd_per_image": 0.11,
        "needed_max_estimated_usd_per_image": 0.12,
    }
    assert per_image.recovery == {"needed_max_estimated_usd_per_image": 0.12}
    job = refused(pricing.check_budget, quote, max_usd=0.23)
    assert job.code == "BUDGET_GUARD_EXCEEDED"
    assert job.details == {"estimated_debit_usd": 0.24, "max_usd": 0.23}
    assert job.recovery == {"needed_max_usd": 0.24}
    assert "$0.24" in job.message and "$0.23" in job.message


def test_the_per_image_guard_divides_by_the_output_count() -> None:
    quote = pricing.credit_quote_for(row(0.07), 4)  # 48 credits, still $0.12 per image
    pricing.check_budget(quote, max_estimated_usd_per_image=0.12)
    quote.pop("output_count")  # a quote without a count counts one output
    error = refused(pricing.check_budget, quote, max_estimated_usd_per_image=0.12)
    assert error.details["estimated_debit_usd_per_image"] == 0.48


def test_zero_caps_are_caps() -> None:
    quote = pricing.credit_quote_for(row(0.07), 1)
    assert refused(pricing.check_budget, quote, max_usd=0).code == "BUDGET_GUARD_EXCEEDED"
    assert refused(pricing.check_budget, quote, max_estimated_usd_per_image=0.0).code == (
        "BUDGET_GUARD_EXCEEDED"
    )


@pytest.mark.parametrize("cap", [-0.01, True, "0.5", [1]])
def test_a_cap_must_be_a_non_negative_number(cap: Any) -> None:
    quote = pricing.credit_quote_for(row(0.07), 1)
    error = refused(pricing.check_budget, quote, max_usd=cap)
    assert (error.code, error.message) == (
        "INVALID_ARGUMENTS",
        "max_usd must be a non-negative number of USD.",
    )
    error = refused(pricing.check_budget, quote, max_estimated_usd_per_image=cap)
    assert error.message == "max_estimated_usd_per_image must be a non-negative number of USD."


def test_an_unknown_cost_needs_acceptance_before_any_cap() -> None:
    quote = pricing.credit_quote_for(row(None, known=False, fallback=0.05), 1)
    error = refused(pricing.check_budget, quote, max_usd=0)
    assert error.code == "BUDGET_REQUIRES_CONFIRMATION"
    assert error.recovery == {"required_flag": "--accept-unknown-cost"}
    assert error.details == {"pricing_confidence": "unknown"}
    # Accepted, the reservation (9 credits) is still held to the caps.
    pricing.check_budget(quote, accept_unknown_cost=True, max_usd=0.09)
    assert refused(pricing.check_budget, quote, accept_unknown_cost=True, max_usd=0.08).code == (
        "BUDGET_GUARD_EXCEEDED"
    )


def test_a_quote_without_credits_passes_every_cap() -> None:
    quote = pricing.credit_quote_for(row(None, known=True), 1)
    pricing.check_budget(quote, max_usd=0, max_estimated_usd_per_image=0)


def test_catalog_rows_use_the_contract_confidence_labels() -> None:
    from image_skill.local.registry import models as registry

    labels = [m["economics"]["credit_pricing"]["pricing_confidence"] for m in registry.all_models()]
    assert set(labels) <= {"known", "estimated", "unknown"}
    assert {"known", "estimated"} <= set(labels)


def test_a_quote_is_for_one_output_unless_told_otherwise() -> None:
    quote = pricing.credit_quote_for(row(0.07))
    assert quote["output_count"] == 1
    assert quote["credit_pricing"]["credits_required"] == 12


def test_without_a_tier_the_fallback_is_the_rows_own() -> None:
    quote = pricing.credit_quote_for(row(0.07, fallback=0.05), 2)
    assert quote["credit_pricing"]["fallback_provider_cost_usd"] == 0.1
    assert quote["credit_pricing"]["estimated_provider_cost_usd"] == 0.14


def test_guard_messages_name_the_model() -> None:
    quote = pricing.credit_quote_for(row(0.07), 1)
    assert "local.test" in refused(pricing.check_budget, quote, max_usd=0.01).message
    assert (
        "local.test" in refused(pricing.check_budget, quote, max_estimated_usd_per_image=0).message
    )
    unknown = pricing.credit_quote_for(row(None, known=False, fallback=0.05), 1)
    assert "local.test" in refused(pricing.check_budget, unknown).message
