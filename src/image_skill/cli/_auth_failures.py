"""The CLI's token failures: AUTH_REQUIRED (no token, or a saved token that belongs to another
base URL and so was not sent) and INVALID_ARGUMENTS for a token that cannot be sent.

The token itself never appears in these envelopes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.envelope import Result


def auth_required(
    label_: str,
    render: Callable[[list[str]], str],
    withheld_for: str | None = None,
    base_url: str | None = None,
) -> Result:
    """AUTH_REQUIRED; with ``withheld_for``, the saved token exists but belongs to that other
    base URL (not to ``base_url``, this invocation's), so it was not sent: the message says
    so and the recovery names both base URLs."""
    message = (
        "this command needs an Image Skill token: run signup, set IMAGE_SKILL_TOKEN, "
        "or pipe one with --token-stdin"
    )
    recovery: dict[str, Any] = {
        "suggested_command": render(list(C.SIGNUP_SUGGESTED_ARGS)),
        "docs_url": f"{C.DOCS_URL}#image-skill-signup-agent",
    }
    if withheld_for is not None:
        message = (
            f"the saved token belongs to {withheld_for}, not to {base_url}, so it was "
            "not sent; sign up against this base URL, give a token for it (IMAGE_SKILL_TOKEN "
            "or --token-stdin), or leave out --api-base-url and IMAGE_SKILL_API_BASE_URL to "
            "use the saved backend"
        )
        recovery["api_base_url"] = base_url
        recovery["saved_token_api_base_url"] = withheld_for
    return E.error_result(label_, E.AUTH_REQUIRED, message, recovery=recovery)


def invalid_token(label_: str, source: str | None, problem: str) -> Result:
    """INVALID_ARGUMENTS for a token that cannot go into an HTTP header (never printed)."""
    where = {
        "stdin": "--token-stdin",
        "flag": "--token",
        "env": f"{C.TOKEN_ENV} (or {C.HOSTED_TOKEN_ENV})",
        "config": "the saved config",
    }.get(source or "", "the token")
    return E.invalid(
        label_,
        f"the token from {where} cannot be used: {problem}; an Image Skill token is "
        "printable ASCII with no spaces (paste the real token, not a placeholder)",
    )
