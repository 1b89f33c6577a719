"""Validate a raw request body with the shared request models, free of the web framework.

:func:`validate_body` is the whole body check: ``pydantic.TypeAdapter(model)`` in strict
JSON mode, a refusal turned into the one shape-error answer
(:func:`image_skill.local.errors.shape_error`). The FastAPI routes call it through
:func:`image_skill.local.routes.bodies.json_body`; the in-process fast path
(:mod:`image_skill.local.direct`) calls it directly, so both refuse a body identically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from image_skill.local.errors import shape_error

if TYPE_CHECKING:
    from pydantic import TypeAdapter

T = TypeVar("T")

SCHEMA_REF = "#/components/schemas/{model}"
#: ``recovery(base)``: what a refused body of this route should add to the recovery.
Recovery = Callable[[str], dict[str, Any]]

_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def adapter(model: type[Any]) -> TypeAdapter[Any]:
    """One adapter per model, built on first use (building one compiles its validator)."""
    name = f"{model.__module__}.{model.__qualname__}"
    if name not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[name] = TypeAdapter(model)
    return _ADAPTERS[name]


def parsed(raw: bytes) -> Any:
    """The JSON of a body (``None`` when it is not JSON: the shape check says so)."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


def validate_body(
    model: type[T],
    raw: bytes,
    *,
    base: str,
    recovery: Recovery | None = None,
    messages: Mapping[str, str] | None = None,
    precheck: Callable[[dict[str, Any]], None] | None = None,
) -> T:
    """``raw`` validated as ``model``, or the shape error (see ``bodies.json_body``).

    ``base`` is the ``--api-base-url`` of the commands a refusal hands out.
    """
    from pydantic import ValidationError

    if precheck is not None:
        body = parsed(raw)
        if isinstance(body, dict):
            precheck(body)
    try:
        value: T = adapter(model).validate_json(raw, strict=True)
    except ValidationError as exc:
        raise shape_error(
            exc.errors(include_url=False),
            recovery=recovery(base) if recovery is not None else None,
            messages=messages,
            schema=SCHEMA_REF.format(model=model.__name__),
            body=parsed(raw),
        ) from None
    return value
