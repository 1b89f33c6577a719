"""The create body and the ``references[]`` items it shares with edits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from image_skill.api.requests._body import CONFIG, Number, RequestBody


@dataclass(frozen=True, kw_only=True)
class Reference(RequestBody):
    """One ``references[]`` item of a create or edit (contract §10.3)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = CONFIG

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
class CreateRequest(RequestBody):
    """Body of ``POST /v1/create`` (contract §8.15; 0.1.70 §6.1 for the key)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = CONFIG

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
