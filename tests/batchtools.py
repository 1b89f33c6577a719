"""Helpers for the `batch create` tests: a funded local account and batch files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clitools import CliResult

#: What one local.image job debits (9 credits of $0.01).
IMAGE_CREDITS = 9

Run = Callable[..., CliResult]


def fund(run: Run, *base: str) -> None:
    """Buy and settle the 500-credit pack (simulated money) for the signed-up account."""
    quote = run(
        "credits", "quote", "--pack", "starter-500", "--payment-method", "stripe_checkout", *base
    )
    assert quote.exit_code == 0, quote.stdout
    bought = run(
        "credits",
        "buy",
        "--provider",
        "stripe",
        "--quote-id",
        quote.data["quote_id"],
        "--idempotency-key",
        "batch-test-buy",
        *base,
    )
    assert bought.exit_code == 0, bought.stdout
    settled = run(
        "local", "settle", "--payment-attempt-id", bought.data["payment_attempt_id"], *base
    )
    assert settled.exit_code == 0, settled.stdout


def credits(run: Run, *base: str) -> int:
    quota = run("quota", *base)
    assert quota.exit_code == 0, quota.stdout
    value = quota.data["limits"]["total_remaining_credits"]
    assert isinstance(value, int)
    return value


def write_batch(path: Path, lines: list[Any]) -> Path:
    """One line per item: a dict becomes its JSON, a str is written as it is."""
    rows = [item if isinstance(item, str) else json.dumps(item) for item in lines]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def prompts(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"prompt": f"batch picture {n}", "model": "local.image", **extra} for n in range(count)]


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(row) for row in path.read_text(encoding="utf-8").splitlines() if row]
