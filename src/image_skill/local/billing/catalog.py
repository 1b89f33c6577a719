"""Credit packs and payment rails of the local backend (pure data, no I/O).

One credit is one US cent. Rails keep every field the contract and the guide read, and say
plainly that nothing real moves: ``live_money: false``, ``simulated: true``,
``settlement: "local_simulated"`` per method and ``offline_simulation: true`` on the
catalog. Settlement happens through the local-only settle action (the Checkout page's
"complete payment" button, ``image-skill local settle`` or ``POST
/_local/payment-attempts/{id}/settle``). The commands a rail's ``recovery`` hands out are
aimed at the backend that answered (``base``, see :mod:`.cli_commands`).
"""

from __future__ import annotations

import copy
from typing import Any

from image_skill.local.cli_commands import cli_command

CURRENCY = "USD"
CREDIT_UNIT_CENTS = 1
CREDIT_UNIT_USD = 0.01
MIN_CREDITS = 1
MAX_CREDITS = 5000
DEFAULT_PACK_ID = "starter-500"
QUOTE_TTL_SECONDS = 3600

CHECKOUT = "stripe_checkout"
X402 = "stripe_x402.exact.usdc"
PAYMENT_METHODS: tuple[str, ...] = (CHECKOUT, X402)
CHECKOUT_PURCHASE_ENDPOINT = "/v1/credit-purchases/stripe-checkout-sessions"
X402_PURCHASE_ENDPOINT = "/v1/credit-purchases/stripe-x402-deposits"
SETTLEMENT = "local_simulated"
LOCAL_SETTLE_TEMPLATE = "image-skill local settle --payment-attempt-id PAYMENT_ATTEMPT_ID --json"


def offline_warning(base: str) -> str:
    """The warning on every payment reply; its settle command runs against ``base``."""
    return (
        "offline local backend: payment rails are simulated and no money moves; settle an "
        f"attempt with {cli_command(base, LOCAL_SETTLE_TEMPLATE)}"
    )


def usd(cents: int) -> str:
    """``500`` → ``"5.00"``."""
    return f"{cents // 100}.{cents % 100:02d}"


def _pack(pack_id: str, name: str, credits: int) -> dict[str, Any]:
    return {
        "pack_id": pack_id,
        "name": name,
        "display_name": f"{name} ({credits} credits)",
        "credits": credits,
        "amount_cents": credits * CREDIT_UNIT_CENTS,
        "amount_usd": usd(credits * CREDIT_UNIT_CENTS),
        "price_usd": usd(credits * CREDIT_UNIT_CENTS),
        "currency": CURRENCY,
        "default": pack_id == DEFAULT_PACK_ID,
    }


_PACKS: tuple[dict[str, Any], ...] = (
    _pack("starter-500", "Starter", 500),
    _pack("builder-2000", "Builder", 2000),
    _pack("studio-5000", "Studio", 5000),
)
_PACKS_BY_ID = {pack["pack_id"]: pack for pack in _PACKS}


def get_pack(pack_id: str) -> dict[str, Any] | None:
    pack = _PACKS_BY_ID.get(pack_id)
    return copy.deepcopy(pack) if pack is not None else None


def pack_ids() -> list[str]:
    return [pack["pack_id"] for pack in _PACKS]


def credit_packs() -> dict[str, Any]:
    """``GET /v1/credit-packs`` data."""
    return {
        "credit_unit_cents": CREDIT_UNIT_CENTS,
        "credit_unit_usd": CREDIT_UNIT_USD,
        "currency": CURRENCY,
        "default_pack_id": DEFAULT_PACK_ID,
        "packs": [copy.deepcopy(pack) for pack in _PACKS],
        "custom_quotes": {
            "supported": True,
            "min_credits": MIN_CREDITS,
            "max_credits": MAX_CREDITS,
        },
        "live_money": False,
        "offline_simulation": True,
    }


def _recovery(method_id: str, provider: str, base: str) -> dict[str, str]:
    templates = {
        "methods_command": "image-skill credits methods --json",
        # no key placeholder: the CLI generates one, so the command runs as printed
        "quote_command": (
            f"image-skill credits quote --pack {DEFAULT_PACK_ID} --payment-method {method_id}"
            " --json"
        ),
        "purchase_command": (
            f"image-skill credits buy --provider {provider} --quote-id QUOTE_ID"
            " --idempotency-key KEY --json"
        ),
        "status_command": (
            "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json"
        ),
        "local_settle_command": LOCAL_SETTLE_TEMPLATE,
    }
    return {key: cli_command(base, text) for key, text in templates.items()}


def _method(method_id: str, base: str) -> dict[str, Any]:
    checkout = method_id == CHECKOUT
    provider = "stripe" if checkout else "stripe_x402"
    return {
        "method_id": method_id,
        "status": "available",
        "available": True,
        "quoteable": True,
        "purchasable": True,
        "live_money": False,
        "simulated": True,
        "settlement": SETTLEMENT,
        "buyer_modes": ["hybrid", "human_only"] if checkout else ["agent_only", "hybrid"],
        "requires_browser": checkout,
        "agent_initiated": True,
        "agent_settleable": not checkout,
        "settlement_blocker": (
            "requires the local checkout page (or "
            f"{cli_command(base, LOCAL_SETTLE_TEMPLATE)}) to complete"
            if checkout
            else None
        ),
        "default_pack_id": DEFAULT_PACK_ID,
        "purchase_endpoint": CHECKOUT_PURCHASE_ENDPOINT if checkout else X402_PURCHASE_ENDPOINT,
        "provider": provider,
        "currency": CURRENCY,
        "limits": {
            "min_credits": MIN_CREDITS,
            "max_credits": MAX_CREDITS,
            "min_amount_cents": MIN_CREDITS * CREDIT_UNIT_CENTS,
            "max_amount_cents": MAX_CREDITS * CREDIT_UNIT_CENTS,
        },
        "recovery": _recovery(method_id, provider, base),
    }


def payment_methods(base: str) -> dict[str, Any]:
    """``GET /v1/payment-methods`` data; recovery commands run against ``base``."""
    return {
        "contract_version": "image-skill.payment-methods.v1",
        "credit_unit_cents": CREDIT_UNIT_CENTS,
        "currency": CURRENCY,
        "quote_endpoint": "/v1/credit-quotes",
        "packs_endpoint": "/v1/credit-packs",
        "status_endpoint": "/v1/credit-purchases/status",
        "offline_simulation": True,
        "live_money": False,
        "methods": [_method(method_id, base) for method_id in PAYMENT_METHODS],
    }
