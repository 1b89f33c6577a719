"""The edit body (its own module: a create never builds it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from image_skill.api.requests._body import CONFIG, Number, RequestBody
from image_skill.api.requests.jobs import Reference


@dataclass(frozen=True, kw_only=True)
class EditRequest(RequestBody):
    """Body of ``POST /v1/edit`` (contract §8.18). ``dry_run`` is sent only when true."""

    __pydantic_config__: ClassVar[dict[str, Any]] = CONFIG
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
