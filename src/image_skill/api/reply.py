"""`Reply`: what :class:`~image_skill.api.client.ImageSkillClient` returns for one request.

API errors are data, not exceptions. ``Reply.envelope`` is the server's envelope exactly as
it was parsed (keys we do not know included), or, when there was no well-formed envelope to
relay, a failure envelope the client built itself (``client_built``): its ``command`` then
describes the HTTP request (``"POST /v1/create"``), since the client knows nothing about
whoever called it. Two flags describe what may have happened on the server:

* ``sent``: whether any of the request could have reached the server (False only when the
  connection was never made);
* ``outcome_unknown``: the request was sent but no well-formed reply came back (a timeout,
  a reset connection, a body that is not an envelope): for a spend, the server may or may not
  have charged, and only a retry with the same idempotency key finds out safely.

Standard library only (the pydantic view loads in :meth:`Reply.model`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from image_skill.models import Envelope as EnvelopeModel

__all__ = ["Reply", "ReplyError"]


@dataclass(frozen=True)
class ReplyError:
    """The ``error`` object of a failed envelope, as typed fields (``raw`` keeps it all)."""

    code: str
    message: str
    retryable: bool
    recovery: dict[str, Any] | None
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, error: dict[str, Any]) -> ReplyError:
        code, message, recovery = error.get("code"), error.get("message"), error.get("recovery")
        return cls(
            code=code if isinstance(code, str) else "",
            message=message if isinstance(message, str) else "",
            retryable=error.get("retryable") is True,
            recovery=recovery if isinstance(recovery, dict) else None,
            raw=error,
        )


@dataclass(frozen=True)
class Reply:
    """One request's outcome: the envelope, the HTTP status and headers, and what is known.

    ``status`` is None when no HTTP reply arrived; ``headers`` is then empty.
    ``idempotency_key`` is the key the request was sent with (None for other requests).
    """

    envelope: dict[str, Any]
    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    sent: bool = True
    outcome_unknown: bool = False
    client_built: bool = False
    idempotency_key: str | None = None

    @property
    def ok(self) -> bool:
        """True only when the envelope says ``"ok": true`` (not ``1``, ``"yes"``, ...)."""
        return self.envelope.get("ok") is True

    @property
    def data(self) -> dict[str, Any]:
        """The envelope's ``data`` object; an empty dict when there is none (a failed reply
        has ``"data": null``), so ``reply.data.get("limits")`` never needs a None check.
        Check :attr:`ok` (or :attr:`error`) first: the empty dict of a failure is a new one
        each time, not part of the envelope."""
        data = self.envelope.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def error(self) -> ReplyError | None:
        """The failure as data (``reply.error.code``), or None for a success."""
        error = self.envelope.get("error")
        if self.ok or not isinstance(error, dict):
            return None
        return ReplyError.from_dict(error)

    def model(self) -> EnvelopeModel:
        """The envelope as a validated pydantic model (attribute access, extra keys kept).

        Raises ``pydantic.ValidationError`` when the envelope is malformed.
        """
        from image_skill.models import parse_envelope

        return parse_envelope(self.envelope)

    def __repr__(self) -> str:
        code = self.error.code if self.error is not None else None
        return f"Reply(ok={self.ok}, status={self.status}, code={code!r})"
