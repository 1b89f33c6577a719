"""Markup of the simulated Checkout page and the receipt shown after paying."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from image_skill.local.pages.html import (
    SIMULATED_NOTE,
    code,
    command_block,
    definitions,
    document,
    dollars,
    para,
    post_button,
)


@dataclass(frozen=True)
class Purchase:
    """What a checkout sells: the quote's terms and the attempt paying for it."""

    payment_attempt_id: str
    credits: int
    amount_cents: int
    currency: str
    pack_id: str | None


@dataclass(frozen=True)
class Receipt:
    """A settled purchase as the receipt page shows it."""

    receipt_id: str
    credits_granted: int
    amount_cents: int
    currency: str
    paid_at: str
    total_balance: int
    paid_balance: int
    free_balance: int


def _summary(purchase: Purchase) -> str:
    pack = f" (pack {escape(purchase.pack_id)})" if purchase.pack_id else ""
    return (
        f"<p><strong>{purchase.credits} Image Skill credits</strong>{pack} for "
        f"<strong>{escape(dollars(purchase.amount_cents, purchase.currency))}</strong>.</p>"
        f"<p>Payment attempt {code(purchase.payment_attempt_id)}</p>"
    )


def not_found_page() -> str:
    return document(
        "Checkout not found", para("This checkout link is unknown."), note=SIMULATED_NOTE
    )


def refused_page(message: str) -> str:
    """A checkout that cannot be paid (expired or failed attempt)."""
    return document("Payment not possible", para(message), note=SIMULATED_NOTE)


def checkout_page(purchase: Purchase, complete_action: str) -> str:
    """The unpaid checkout: the terms and one button that completes the payment."""
    body = _summary(purchase) + post_button(
        complete_action, "Complete simulated payment", name="pay"
    )
    return document("Image Skill checkout (simulated)", body, note=SIMULATED_NOTE)


def already_paid_page(purchase: Purchase, receipt_url: str) -> str:
    """The checkout once paid: no button, a link to the receipt."""
    body = (
        _summary(purchase)
        + para("This checkout is already paid; paying again is not possible.")
        + f"<p><a href='{escape(receipt_url)}' id=receipt-link>View the receipt</a></p>"
    )
    return document("Payment complete", body, note=SIMULATED_NOTE)


def receipt_page(purchase: Purchase, receipt: Receipt, *, again: bool, status_command: str) -> str:
    """Status, credits granted and the balance after a settled checkout."""
    note = (
        "This checkout was already paid; nothing was charged or granted again."
        if again
        else f"{receipt.credits_granted} credits were added to the agent's balance."
    )
    facts = definitions(
        [
            ("Status", "<strong id=status>succeeded</strong>"),
            ("Credits granted", f"<span id=credits-granted>{receipt.credits_granted}</span>"),
            ("Amount", escape(dollars(receipt.amount_cents, receipt.currency))),
            (
                "Balance",
                f"<span id=balance>{receipt.total_balance}</span> credits "
                f"({receipt.paid_balance} paid, {receipt.free_balance} free)",
            ),
            ("Receipt", code(receipt.receipt_id)),
            ("Payment attempt", code(purchase.payment_attempt_id)),
            ("Paid at", escape(receipt.paid_at)),
        ]
    )
    body = (
        f"<p id=outcome>{escape(note)}</p>"
        + facts
        + para("The agent can check it with:")
        + command_block(status_command)
    )
    return document("Payment receipt", body, note=SIMULATED_NOTE)


def unpaid_receipt_page(checkout_path: str) -> str:
    body = para("This checkout has not been paid yet, so there is no receipt.") + (
        f"<p><a href='{escape(checkout_path)}'>Back to the checkout</a></p>"
    )
    return document("No receipt yet", body, note=SIMULATED_NOTE)
