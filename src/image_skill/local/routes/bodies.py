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

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import Depends, Request

from image_skill.api.requests import REQUEST_MODELS
from image_skill.local.body_check import SCHEMA_REF, Recovery, validate_body
from image_skill.local.body_check import adapter as _adapter
from image_skill.local.deps import cli_base_of

T = TypeVar("T")


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

    async def read(request: Request) -> T:
        return validate_body(
            model,
            await request.body(),
            base=cli_base_of(request),
            recovery=recovery,
            messages=messages,
            precheck=precheck,
        )

    return Depends(read)


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
