"""Typed (pydantic) view of the envelope.

The CLI relays server envelopes as parsed dicts so that no key is lost; these models give
Python callers attribute access and validation on top of the same data. Every model allows
extra keys, so a newer server never breaks an older client.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Recovery(_Open):
    suggested_command: str | None = None
    docs_url: str | None = None
    retry_after_seconds: float | None = None
    idempotency_key: str | None = None
    required_flag: str | None = None


class ErrorInfo(_Open):
    code: str
    message: str = ""
    retryable: bool = False
    recovery: Recovery | None = None


class Envelope(_Open):
    ok: bool
    command: str | None = None
    trace_id: str | None = None
    actor: dict[str, Any] | None = None
    data: Any = None
    warnings: list[str] = Field(default_factory=list)
    error: ErrorInfo | None = None


def parse_envelope(raw: dict[str, Any]) -> Envelope:
    """Validate a raw envelope dict. Raises ``pydantic.ValidationError`` when malformed."""
    return Envelope.model_validate(raw)
