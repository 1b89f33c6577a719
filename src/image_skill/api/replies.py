"""Our failure envelopes for replies that are not (well-formed) envelopes.

Pure functions with no I/O, used by :mod:`image_skill.api.client`. A reply is relayed only
when it is a well-formed envelope (see :func:`image_skill.api.wire.envelope_problem`); any
other reply (not JSON, a JSON value without ``ok``, over ``MAX_REPLY_BYTES``, or an envelope
whose ``ok`` is not a boolean or whose failure has no ``error`` object with a string
``code``) becomes a ``HOSTED_API_NON_JSON_RESPONSE`` failure built here. A malformed
envelope is kept, as parsed, under ``error.raw_reply`` so nothing the server said is lost.
No reply at all (a transport failure) is :func:`transport_failure`.
"""

from __future__ import annotations

from typing import Any

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.api.reply import Reply

#: Key under ``error`` holding a malformed reply as the server sent it (parsed JSON).
RAW_REPLY_KEY = "raw_reply"

NON_JSON_5XX_WARNING = (
    "the API did not answer with a valid JSON envelope; it may already have reserved credits "
    "for this request, so retry only with the same idempotency key"
)


def non_envelope_failure(
    status: int,
    command: str,
    idempotency_key: str | None,
    *,
    malformed: tuple[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Our failure for a reply with HTTP ``status`` that is no (well-formed) envelope.

    A request sent with an idempotency key (a spend: create, edit, credits buy) may have
    spent whatever the status, since the server got it: its outcome is unknown, so it is
    retryable with the same-key recovery. Other requests follow the contract (retryable for
    a 5xx only). ``malformed`` is the problem and the parsed reply, kept under
    ``error.raw_reply``.
    """
    retryable = status >= 500 or idempotency_key is not None
    recovery: dict[str, Any] | None = None
    if retryable and idempotency_key is not None:
        recovery = {
            "idempotency_key": idempotency_key,
            "docs_url": C.DOCS_URL,
            "retry_after_seconds": 5,
        }
    elif retryable:
        recovery = {"docs_url": C.DOCS_URL, "retry_after_seconds": 5}
    message = f"hosted API returned HTTP {status} without a JSON envelope"
    if malformed is not None:
        message = f"hosted API returned HTTP {status} with a malformed envelope ({malformed[0]})"
    envelope = E.failure(
        command,
        E.HOSTED_API_NON_JSON_RESPONSE,
        message,
        retryable=retryable,
        recovery=recovery,
        warnings=[NON_JSON_5XX_WARNING] if retryable else [],
    )
    if malformed is not None:
        envelope["error"][RAW_REPLY_KEY] = malformed[1]
    return envelope


def transport_failure(
    what: str, exc: Exception, key: str | None, base_url: str, attempt_limit: float | None
) -> Reply:
    """No reply at all: ``TIMEOUT`` for a timeout, else ``HOSTED_API_REQUEST_FAILED``."""
    import httpx

    name = exc.__class__.__name__
    if isinstance(exc, httpx.TimeoutException):
        code, retry_after = E.TIMEOUT, 5
        within = f"within {attempt_limit:g} s " if attempt_limit is not None else ""
        message = f"request to {base_url} timed out {within}({name}); the outcome is unknown"
    else:
        code, retry_after = E.HOSTED_API_REQUEST_FAILED, 30
        message = f"request to {base_url} failed: {name}"
        detail = str(exc).strip()
        if detail:
            message += f": {detail}"
    recovery: dict[str, Any] = {} if key is None else {"idempotency_key": key}
    recovery.update(docs_url=C.DOCS_URL, retry_after_seconds=retry_after)
    envelope = E.failure(what, code, message, retryable=True, recovery=recovery)
    # Nothing left the machine when the connection itself failed.
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    return Reply(
        envelope,
        None,
        sent=sent,
        outcome_unknown=sent,
        client_built=True,
        idempotency_key=key,
    )
