"""The self-fund handoffs of contract 0.1.70 §7: ``top_up`` and ``next_actions.self_fund``.

``top_up`` (on ``/v1/quota``, on the ``quota`` of create/edit replies and on quota-wall
errors) says whether buying credits is possible and whether it is advisable now, and holds
the commands of the whole path: inspect the rails (no spend), quote (a payment object, no
charge), buy, settle, check status. ``next_actions.self_fund`` is the same handoff as the
0.1.70 client derives it from a quota reply; the backend adds it to create/edit, job,
activity and asset replies itself.

Honest values: a top-up is always possible here (both rails are simulated and always
quoteable), so ``available`` is always true; ``live_money`` is false and ``simulated`` true
wherever the hosted shapes would say live money. The effect labels keep the contract's
vocabulary. Quote commands carry no ``--idempotency-key`` (the CLI makes one). Every
command is aimed at the backend that answered (``base``, see :mod:`..cli_commands`).

Pure: numbers and a base in, dicts out.
"""

from __future__ import annotations

from typing import Any

from image_skill.local.billing.catalog import CHECKOUT, DEFAULT_PACK_ID, X402
from image_skill.local.cli_commands import cli_command
from image_skill.payments import URGENCY, self_fund_action

#: Fewer credits than this (about two default local images) make a top-up advisable.
LOW_REMAINING_CREDITS = 20

PATH = "browserless_x402"
SELF_FUND_WARNING = (
    "run first_safe_command first: it only lists the payment rails. The quote "
    "command makes a payment object and charges nothing; buying, settling and "
    "checking status need delegated spend authority. On this offline backend the "
    "rails are simulated and no money moves."
)

METHODS = "image-skill credits methods --json"
PACKS = "image-skill credits packs list --json"
STATUS = "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json"
SETTLE = "image-skill local settle --payment-attempt-id PAYMENT_ATTEMPT_ID --json"
QUOTA = "image-skill usage quota --json"


def quote_command(method: str, base: str, pack: str = DEFAULT_PACK_ID) -> str:
    """A copy-runnable quote (no key placeholder: the CLI generates the key)."""
    return cli_command(
        base, ["credits", "quote", "--pack", pack, "--payment-method", method, "--json"]
    )


def buy_template(provider: str, base: str) -> str:
    return cli_command(
        base,
        "image-skill credits buy --provider "
        f"{provider} --quote-id QUOTE_ID --idempotency-key KEY --json",
    )


def quote_effect() -> dict[str, Any]:
    """What running a quote command does: a payment object, nothing else."""
    return {
        "label": "live_money_quote_no_charge",
        "no_spend": True,
        "live_money": False,
        "simulated": True,
        "provider_call": False,
        "hosted_create": False,
        "payment_object": True,
        "credit_debit": False,
        "media_write": False,
        "wallet_settlement": False,
    }


def recommendation(
    *, total_remaining: int, paid_remaining: int, daily_remaining: int, wall: str | None = None
) -> str:
    """Why (or whether) a top-up is advisable now; ``wall`` is the reason of a refusal."""
    if wall is not None:
        return wall
    if total_remaining <= 0:
        return "credits_depleted"
    if daily_remaining <= 0 and paid_remaining <= 0:
        return "daily_job_cap_reached"  # free credits remain but cannot fund a job today
    if total_remaining < LOW_REMAINING_CREDITS:
        return "low_remaining_credits"
    return "available"


def top_up(
    base: str,
    *,
    total_remaining: int,
    paid_remaining: int,
    daily_remaining: int,
    wall: str | None = None,
) -> dict[str, Any]:
    """The ``top_up`` object (contract 0.1.70 §7.3) for the given quota figures."""
    reason = recommendation(
        total_remaining=total_remaining,
        paid_remaining=paid_remaining,
        daily_remaining=daily_remaining,
        wall=wall,
    )
    urgency, score = URGENCY[reason]
    commands = {
        "inspect_methods": cli_command(base, METHODS),
        "inspect_packs": cli_command(base, PACKS),
        "quote": quote_command(X402, base),
        "buy": buy_template("stripe_x402", base),
        "status": cli_command(base, STATUS),
        "fallback_quote": quote_command(CHECKOUT, base),
        "fallback_buy": buy_template("stripe", base),
    }
    steps = [
        ("inspect_methods", commands["inspect_methods"], True),
        ("quote", commands["quote"], True),
        ("buy", commands["buy"], False),
        ("settle_locally", cli_command(base, SETTLE), False),
        ("status", commands["status"], True),
        ("check_quota", cli_command(base, QUOTA), True),
    ]
    return {
        "available": True,
        "recommended": reason != "available",
        "recommendation_reason": reason,
        "urgency": urgency,
        "urgency_score": score,
        "urgency_reasons": [] if reason == "available" else [reason],
        "path": PATH,
        "preferred_payment_method": X402,
        "live_money": False,
        "simulated": True,
        "first_command": commands["inspect_methods"],
        "quote_command": commands["quote"],
        "quote_command_copy_runnable": True,
        "quote_command_effect": quote_effect(),
        "commands": commands,
        "workflow": {
            "steps": [
                {"step": step, "command": command, "no_spend": no_spend}
                for step, command, no_spend in steps
            ]
        },
    }


def top_up_for_quota(quota: dict[str, Any], base: str, wall: str | None = None) -> dict[str, Any]:
    """:func:`top_up` from a ``/v1/quota`` snapshot or a create/edit ``quota`` block."""
    limits = quota.get("limits", quota)
    return top_up(
        base,
        total_remaining=int(limits["total_remaining_credits"]),
        paid_remaining=int(limits["payment_backed_remaining_credits"]),
        daily_remaining=int(quota["daily_jobs"]["remaining"]),
        wall=wall,
    )


def self_fund(top: dict[str, Any]) -> dict[str, Any]:
    """``next_actions.self_fund``: the client's derivation of a ``top_up`` (0.1.70 §7.1),
    with this backend's ``simulated: true`` and a warning that says no money moves here."""
    action = self_fund_action(top, warning=SELF_FUND_WARNING, simulated=True)
    assert action is not None, "a local top_up always qualifies"
    return action


def self_fund_next(action: dict[str, Any]) -> dict[str, Any]:
    """``self_fund_next_command`` (+ ``_effect``) of a create/edit reply (0.1.70 §7.9):
    the quote command when the self-fund action is recommended, else nothing."""
    if not (action["recommended"] and action["quote_command_copy_runnable"]):
        return {}
    return {
        "self_fund_next_command": action["quote_command"],
        "self_fund_next_command_effect": quote_effect(),
    }


def with_top_up(quota: dict[str, Any], base: str) -> dict[str, Any]:
    """A ``/v1/quota`` snapshot with its ``top_up`` (0.1.70 §7.1, §7.3)."""
    return {**quota, "top_up": top_up_for_quota(quota, base)}
