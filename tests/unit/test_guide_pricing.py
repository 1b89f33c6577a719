"""The guide's price fields and budget guard (digest §3-§4), one fallback step at a time.

Every price field of the rows here has its own value (``guide_fixtures.PRICES``), so each
assertion shows which field the guide read. The guard is checked to the cent in the command
the guide writes (``--max-estimated-usd-per-image``), which is where a wrong number would
let an agent spend more than it meant to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from guide_fixtures import build, models_envelope, priced_row, quota_envelope

from image_skill.guide.selection import budget_usd, pricing_of, select_model, within_budget

_GUARD = re.compile(r"--max-estimated-usd-per-image (\S+)")
_COST_KEYS = (
    "estimated_credits",
    "estimated_usd_per_image",
    "estimated_debit_usd_per_image",
    "estimated_provider_usd_per_image",
    "credit_unit_usd",
    "pricing_confidence",
)
QUOTA = quota_envelope(10_000)


def guide(rows: list[dict[str, Any]], **overrides: Any) -> Any:
    return build(models=models_envelope(rows), token_source="env", quota=QUOTA, **overrides)


def cost_of(out: Any) -> dict[str, Any]:
    return {key: out.data["cost"][key] for key in _COST_KEYS}


def guard_in(command: str) -> str:
    match = _GUARD.search(command)
    assert match is not None, command
    return match.group(1)


# --- the cost block ------------------------------------------------------------------------


def test_cost_takes_every_value_from_its_own_field() -> None:
    out = guide([priced_row()])
    assert out.data["stage"] == "ready_to_create"
    assert cost_of(out) == {
        "estimated_credits": 23,
        "estimated_usd_per_image": 0.11,
        "estimated_debit_usd_per_image": 0.11,
        "estimated_provider_usd_per_image": 0.05,
        "credit_unit_usd": 0.02,
        "pricing_confidence": "estimated",
    }


@pytest.mark.parametrize(
    ("drop", "debit", "provider"),
    [
        # provider_usd = economics.estimated_usd_per_image ?? ... ?? the fallback cost
        # (whether the pricing's estimated_provider_cost_usd comes in between changed in
        # 0.1.70, so no row here has it without the row's own estimate)
        ((), 0.11, 0.05),
        (("usd", "provider"), 0.11, 0.03),
        (("usd", "provider", "fallback"), 0.11, None),
        # debit_usd = estimated_revenue_usd ?? provider_usd
        (("revenue",), 0.05, 0.05),
        (("revenue", "usd", "provider"), 0.03, 0.03),
        (("revenue", "usd", "provider", "fallback"), None, None),
        (("pricing",), 0.05, 0.05),
    ],
)
def test_debit_and_provider_fallbacks(
    drop: tuple[str, ...], debit: float | None, provider: float | None
) -> None:
    cost = cost_of(guide([priced_row(drop=drop)]))
    assert (cost["estimated_usd_per_image"], cost["estimated_debit_usd_per_image"]) == (
        debit,
        debit,
    )
    assert cost["estimated_provider_usd_per_image"] == provider


def test_credit_unit_defaults_to_a_cent_and_credits_to_null() -> None:
    cost = cost_of(guide([priced_row(drop=("unit", "credits"))]))
    assert cost["credit_unit_usd"] == 0.01
    assert cost["estimated_credits"] is None
    bare = cost_of(guide([priced_row(drop=("pricing",))]))
    assert (bare["credit_unit_usd"], bare["pricing_confidence"]) == (0.01, None)


def test_pricing_of_no_model_is_all_null_but_the_credit_unit() -> None:
    cost = pricing_of(None).cost()
    assert {key: cost[key] for key in _COST_KEYS} == {
        "estimated_credits": None,
        "estimated_usd_per_image": None,
        "estimated_debit_usd_per_image": None,
        "estimated_provider_usd_per_image": None,
        "credit_unit_usd": 0.01,
        "pricing_confidence": None,
    }


# --- the budget guard in the next command ------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "prices", "expected"),
    [
        ((), {}, "0.11"),  # the debit (estimated revenue)
        (("revenue",), {}, "0.05"),  # ... else the provider estimate of the row
        (("revenue", "usd", "provider"), {}, "0.03"),  # ... else the fallback cost
        # No dollar figure at all: credits / 100 (a hard-coded 100, not credit_unit_usd 0.02).
        (("revenue", "usd", "provider", "fallback"), {}, "0.23"),
        (("revenue", "usd", "provider", "fallback"), {"credits": 150}, "1.50"),
        (("revenue", "usd", "provider", "fallback"), {"credits": 1}, "0.01"),
        (("revenue", "usd", "provider", "fallback"), {"credits": 300}, "3"),
        # ... and without credits either, the fixed default of $0.07.
        (("revenue", "usd", "provider", "fallback", "credits"), {}, "0.07"),
        (("pricing", "usd"), {}, "0.07"),
    ],
)
def test_budget_guard_to_the_cent(drop: tuple[str, ...], prices: dict, expected: str) -> None:
    out = guide([priced_row(drop=drop, **prices)])
    assert out.data["stage"] == "ready_to_create"
    assert guard_in(out.data["next_command"]) == expected
    assert guard_in(out.data["escape_hatches"]["dry_run"]) == expected


def test_the_flag_wins_over_every_price_field() -> None:
    out = guide([priced_row()], max_usd_per_image="0.5")
    assert guard_in(out.data["next_command"]) == "0.50"
    out = guide(
        [priced_row(drop=("revenue", "usd", "provider", "fallback"))], max_usd_per_image="2"
    )
    assert guard_in(out.data["next_command"]) == "2"


@pytest.mark.parametrize(
    ("drop", "prices", "guard"),
    [
        ((), {}, 0.11),
        (("revenue",), {}, 0.05),
        (("revenue", "usd", "provider", "fallback"), {}, 0.23),
        (("revenue", "usd", "provider", "fallback"), {"credits": 7}, 0.07),
        (("revenue", "usd", "provider", "fallback"), {"credits": 9}, 0.09),
        (("revenue", "usd", "provider", "fallback", "credits"), {}, 0.07),
    ],
)
def test_budget_guard_values(drop: tuple[str, ...], prices: dict, guard: float) -> None:
    pricing = pricing_of(priced_row(drop=drop, **prices))
    assert pricing.budget_guard(None) == guard
    assert pricing.budget_guard(0.5) == 0.5
    assert pricing.budget_guard(0.0) == 0.0  # a zero flag is still the flag


def test_a_non_numeric_credit_count_is_passed_through() -> None:
    row = priced_row(drop=("revenue", "usd", "provider", "fallback"), credits="12")
    assert pricing_of(row).budget_guard(None) == "12"


# --- the budget filter reads the same fields in the same order --------------------------


@pytest.mark.parametrize(
    ("drop", "budget"),
    [
        ((), 0.11),  # estimated_revenue_usd first...
        (("revenue",), 0.05),  # ...then economics.estimated_usd_per_image...
        (("revenue", "usd"), 0.04),  # ...then the provider cost...
        (("revenue", "usd", "provider"), 0.03),  # ...then the fallback provider cost
        (("revenue", "usd", "provider", "fallback"), None),
        (("pricing",), 0.05),
    ],
)
def test_budget_usd_fallback_order(drop: tuple[str, ...], budget: float | None) -> None:
    assert budget_usd(priced_row(drop=drop)) == budget


@pytest.mark.parametrize(
    ("drop", "just_below", "at"),
    [
        ((), 0.1, 0.11),
        (("revenue",), 0.045, 0.05),
        (("revenue", "usd"), 0.035, 0.04),
        (("revenue", "usd", "provider"), 0.025, 0.03),
    ],
)
def test_budget_filter_keeps_a_row_at_its_price_and_drops_it_below(
    drop: tuple[str, ...], just_below: float, at: float
) -> None:
    row = priced_row("fal.priced", drop=drop)
    cheap = priced_row("fal.cheap", revenue=0.01, usd=0.01, provider=0.01, fallback=0.01)
    assert within_budget([row, cheap], at) == [row, cheap]
    assert within_budget([row, cheap], just_below) == [cheap]
    # The guide then proposes the first image row that is left.
    kw: dict[str, Any] = {"requested_model": None, "prompt": "a cat", "intent": "explore"}
    assert select_model([row, cheap], max_usd=at, **kw) is row
    assert select_model([row, cheap], max_usd=just_below, **kw) is cheap


def test_a_row_without_any_price_always_fits_the_budget() -> None:
    cheap = priced_row("fal.cheap", revenue=0.01, usd=0.01, provider=0.01, fallback=0.01)
    free = priced_row("fal.unpriced", drop=("pricing", "usd"))
    assert within_budget([cheap, free], 0.001) == [free]
    assert within_budget([cheap, free], None) == [cheap, free]
    out = guide([cheap, free], max_usd_per_image="0.001")
    assert out.data["selection"]["model_id"] == "fal.unpriced"
    assert guard_in(out.data["next_command"]) == "0.00"


def test_nothing_within_budget_keeps_every_row() -> None:
    rows = [priced_row("fal.a"), priced_row("fal.b", revenue=0.2)]
    assert within_budget(rows, 0.01) == rows
    out = guide(rows, max_usd_per_image="0.01")
    assert out.data["selection"]["model_id"] == "fal.a"
    assert guard_in(out.data["next_command"]) == "0.01"


def test_the_3d_filter_gets_the_budget() -> None:
    images = {"images": {"required": True, "max": 1}}
    pricey = priced_row("fal.mesh-pro", modality="3d", supports=("variation",), media_input=images)
    cheap = priced_row(
        "fal.mesh-lite",
        modality="3d",
        supports=("variation",),
        media_input=images,
        revenue=0.02,
    )
    kw: dict[str, Any] = {"requested_model": None, "prompt": "a glb mesh", "intent": "explore"}
    assert select_model([pricey, cheap], max_usd=None, **kw) is pricey
    assert select_model([pricey, cheap], max_usd=0.05, **kw) is cheap
    out = guide([pricey, cheap], prompt="a glb mesh of a teapot", max_usd_per_image="0.05")
    assert out.data["selection"]["model_id"] == "fal.mesh-lite"
    assert out.data["next_command"].startswith("image-skill edit --input image_... ")
    assert guard_in(out.data["next_command"]) == "0.05"


# --- the Pricing value and compact rows (0.1.70) -----------------------------------------


def test_pricing_is_an_immutable_value_with_no_defaults_applied_by_default() -> None:
    from image_skill.guide.pricing import Pricing

    pricing = Pricing(23, 0.11, 0.05, 0.02, "estimated")
    with pytest.raises(AttributeError):
        pricing.debit_usd = 1.0  # type: ignore[misc]
    assert pricing.cost()["model_parameter_defaults_applied"] == []
    assert pricing.cost()["pricing_source"] is None
    assert pricing.budget_guard(None) == 0.11


def test_a_compact_row_prices_from_its_flat_keys() -> None:
    compact = {
        "id": "fal.compact",
        "status": "available",
        "model_execution_status": "executable",
        "modality": "image",
        "supports": ["create"],
        "credits_required": 6,
        "estimated_usd_per_image": 0.035,
        "pricing_confidence": "known",
    }
    cost = cost_of(guide([compact]))
    assert cost["estimated_credits"] == 6
    assert cost["estimated_debit_usd_per_image"] == 0.06
    assert cost["estimated_provider_usd_per_image"] == 0.035
    assert cost["credit_unit_usd"] == 0.01
