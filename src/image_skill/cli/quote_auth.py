"""``error.recovery.after_auth`` of a ``credits quote`` stopped by the CLI's own token check
(contract 0.1.70 §7.6).

The quote's arguments were valid; only the token was missing (or ``--token-stdin`` had
nothing to read). ``after_auth`` hands over the very quote to run once a token is there:
the same pack or credits, method and idempotency key (so a retry cannot open a second
payment object), rendered to run here, plus the two ways to give it the token without
writing it on the command line. A server that refuses a token sends its own error; that
one gets no ``after_auth``.

Pure, standard library only.
"""

from __future__ import annotations

from typing import Any

from image_skill.commands import with_env_token, with_stdin_token

__all__ = ["QUOTE_EFFECT", "TOKEN_ERROR_CODES", "after_auth", "quote_words"]

#: The codes of a token failure the CLI found itself (missing token; TTY or empty stdin).
TOKEN_ERROR_CODES = frozenset({"AUTH_REQUIRED", "INVALID_ARGUMENTS"})

QUOTE_EFFECT: dict[str, Any] = {
    "label": "live_money_quote_no_charge",
    "live_money": True,
    "payment_object": True,
    "payment_attempt": False,
    "wallet_settlement": False,
    "provider_call": False,
    "credit_debit": False,
    "media_write": False,
}


def quote_words(
    *, pack: str | None, credits_text: str | None, payment_method: str, key: str
) -> list[str]:
    """``credits quote`` words that repeat this quote: ``--pack`` when given, else
    ``--credits``, then the method and the key this call generated or was given."""
    amount = ["--pack", pack] if pack else ["--credits", credits_text or ""]
    return [
        "credits",
        "quote",
        *amount,
        "--payment-method",
        payment_method,
        "--idempotency-key",
        key,
        "--json",
    ]


def after_auth(command: str, *, copy_runnable: bool) -> dict[str, Any]:
    """The ``after_auth`` object for the rendered quote ``command``."""
    return {
        "command": command,
        "command_copy_runnable": copy_runnable,
        "with_env": with_env_token(command),
        "with_stdin": with_stdin_token(command),
        "accepted_methods": ["config", "IMAGE_SKILL_TOKEN", "--token-stdin"],
        "requires_auth": True,
        "command_effect": dict(QUOTE_EFFECT),
    }
