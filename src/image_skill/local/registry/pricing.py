"""Credit pricing for the local registry: the credits formula, job quotes and budget guards.

Pure functions over model rows (plain dicts). One credit is $0.01; a model's credit price
is its provider cost plus a 40 % margin, rounded up to whole credits::

    credits_required = max(1, ceil(provider_usd / (1 - 0.40) / 0.01))

Decimal arithmetic keeps the documented examples exact ($0.06 is 10 credits, not 11).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

from image_skill.local.registry.errors import (
    BUDGET_GUARD_EXCEEDED,
    BUDGET_REQUIRES_CONFIRMATION,
    INVALID_ARGUMENTS,
    RegistryError,
)

CREDIT_UNIT_USD = 0.01
MARGIN = 0.40
PAYMENT_FEE_RATE = 0.015
_UNIT = Decimal("0.01")
_KEEP = Decimal(1) - Decimal("0.40")

KNOWN = "known"
ESTIMATED = "estimated"
UNKNOWN = "unknown"


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def credits_for_usd(provider_usd: float) -> int:
    """Credits charged for one output whose provider cost is ``provider_usd`` dollars."""
    raw = _dec(provider_usd) / _KEEP / _UNIT
    return max(1, int(raw.to_integral_value(rounding=ROUND_CEILING)))


def usd_for_credits(credits: int) -> float:
    """Dollar value of ``credits`` (exact to the cent)."""
    return float(Decimal(credits) * _UNIT)


def _times(usd: float | None, count: int) -> float | None:
    return None if usd is None else float(_dec(usd) * count)


def credit_pricing_block(
    provider_usd: float | None,
    *,
    confidence: str = KNOWN,
    fallback_usd: float | None = None,
) -> dict[str, Any]:
    """The ``economics.credit_pricing`` object of a row, for one output.

    With an unknown provider cost, ``credits_required`` is the reservation sized from
    ``fallback_usd`` (the amount held before the usage-priced actual is known).
    """
    fallback = provider_usd if fallback_usd is None else fallback_usd
    basis = provider_usd if provider_usd is not None else fallback
    credits = credits_for_usd(basis) if basis is not None else None
    return {
        "credits_required": credits,
        "credit_unit_usd": CREDIT_UNIT_USD,
        "estimated_provider_cost_usd": provider_usd,
        "fallback_provider_cost_usd": fallback,
        "estimated_revenue_usd": None if credits is None else usd_for_credits(credits),
        "pricing_confidence": confidence,
        "margin_rate": MARGIN,
        "payment_fee_rate": PAYMENT_FEE_RATE,
        "basis": "provider_estimate" if provider_usd is not None else "fallback_reservation",
    }


def requires_unknown_cost_acceptance(row: dict[str, Any]) -> bool:
    """True when a live run of ``row`` needs ``accept_unknown_cost``."""
    economics = row.get("economics") or {}
    return economics.get("cost_known") is not True


def max_outputs(row: dict[str, Any]) -> int:
    value = ((row.get("media") or {}).get("output") or {}).get("max_outputs_per_request")
    return value if isinstance(value, int) and value > 0 else 1


def validate_output_count(row: dict[str, Any], output_count: Any) -> int:
    """Check a requested ``output_count`` (``None`` means 1) against the model's limit."""
    if output_count is None:
        return 1
    if isinstance(output_count, bool) or not isinstance(output_count, int) or output_count < 1:
        raise RegistryError(INVALID_ARGUMENTS, "output_count must be a positive integer.")
    limit = max_outputs(row)
    if output_count > limit:
        raise RegistryError(
            INVALID_ARGUMENTS,
            f"output_count {output_count} exceeds max_outputs_per_request {limit} "
            f"for model {row.get('id')}.",
            details={"output_count": output_count, "max_outputs_per_request": limit},
            recovery={"suggested_command": f"image-skill models show {row.get('id')} --json"},
        )
    return output_count


def _tier_usd(row: dict[str, Any], params: dict[str, Any]) -> tuple[float | None, str | None]:
    economics = row.get("economics") or {}
    base: float | None = economics.get("estimated_usd_per_image")
    tiers = economics.get("parameter_pricing")
    if isinstance(tiers, dict):
        name = tiers.get("parameter")
        by_value = tiers.get("usd_by_value") or {}
        value = params.get(name) if isinstance(name, str) else None
        if value is None and isinstance(name, str):
            prop = (row.get("parameters") or {}).get("properties", {}).get(name, {})
            value = prop.get("default")
        if isinstance(value, str) and value in by_value:
            return (by_value[value] if base is not None else None), value
    return base, None


def credit_quote_for(
    row: dict[str, Any], output_count: int | None = 1, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Price one job on ``row``: totals across outputs plus the per-image debit.

    ``params`` should be the accepted parameters (defaults applied); a parameter-priced
    tier (for example ``resolution=2k``) changes the per-output price.
    """
    count = validate_output_count(row, output_count)
    economics = row.get("economics") or {}
    pricing = economics.get("credit_pricing") or {}
    provider_usd, tier = _tier_usd(row, dict(params or {}))
    confidence = pricing.get("pricing_confidence", UNKNOWN)
    fallback = pricing.get("fallback_provider_cost_usd")
    if tier is not None and provider_usd is not None:
        fallback = provider_usd
    per_output = credit_pricing_block(provider_usd, confidence=confidence, fallback_usd=fallback)
    credits_each = per_output["credits_required"]
    total = None if credits_each is None else credits_each * count
    return {
        "model_id": row.get("id"),
        "output_count": count,
        "pricing_tier": tier,
        "estimated_usd": _times(provider_usd, count),
        "estimated_usd_per_image": provider_usd,
        "credits_per_output": credits_each,
        "estimated_debit_usd_per_image": per_output["estimated_revenue_usd"],
        "cost_known": economics.get("cost_known") is True,
        "requires_unknown_cost_acceptance": requires_unknown_cost_acceptance(row),
        "credit_pricing": {
            "credit_unit_usd": CREDIT_UNIT_USD,
            "credits_required": total,
            "estimated_provider_cost_usd": _times(provider_usd, count),
            "fallback_provider_cost_usd": _times(fallback, count),
            "estimated_revenue_usd": None if total is None else usd_for_credits(total),
            "pricing_confidence": confidence,
        },
    }


def _money(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RegistryError(INVALID_ARGUMENTS, f"{name} must be a non-negative number of USD.")
    return _dec(value)


def check_budget(
    quote: dict[str, Any],
    *,
    max_estimated_usd_per_image: Any = None,
    max_usd: Any = None,
    accept_unknown_cost: bool = False,
) -> None:
    """Raise before any spend when the quote breaks a budget rule.

    Order: unknown cost without ``accept_unknown_cost`` (``BUDGET_REQUIRES_CONFIRMATION``,
    with ``recovery.required_flag``), then the per-image debit guard, then the per-job cap
    (both ``BUDGET_GUARD_EXCEEDED``). The per-image debit is
    ``credits_required * 0.01 / output_count`` as the contract defines it.
    """
    per_image_cap = _money(max_estimated_usd_per_image, "max_estimated_usd_per_image")
    job_cap = _money(max_usd, "max_usd")
    model_id = quote.get("model_id")
    if quote.get("requires_unknown_cost_acceptance") and not accept_unknown_cost:
        raise RegistryError(
            BUDGET_REQUIRES_CONFIRMATION,
            f"The provider cost of {model_id} is not known before it runs; pass "
            "--accept-unknown-cost to allow a usage-priced debit.",
            details={"pricing_confidence": quote["credit_pricing"]["pricing_confidence"]},
            recovery={"required_flag": "--accept-unknown-cost"},
        )
    total = quote["credit_pricing"]["credits_required"]
    if total is None:
        return
    count = quote.get("output_count") or 1
    per_image = Decimal(total) * _UNIT / count
    if per_image_cap is not None and per_image > per_image_cap:
        raise RegistryError(
            BUDGET_GUARD_EXCEEDED,
            f"{model_id} debits ${per_image} per output, above the "
            f"max_estimated_usd_per_image guard of ${per_image_cap}.",
            details={
                "estimated_debit_usd_per_image": float(per_image),
                "max_estimated_usd_per_image": float(per_image_cap),
                "needed_max_estimated_usd_per_image": float(per_image),
            },
            recovery={"needed_max_estimated_usd_per_image": float(per_image)},
        )
    job_usd = Decimal(total) * _UNIT
    if job_cap is not None and job_usd > job_cap:
        raise RegistryError(
            BUDGET_GUARD_EXCEEDED,
            f"This job on {model_id} debits ${job_usd}, above the max_usd cap of ${job_cap}.",
            details={"estimated_debit_usd": float(job_usd), "max_usd": float(job_cap)},
            recovery={"needed_max_usd": float(job_usd)},
        )
