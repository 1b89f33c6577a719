"""Request bodies validated by the shared request models (:mod:`image_skill.api.requests`).

``body: CreateRequest = json_body(CreateRequest)`` in a route reads the JSON body and
validates it with ``pydantic.TypeAdapter(CreateRequest)`` in strict mode: a missing field,
a wrongly typed one (``"false"`` for a boolean, ``"2"`` for an integer) or an unknown one
is refused before the route runs, through the one shape-error answer
(:func:`image_skill.local.errors.shape_error`: ``400 INVALID_ARGUMENTS``, exit code 2,
naming the field). Value rules that are not types (model resolution, parameters, budgets,
ownership) stay with the routes and :mod:`image_skill.local.jobs.validation`.

FastAPI's own body handling would validate in lax mode (it hands pydantic a parsed dict,
and strict mode refuses a dict where a dataclass is expected), so the body is read here and
validated as JSON. :func:`body_doc` documents it in the OpenAPI document, whose component
schemas :func:`add_request_schemas` fills from the same models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import Depends, Request
from pydantic import TypeAdapter, ValidationError

from image_skill.api.requests import REQUEST_MODELS
from image_skill.local.deps import cli_base_of
from image_skill.local.errors import shape_error

T = TypeVar("T")

SCHEMA_REF = "#/components/schemas/{model}"
#: ``recovery(base)``: what a refused body of this route should add to the recovery.
Recovery = Callable[[str], dict[str, Any]]


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(model: type[Any]) -> TypeAdapter[Any]:
    """One adapter per model (building one compiles its validator)."""
    name = f"{model.__module__}.{model.__qualname__}"
    if name not in _ADAPTERS:
        _ADAPTERS[name] = TypeAdapter(model)
    return _ADAPTERS[name]


def json_body(
    model: type[T],
    *,
    recovery: Recovery | None = None,
    messages: Mapping[str, str] | None = None,
    precheck: Callable[[dict[str, Any]], None] | None = None,
) -> Any:
    """A route parameter default: the body validated as ``model``.

    ``recovery`` adds route-specific recovery keys; ``messages`` replaces the message when
    the first refused field is one of its keys (for messages the contract fixes);
    ``precheck(body)`` runs first on a body that is a JSON object, for a refusal that must
    win over the shape check (payment credentials in a quote or a purchase).
    """
    schema = SCHEMA_REF.format(model=model.__name__)

    async def read(request: Request) -> T:
        raw = await request.body()
        if precheck is not None:
            _precheck(raw, precheck)
        try:
            # Built on first use, not at import: importing a route module stays cheap.
            value: T = _adapter(model).validate_json(raw, strict=True)
        except ValidationError as exc:
            raise shape_error(
                exc.errors(include_url=False),
                recovery=recovery(cli_base_of(request)) if recovery is not None else None,
                messages=messages,
                schema=schema,
                body=_parsed(raw),
            ) from None
        return value

    return Depends(read)


def _parsed(raw: bytes) -> Any:
    """The JSON of a body (``None`` when it is not JSON: the shape check says so)."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _precheck(raw: bytes, check: Callable[[dict[str, Any]], None]) -> None:
    parsed = _parsed(raw)
    if isinstance(parsed, dict):
        check(parsed)


def body_doc(model: type[Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as the JSON request body (plus ``extra``)."""
    return {
        **(extra or {}),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": SCHEMA_REF.format(model=model.__name__)}}
            },
        },
    }


def request_schemas() -> dict[str, dict[str, Any]]:
    """The JSON schema of every request model, keyed by its component name."""
    schemas: dict[str, dict[str, Any]] = {}
    for name, model in REQUEST_MODELS.items():
        schema = _adapter(model).json_schema(ref_template=SCHEMA_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def add_request_schemas(doc: dict[str, Any]) -> None:
    """Put the request models into the OpenAPI document's component schemas."""
    doc.setdefault("components", {}).setdefault("schemas", {}).update(request_schemas())
