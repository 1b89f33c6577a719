"""What the model listing and the payment-rail listing answer, free of the web framework.

``GET /v1/models`` and ``GET /v1/payment-methods`` are read by every ``create --guide``;
:mod:`image_skill.local.routes.models` and :mod:`image_skill.local.routes.credits` (the
FastAPI routes) and :mod:`image_skill.local.direct` (the in-process fast path) all build
their replies here, so the two paths cannot answer differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from image_skill.local.billing.catalog import offline_warning, payment_methods
from image_skill.local.billing.next_actions import with_recommended_quote
from image_skill.local.cli_commands import render_recovery
from image_skill.local.errors import ApiError
from image_skill.local.registry.models import RegistryError, list_models

#: Envelope ``command`` labels of the routes.
MODELS_LIST_COMMAND = "image-skill models list"
PAYMENT_METHODS_COMMAND = "image-skill credits methods"
#: The query parameters ``GET /v1/models`` reads (any other is ignored).
MODELS_LIST_PARAMS = (
    "available",
    "executable",
    "catalog_only",
    "operation",
    "modality",
    "provider",
    "query",
    "details",
)

_TRUE = frozenset({"true", "1", "yes"})
_LIST_COMMAND = "image-skill models list --json"


def flag(value: str | None) -> bool:
    """A query flag: ``true``, ``1`` or ``yes`` (any case, spaces around ignored)."""
    return value is not None and value.strip().lower() in _TRUE


def registry_error(exc: RegistryError, base: str) -> ApiError:
    """The 400 reply of a refused registry query, its recovery aimed at ``base``."""
    recovery = dict(exc.recovery or {})
    recovery.setdefault("suggested_command", _LIST_COMMAND)
    if exc.details:
        recovery.setdefault("details", exc.details)
    return ApiError(
        400,
        exc.code,
        exc.message,
        recovery=render_recovery(base, recovery),
        exit_code=exc.exit_code,
    )


def models_listing(params: Mapping[str, str | None], base: str) -> Any:
    """``GET /v1/models`` for the query ``params``: compact rows unless ``details`` is set.
    Raises :class:`ApiError` for a refused query."""
    try:
        return list_models(
            available=flag(params.get("available")),
            executable=flag(params.get("executable")),
            catalog_only=flag(params.get("catalog_only")),
            operation=params.get("operation"),
            modality=params.get("modality"),
            provider=params.get("provider"),
            query=params.get("query"),
            compact=not flag(params.get("details")),
            base=base,
        )
    except RegistryError as exc:
        raise registry_error(exc, base) from None


def payment_methods_listing(base: str) -> tuple[dict[str, Any], list[str]]:
    """``GET /v1/payment-methods``: the (simulated) rails and the reply's warnings."""
    return with_recommended_quote(payment_methods(base), base), [offline_warning(base)]
