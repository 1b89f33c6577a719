"""``next_actions`` of the payment replies (contract 0.1.70 §7.5-§7.7).

* ``recommended_quote`` on ``GET /v1/payment-methods``: the quote to make first (the
  browserless x402 rail, which an agent can settle itself);
* ``recommended_buy`` on a quote, and on ``credits status --quote-id`` while the quote is
  open: the buy command with the real quote id and the deterministic purchase key
  ``purchase:<quote_id>`` (the same key on every repeat, so a rerun replays one attempt);
* ``recommended_settlement`` on an x402 buy and on its status while action is required.

The shapes follow the public docs; ``live_money`` is false and ``simulated`` true here, and
settling means the local settle action. Commands run against the backend of ``base``.
Pure: rows in, dicts out.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from image_skill.local.billing.catalog import CHECKOUT, DEFAULT_PACK_ID, X402
from image_skill.local.billing.top_up import QUOTA, buy_template, quote_command, quote_effect
from image_skill.local.cli_commands import cli_command

Row = sqlite3.Row

PROVIDERS = {CHECKOUT: "stripe", X402: "stripe_x402"}
STATUS_AFTER_PAYMENT = "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json"


def purchase_key(quote_id: str) -> str:
    return f"purchase:{quote_id}"


def recommended_quote(base: str) -> dict[str, Any]:
    return {
        "purpose": "quote_credit_top_up",
        "recommendation_reason": "browserless_agent_self_fund",
        "method_id": X402,
        "pack_id": DEFAULT_PACK_ID,
        "command": quote_command(X402, base),
        "quote_command_copy_runnable": True,
        "buy_command": buy_template(PROVIDERS[X402], base),
        "status_command": cli_command(base, STATUS_AFTER_PAYMENT),
        "requires_auth": True,
        "live_money": False,
        "simulated": True,
        "requires_browser": False,
        "agent_settleable": True,
        "command_effect": quote_effect(),
    }


def with_recommended_quote(methods: dict[str, Any], base: str) -> dict[str, Any]:
    """``GET /v1/payment-methods`` data with ``next_actions`` placed before ``methods``."""
    out = {key: value for key, value in methods.items() if key != "methods"}
    out["next_actions"] = {"recommended_quote": recommended_quote(base)}
    out["methods"] = methods["methods"]
    return out


def recommended_buy(quote: Row, base: str) -> dict[str, Any]:
    """The buy step for an open quote (either rail)."""
    quote_id, method = str(quote["quote_id"]), str(quote["payment_method"])
    checkout = method == CHECKOUT
    provider = PROVIDERS[method]
    key = purchase_key(quote_id)
    return {
        "purpose": "complete_credit_top_up",
        "recommendation_reason": (
            "human_checkout_handoff" if checkout else "browserless_agent_self_fund"
        ),
        "quote_id": quote_id,
        "method_id": method,
        "provider": provider,
        "command": cli_command(
            base,
            ["credits", "buy", "--provider", provider, "--quote-id", quote_id]
            + ["--idempotency-key", key, "--json"],
        ),
        "buy_command_copy_runnable": True,
        "purchase_idempotency_key": key,
        "status_command": cli_command(
            base, ["credits", "status", "--quote-id", quote_id, "--json"]
        ),
        "status_command_copy_runnable": True,
        "status_command_after_payment": cli_command(base, STATUS_AFTER_PAYMENT),
        "status_command_after_payment_copy_runnable": False,
        "requires_auth": True,
        "live_money": False,
        "simulated": True,
        "requires_browser": checkout,
        "agent_settleable": not checkout,
        "human_handoff_required": checkout,
        "command_effect": {
            # the documented label; it fits both rails (an attempt that must be completed)
            "label": "live_money_payment_attempt_requires_completion",
            "no_spend": False,
            "live_money": False,
            "simulated": True,
            "payment_attempt": True,
            "credit_debit": False,
            "media_write": False,
            "wallet_settlement": False,
        },
    }


def recommended_settlement(attempt: Row, quote: Row, base: str, path: str) -> dict[str, Any]:
    """How to settle an x402 attempt; ``path`` points at its payable instructions."""
    attempt_id = str(attempt["payment_attempt_id"])
    return {
        "purpose": "settle_stripe_x402_credit_top_up",
        "quote_id": quote["quote_id"],
        "payment_attempt_id": attempt_id,
        "method_id": X402,
        "payable_instructions_path": path,
        "status_command": cli_command(
            base, ["credits", "status", "--payment-attempt-id", attempt_id, "--json"]
        ),
        "quota_command": cli_command(base, QUOTA),
        "local_settle_command": cli_command(
            base, ["local", "settle", "--payment-attempt-id", attempt_id, "--json"]
        ),
        "live_money": False,
        "simulated": True,
        "command_effect": {
            "wallet_settlement": True,
            "simulated": True,
            "credit_debit": False,
            "media_write": False,
        },
    }
