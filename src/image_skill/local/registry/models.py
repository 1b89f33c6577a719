"""The local backend's model registry: listing, lookup and request-side checks.

Pure (no I/O, stdlib only, no FastAPI). Rows come from :mod:`.data` (executable
``local.*`` models) and :mod:`.catalog` (inspect-only hosted mirrors). They are frozen once
at import (:mod:`.frozen`) and shared, never copied per request: every public function
returns read-only rows (a change raises ``TypeError``; ``copy.deepcopy`` one to edit it),
and a listing's summary is read-only too (worked out once per filter set). The lists and
envelopes around them are fresh.

Runnable means ``status == "available"`` and
``execution.model_execution_status == "executable"``; only runnable rows may execute.
"""

from __future__ import annotations

import functools
from typing import Any

from image_skill.guide.compact import RESULT_SHAPE, task_tags
from image_skill.guide.lookup import text_matches
from image_skill.local.cli_commands import cli_command
from image_skill.local.registry.catalog import CATALOG_ROWS
from image_skill.local.registry.compact import FULL_LIST_COMMAND, compact_row
from image_skill.local.registry.data import (
    AVAILABLE,
    CATALOGED_NOT_WIRED,
    EXECUTABLE,
    LOCAL_ROWS,
    PROVIDERS,
    Row,
)
from image_skill.local.registry.errors import INVALID_ARGUMENTS, RegistryError
from image_skill.local.registry.frozen import freeze
from image_skill.local.registry.lookup import resolve, searchable
from image_skill.local.registry.params import (
    ParamsCheck,
    expected_output,
    validate_aspect_ratio,
    validate_model_parameters,
)
from image_skill.local.registry.pricing import check_budget, credit_quote_for, validate_output_count
from image_skill.local.registry.summary import build_summary

__all__ = [
    "MODALITIES",
    "OPERATIONS",
    "ParamsCheck",
    "RegistryError",
    "all_models",
    "check_budget",
    "credit_quote_for",
    "default_model",
    "expected_output",
    "get_model",
    "is_catalog_only",
    "is_runnable",
    "list_models",
    "resolve_model",
    "validate_aspect_ratio",
    "validate_model_parameters",
    "validate_output_count",
]

OPERATIONS = (
    "image.generate",
    "image.edit",
    "image.variation",
    "image.upscale",
    "image.utility",
    "image.vision",
    "video.generate",
    "audio.generate",
    "3d.generate",
)
MODALITIES = ("image", "video", "audio", "3d")

_ROWS: tuple[Row, ...] = tuple(freeze(row) for row in (*LOCAL_ROWS, *CATALOG_ROWS))
_BY_ID: dict[str, Row] = {row["id"]: row for row in _ROWS}
#: What ``query`` is matched against, per row (same order as ``_ROWS``).
_TEXTS: tuple[str, ...] = tuple(searchable(row, task_tags(row)) for row in _ROWS)


def _check_registry() -> None:
    defaults = [row["id"] for row in _ROWS if row["default"]]
    if len(defaults) != 1 or len(_BY_ID) != len(_ROWS):
        raise RuntimeError(f"registry must have unique ids and one default row, got {defaults}")


_check_registry()
_DEFAULT: Row = next(row for row in _ROWS if row["default"])


def is_runnable(row: Row) -> bool:
    """Status ``available`` and execution status ``executable``."""
    execution = row.get("execution") or {}
    return row.get("status") == AVAILABLE and (
        execution.get("model_execution_status") == EXECUTABLE
    )


def is_catalog_only(row: Row) -> bool:
    return (row.get("execution") or {}).get("model_execution_status") == CATALOGED_NOT_WIRED


def all_models() -> list[Row]:
    """Every row, local first (a fresh list of the shared read-only rows)."""
    return list(_ROWS)


def default_model() -> Row:
    """The single ``default: true`` row (``local.image``), read-only."""
    return _DEFAULT


def get_model(model_id: str) -> Row | None:
    """One read-only row by id; the literal ``default`` resolves to the default row."""
    if model_id == "default":
        return _DEFAULT
    return _BY_ID.get(model_id)


def resolve_model(requested: str) -> tuple[Row, str] | None:
    """``models show`` lookup: ``(row, how)`` for an id, ``default``, an alias such as
    ``nano-banana`` or a name that matches exactly one row (see :mod:`.lookup`)."""
    return resolve(requested, _ROWS, _TEXTS)


def _execution_rank(row: Row) -> int:
    """Sort key putting runnable rows first, then the other wired ones (stable otherwise)."""
    if is_runnable(row):
        return 0
    return 1 if row["execution"]["model_execution_status"] == EXECUTABLE else 2


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _check_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    value = _clean(value)
    if value is not None and value not in allowed:
        raise RegistryError(
            INVALID_ARGUMENTS,
            f"Unknown {name} {value!r}; expected one of: {', '.join(allowed)}.",
            details={"filter": name, "value": value, "allowed": list(allowed)},
        )
    return value


def _matches(row: Row, operation: str | None, modality: str | None, provider: str | None) -> bool:
    return (
        (operation is None or operation in row["operations"])
        and (modality is None or row["modality"] == modality)
        and (provider is None or row["provider_id"] == provider)
    )


def list_models(
    *,
    available: bool = False,
    executable: bool = False,
    catalog_only: bool = False,
    operation: str | None = None,
    modality: str | None = None,
    provider: str | None = None,
    query: str | None = None,
    compact: bool = False,
    base: str,
) -> dict[str, Any]:
    """``GET /v1/models`` data: ``{"models": [...], "summary": {...}}``.

    ``base`` aims the commands at the backend that answered (see :mod:`.cli_commands`).

    No inclusion flag: every row except catalog-only ones. ``available``: runnable rows.
    ``executable``: runtime-wired rows whatever their status. ``catalog_only``: only the
    inspect-only rows (cannot be combined with the other two). ``query`` keeps the rows it
    fuzzily matches (names, tags, aliases; see :mod:`.lookup`). Runnable rows come first.
    Unknown filter values raise ``RegistryError("INVALID_ARGUMENTS")``.

    ``compact`` gives the rows of :mod:`.compact` and marks the summary with
    ``result_shape`` (the HTTP default since 0.1.41); otherwise the rows are the full,
    read-only registry rows (``details=true``, the 0.1.30 shape).
    """
    if catalog_only and (available or executable):
        raise RegistryError(
            INVALID_ARGUMENTS,
            "catalog_only cannot be combined with available or executable.",
        )
    operation = _check_choice("operation", operation, OPERATIONS)
    modality = _check_choice("modality", modality, MODALITIES)
    provider = _check_choice("provider", provider, tuple(PROVIDERS))
    rows, summary = _listing(
        available, executable, catalog_only, operation, modality, provider, _clean(query), base
    )
    if compact:
        return {"models": [_compact(row["id"], base) for row in rows], "summary": summary[1]}
    return {"models": list(rows), "summary": summary[0]}


@functools.lru_cache(maxsize=1024)
def _compact(model_id: str, base: str) -> Row:
    """The read-only compact row of one model for one backend (built once)."""
    return freeze(compact_row(_BY_ID[model_id], base))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _listing(
    available: bool,
    executable: bool,
    catalog_only: bool,
    operation: str | None,
    modality: str | None,
    provider: str | None,
    query: str | None,
    base: str,
) -> tuple[tuple[Row, ...], tuple[dict[str, Any], dict[str, Any]]]:
    """The rows and the read-only summaries (full rows, compact rows) of one checked filter
    set (the registry never changes, so each combination is worked out once)."""
    scope = [
        row
        for row, text in zip(_ROWS, _TEXTS, strict=True)
        if _matches(row, operation, modality, provider)
        and (query is None or text_matches(text, query))
    ]
    if catalog_only:
        chosen = [row for row in scope if is_catalog_only(row)]
    elif available:
        chosen = [row for row in scope if is_runnable(row)]
    elif executable:
        chosen = [row for row in scope if row["execution"]["model_execution_status"] == EXECUTABLE]
    else:
        chosen = [row for row in scope if not is_catalog_only(row)]
    chosen.sort(key=_execution_rank)
    filters = {
        "available": available,
        "executable": executable,
        "catalog_only": catalog_only,
        "operation": operation,
        "modality": modality,
        "provider": provider,
        "query": query,
    }
    unfiltered = [row for row in _ROWS if _matches(row, operation, modality, None)]
    summary = build_summary(
        scope=scope,
        returned=chosen,
        fallback_actionable=[row["id"] for row in unfiltered if is_runnable(row)],
        filters=filters,
        default_model_id=_DEFAULT["id"],
        known_ids=frozenset(_BY_ID),
        base=base,
    )
    compact = {
        **summary,
        "result_shape": RESULT_SHAPE,
        "full_list_command": cli_command(base, FULL_LIST_COMMAND),
    }
    return tuple(chosen), (freeze(summary), freeze(compact))
