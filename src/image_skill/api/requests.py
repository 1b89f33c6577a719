"""Typed request bodies, shared by the CLI (which builds them) and the local backend (which
validates them).

One class per JSON body the client sends: create, edit, upload, credit quote, credit buy,
feedback, signup and claim. Field names, types and optionality follow the contract; field
order is the order of the keys on the wire, and :meth:`to_body` gives the exact JSON object
the CLI sends (unset optional fields are left out, as the npm client leaves them out).

Why plain dataclasses and not pydantic models: the CLI builds these bodies on every call and
must not import pydantic (it costs about 160 ms of start-up, see the import-budget test). A
stdlib dataclass with a plain-dict ``__pydantic_config__`` costs nothing to import, yet
pydantic validates it as it would a model: the backend runs
``pydantic.TypeAdapter(CreateRequest)`` over each body (``extra: "forbid"`` refuses unknown
keys) and ``TypeAdapter(CreateRequest).json_schema()`` is the schema the OpenAPI document and
the MCP server publish. Standard library only at import time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "REQUEST_MODELS",
    "BuyRequest",
    "ClaimRequest",
    "CreateRequest",
    "EditRequest",
    "FeedbackRequest",
    "QuoteRequest",
    "Reference",
    "SignupRequest",
    "UploadMetadata",
    "UploadRequest",
]

#: Pydantic reads this plain dict as the model config of every request class: unknown
#: keys are refused, and attribute docstrings become schema descriptions.
_CONFIG: dict[str, Any] = {"extra": "forbid", "use_attribute_docstrings": True}

Number = int | float

#: An email-shaped inbox: what ``agent_contact`` and a claim's ``contact`` must be.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
#: The self-reported discovery channel slug (contract 0.1.70 §1.2).
DISCOVERY_SOURCE_PATTERN = r"^[a-z0-9._-]{1,64}$"
#: Longest ``agent_name`` / ``runtime``.
MAX_SIGNUP_TEXT = 200
_SIGNUP_TEXT = {"minLength": 1, "maxLength": MAX_SIGNUP_TEXT, "pattern": r"\S"}


def _documented(**rules: dict[str, Any]) -> dict[str, Any]:
    """The model config plus JSON-schema keywords for some properties: value rules the
    server checks itself (so that a refusal carries the contract's own message)."""

    def extra(schema: dict[str, Any]) -> None:
        for name, keywords in rules.items():
            schema["properties"][name].update(keywords)

    return {**_CONFIG, "json_schema_extra": extra}


def _wire(value: Any) -> Any:
    """A field value as JSON data (nested request objects become their bodies)."""
    if isinstance(value, _Body):
        return value.to_body()
    if isinstance(value, list):
        return [_wire(item) for item in value]
    if isinstance(value, dict):
        return dict(value)
    return value


class _Body:
    """``to_body()`` for the request dataclasses: every field in declaration order, except
    a ``None`` (unless the field is in ``_KEEP_NONE``) and a ``False`` flag named in
    ``_OMIT_FALSE``."""

    _KEEP_NONE: ClassVar[frozenset[str]] = frozenset()
    _OMIT_FALSE: ClassVar[frozenset[str]] = frozenset()

    def to_body(self) -> dict[str, Any]:
        """The JSON object sent on the wire, keys in the contract's order."""
        body: dict[str, Any] = {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is None and item.name not in self._KEEP_NONE:
                continue
            if value is False and item.name in self._OMIT_FALSE:
                continue
            body[item.name] = _wire(value)
        return body


@dataclass(frozen=True, kw_only=True)
class Reference(_Body):
    """One ``references[]`` item of a create or edit (contract §10.3)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    asset_id: str
    """An owned asset id (URLs are never sent as references)."""
    role: str
    """``element_frontal``, ``element_reference`` or ``reference_image``."""
    index: int = 0
    """Element index (element roles) or reference image index (0-9); the CLI always sends
    it."""
    reference_index: int | None = None
    """Which extra view of the element (0-2); ``element_reference`` only."""
    reference_task: str | None = None
    """``ip``, ``id`` or ``style``; ``reference_image`` only."""


@dataclass(frozen=True, kw_only=True)
class CreateRequest(_Body):
    """Body of ``POST /v1/create`` (contract §8.15; 0.1.70 §6.1 for the key)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    prompt: str | None = None
    """What to create; every create model needs one (checked once the model is known)."""
    provider: str | None = None
    """Provider id."""
    model: str | None = None
    """Model id; omitted, the server's default policy chooses."""
    intent: str | None = None
    """explore, final, ... (guides the default model choice)."""
    aspect_ratio: str | None = None
    """``W:H``; the CLI always sends it (``"1:1"`` by default)."""
    references: list[Reference] | None = None
    """Reference images, all owned asset ids."""
    output_count: int | None = None
    """Number of outputs (positive integer, default 1)."""
    max_estimated_usd_per_image: Number | None = None
    """Refuse when one output would debit more than this many USD."""
    max_usd: Number | None = None
    """Refuse when the whole job would debit more than this many USD."""
    model_parameters: dict[str, Any] | None = None
    """Model parameters, checked against the model's schema (unknown keys fail closed)."""
    idempotency_key: str | None = None
    """Reusing it never creates a second job or debit."""
    dry_run: bool = False
    """Validate and plan without spending."""
    accept_unknown_cost: bool = False
    """Allow a model whose cost is not known before it runs."""


@dataclass(frozen=True, kw_only=True)
class EditRequest(_Body):
    """Body of ``POST /v1/edit`` (contract §8.18). ``dry_run`` is sent only when true."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG
    _OMIT_FALSE: ClassVar[frozenset[str]] = frozenset({"dry_run"})

    input_asset_id: str | None = None
    """The owned image to edit (required; refused with an upload hint when missing)."""
    mask_asset_id: str | None = None
    """An owned mask image: the edit applies only where it is white."""
    references: list[Reference] | None = None
    """Reference images, all owned asset ids."""
    prompt: str | None = None
    """What to change; left out for promptless models."""
    provider: str | None = None
    """Provider id."""
    model: str | None = None
    """Edit model id; omitted, the server's default policy chooses."""
    intent: str | None = None
    """Intent (guides the default model choice)."""
    aspect_ratio: str | None = None
    """``W:H`` or ``auto``; the CLI always sends it (``"auto"`` by default)."""
    output_count: int | None = None
    """Number of outputs (the CLI does not send it for edits)."""
    max_estimated_usd_per_image: Number | None = None
    """Refuse when one output would debit more than this many USD."""
    max_usd: Number | None = None
    """Refuse when the whole job would debit more than this many USD."""
    model_parameters: dict[str, Any] | None = None
    """Model parameters, checked against the model's schema (unknown keys fail closed)."""
    dry_run: bool = False
    """Validate and plan without spending."""
    idempotency_key: str | None = None
    """Reusing it never creates a second job or debit."""
    accept_unknown_cost: bool = False
    """Allow a model whose cost is not known before it runs."""


@dataclass(frozen=True, kw_only=True)
class UploadMetadata(_Body):
    """Every member of the upload body but the bytes, in contract order (§10.1). A streamed
    upload sends these first and then ``bytes_base64`` as it reads the file."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG
    _KEEP_NONE: ClassVar[frozenset[str]] = frozenset({"remote_origin"})

    source_kind: str
    """``local_path`` or ``remote_url``."""
    filename: str
    """Base name of the file or URL path."""
    remote_origin: str | None = None
    """``scheme://host[:port]`` of a fetched URL, null for a local file (always sent)."""
    mime_type: str
    """Declared media type."""
    content_length: int
    """Number of bytes."""
    sha256: str
    """Lowercase hex SHA-256 of the bytes."""


@dataclass(frozen=True, kw_only=True)
class UploadRequest(UploadMetadata):
    """Body of ``POST /v1/upload``: :class:`UploadMetadata` followed by the bytes."""

    bytes_base64: str
    """The bytes, standard base64 with padding."""


@dataclass(frozen=True, kw_only=True)
class QuoteRequest(_Body):
    """Body of ``POST /v1/credit-quotes`` (contract §8.9). A quote never grants credits."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    credits: Number | None = None
    """Number of credits to quote (or give ``pack_id``)."""
    pack_id: str | None = None
    """A credit pack id from ``credits packs list``."""
    payment_method: str | None = None
    """``stripe_checkout`` or ``stripe_x402.exact.usdc``."""
    idempotency_key: str | None = None
    """Same key and same terms return the same quote."""


@dataclass(frozen=True, kw_only=True)
class BuyRequest(_Body):
    """Body of the credit purchase endpoints (contract §8.10): Checkout session, x402
    deposit, and the local backend's simulated purchase."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG

    quote_id: str | None = None
    """The quote to pay."""
    idempotency_key: str | None = None
    """Required: reusing it replays the purchase instead of making a second one."""


@dataclass(frozen=True, kw_only=True)
class FeedbackRequest(_Body):
    """Body of ``POST /v1/feedback`` (contract §8.22); a title or a body is required.
    ``allow_weak_signal`` is sent only when true; a null field takes the server's default."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _CONFIG
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
class SignupRequest(_Body):
    """Body of ``POST /v1/agent-signups`` (contract §8.3, 0.1.70 §1.1-1.2). Without a
    contact the signup is anonymous and mints a new agent every time."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _documented(
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
class ClaimRequest(_Body):
    """Body of ``POST /v1/agent-claims`` (contract 0.1.70 §1.3)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _documented(contact={"pattern": EMAIL_PATTERN})

    contact: str
    """Email-shaped inbox of the agent or its operator (trimmed, lower-cased)."""


#: Every request class, by the name the OpenAPI document and the MCP server use.
REQUEST_MODELS: dict[str, type[_Body]] = {
    cls.__name__: cls
    for cls in (
        CreateRequest,
        EditRequest,
        UploadRequest,
        QuoteRequest,
        BuyRequest,
        FeedbackRequest,
        SignupRequest,
        ClaimRequest,
        Reference,
    )
}
