"""The bodies of credit quotes and purchases, feedback, signup and claim requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from image_skill.api.requests._body import CONFIG, Number, RequestBody, documented

#: An email-shaped inbox: what ``agent_contact`` and a claim's ``contact`` must be.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
#: The self-reported discovery channel slug (contract 0.1.70 §1.2).
DISCOVERY_SOURCE_PATTERN = r"^[a-z0-9._-]{1,64}$"
#: Longest ``agent_name`` / ``runtime``.
MAX_SIGNUP_TEXT = 200
_SIGNUP_TEXT = {"minLength": 1, "maxLength": MAX_SIGNUP_TEXT, "pattern": r"\S"}


@dataclass(frozen=True, kw_only=True)
class QuoteRequest(RequestBody):
    """Body of ``POST /v1/credit-quotes`` (contract §8.9). A quote never grants credits."""

    __pydantic_config__: ClassVar[dict[str, Any]] = CONFIG

    credits: Number | None = None
    """Number of credits to quote (or give ``pack_id``)."""
    pack_id: str | None = None
    """A credit pack id from ``credits packs list``."""
    payment_method: str | None = None
    """``stripe_checkout`` or ``stripe_x402.exact.usdc``."""
    idempotency_key: str | None = None
    """Same key and same terms return the same quote."""


@dataclass(frozen=True, kw_only=True)
class BuyRequest(RequestBody):
    """Body of the credit purchase endpoints (contract §8.10): Checkout session, x402
    deposit, and the local backend's simulated purchase."""

    __pydantic_config__: ClassVar[dict[str, Any]] = CONFIG

    quote_id: str | None = None
    """The quote to pay."""
    idempotency_key: str | None = None
    """Required: reusing it replays the purchase instead of making a second one."""


@dataclass(frozen=True, kw_only=True)
class FeedbackRequest(RequestBody):
    """Body of ``POST /v1/feedback`` (contract §8.22); a title or a body is required.
    ``allow_weak_signal`` is sent only when true; a null field takes the server's default."""

    __pydantic_config__: ClassVar[dict[str, Any]] = CONFIG
    _OMIT_FALSE: ClassVar[frozenset[str]] = frozenset({"allow_weak_signal"})

    type: str | None = "user_feedback"
    """Kind of feedback."""
    title: str | None = None
    """One-line summary."""
    body: str | None = None
    """Full description."""
    severity: str | None = "medium"
    """low, medium, high or critical."""
    confidence: str | None = "medium"
    """low, medium or high."""
    next_state: str | None = "watch"
    """Suggested next state."""
    command: str | None = None
    """The command that was run."""
    expected: str | None = None
    """What was expected."""
    actual: str | None = None
    """What happened instead."""
    friction: str | None = None
    """What got in the way."""
    proof_needed: str | None = None
    """What would prove it fixed."""
    strategic_reason: str | None = None
    """Why it matters."""
    dedupe_key: str | None = None
    """Key that merges repeated reports."""
    source: str | None = None
    """Who or what is reporting."""
    trace_id: str | None = None
    """trace_id of a related envelope."""
    surface: list[str] | str | None = field(default_factory=lambda: ["cli"])
    """Affected surfaces (a comma-separated string is accepted too)."""
    evidence: list[str] | str | None = field(default_factory=list)
    """Evidence items (a comma-separated string is accepted too)."""
    allow_weak_signal: bool = False
    """Accept a report with little evidence."""


@dataclass(frozen=True, kw_only=True)
class SignupRequest(RequestBody):
    """Body of ``POST /v1/agent-signups`` (contract §8.3, 0.1.70 §1.1-1.2). Without a
    contact the signup is anonymous and mints a new agent every time."""

    __pydantic_config__: ClassVar[dict[str, Any]] = documented(
        agent_contact={"pattern": EMAIL_PATTERN},
        human_email={"pattern": EMAIL_PATTERN},
        agent_name=_SIGNUP_TEXT,
        runtime=_SIGNUP_TEXT,
        discovery_source={"pattern": DISCOVERY_SOURCE_PATTERN},
    )

    agent_contact: str | None = None
    """Email-shaped durable inbox (trimmed, lower-cased)."""
    human_email: str | None = None
    """Legacy alias of ``agent_contact`` (sent by early clients); the CLI never sends it."""
    agent_name: str
    """Name of the agent."""
    runtime: str
    """Runtime the agent runs in."""
    return_token: bool = True
    """Return the raw token once in ``data.token``."""
    discovery_source: str | None = None
    """Self-reported channel slug (``[a-z0-9._-]``, up to 64 characters; first touch wins)."""


@dataclass(frozen=True, kw_only=True)
class ClaimRequest(RequestBody):
    """Body of ``POST /v1/agent-claims`` (contract 0.1.70 §1.3)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = documented(contact={"pattern": EMAIL_PATTERN})

    contact: str
    """Email-shaped inbox of the agent or its operator (trimmed, lower-cased)."""
