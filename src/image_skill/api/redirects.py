"""Redirects of API requests: followed within the API's own origin only.

An API request is sent with the bearer token and, for a spend (create, edit, credits buy),
a body that debits money. A ``3xx`` reply pointing at another origin (another scheme, host
or port) would have httpx re-send that body (307/308) somewhere the user never named and
relay whatever answered as if the API had. So the client follows a redirect only when it
stays on the origin the request went to (at most :data:`MAX_API_REDIRECTS` times) and
otherwise stops with ``HOSTED_API_REDIRECT_REFUSED`` (exit 7): nothing is sent to the new
location.

For a request sent with an idempotency key the outcome is unknown (the API received the
spend before it answered with the redirect), so the failure is retryable and carries the
same-key recovery; other requests get a plain, non-retryable failure.

Pure functions, no I/O.
"""

from __future__ import annotations

from typing import Any

from image_skill import _constants as C
from image_skill import envelope as E

__all__ = ["MAX_API_REDIRECTS", "RedirectRefused", "origin_text", "redirect_refused"]

MAX_API_REDIRECTS = 5


class RedirectRefused(Exception):
    """The API answered with a redirect the client will not follow."""

    def __init__(self, status: int, target: str, *, too_many: bool = False) -> None:
        super().__init__(f"HTTP {status} to {target}")
        self.status = status
        self.target = target
        self.too_many = too_many


def origin_text(scheme: str, host: str, port: int | None) -> str:
    """``scheme://host[:port]`` (brackets around an IPv6 host)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + (f":{port}" if port is not None else "")


def redirect_refused(
    command: str, exc: RedirectRefused, base_url: str, idempotency_key: str | None
) -> dict[str, Any]:
    """The failure envelope for a refused redirect (see the module docstring); ``command``
    describes the request (``POST /v1/create``)."""
    if exc.too_many:
        why = f"redirected more than {MAX_API_REDIRECTS} times within {base_url}"
    else:
        why = (
            f"answered HTTP {exc.status} redirecting to another origin ({exc.target}); the "
            "request was not sent there"
        )
    message = f"the API at {base_url} {why}"
    recovery: dict[str, Any] = {"redirect_status": exc.status, "redirect_origin": exc.target}
    if idempotency_key is not None:
        message += (
            "; the API received this request before redirecting, so its outcome is unknown: "
            "retry only with the same idempotency key"
        )
        recovery.update(idempotency_key=idempotency_key, retry_after_seconds=30)
    else:
        message += "; check the API base URL"
    recovery["docs_url"] = C.DOCS_URL
    return E.failure(
        command,
        E.HOSTED_API_REDIRECT_REFUSED,
        message,
        retryable=idempotency_key is not None,
        recovery=recovery,
    )
