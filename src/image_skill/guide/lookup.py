"""``--model`` lookup: ids, ``default``, well-known aliases and a fuzzy match (§3.6).

The npm client 0.1.69-0.1.70 carries this table for its guide but crashes before it can use
it (§4.1: the table is read before it is initialised); this is the lookup it intends. The
local backend may reuse the same table and matcher for ``models show`` and ``--query``.
Pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from image_skill._js import js_trim

Model = dict[str, Any]

#: alias -> (model id, synonyms), in the contract's order.
MODEL_ALIASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "nano-banana",
        "fal.nano-banana-2",
        ("nano banana", "fal/nano-banana", "fal-ai/nano-banana", "fal-ai/nano-banana-2"),
    ),
    (
        "nano-banana-edit",
        "fal.nano-banana-2-edit",
        (
            "nano banana edit",
            "nano-banana-2/edit",
            "fal/nano-banana/edit",
            "fal-ai/nano-banana/edit",
            "fal-ai/nano-banana-2/edit",
        ),
    ),
    (
        "nano-banana-pro",
        "fal.nano-banana-pro",
        ("nano banana pro", "fal-ai/nano-banana-pro"),
    ),
    (
        "nano-banana-pro-edit",
        "fal.nano-banana-pro-edit",
        ("nano banana pro edit", "nano-banana-pro/edit", "fal-ai/nano-banana-pro/edit"),
    ),
    ("imagen4", "fal.imagen4-preview", ("imagen 4", "fal-ai/imagen4/preview")),
    ("imagen4-fast", "fal.imagen4-preview-fast", ("imagen 4 fast", "fal-ai/imagen4/preview/fast")),
    (
        "imagen4-ultra",
        "fal.imagen4-preview-ultra",
        ("imagen 4 ultra", "fal-ai/imagen4/preview/ultra"),
    ),
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")


def norm(text: str) -> str:
    """Lower-case, then drop every character outside ``[a-z0-9]``."""
    return _NON_ALNUM.sub("", text.lower())


def aliases_of(model_id: Any) -> list[str]:
    """The alias and synonyms that name ``model_id``."""
    names: list[str] = []
    for alias, target, synonyms in MODEL_ALIASES:
        if target == model_id:
            names += [alias, *synonyms]
    return names


def _searchable(model: Model) -> str:
    parts: list[str] = []
    for key in ("id", "display_name", "provider_id", "modality"):
        value = model.get(key)
        if isinstance(value, str):
            parts.append(value)
    for key in ("supports", "operations", "task_tags"):
        values = model.get(key)
        if isinstance(values, list):
            parts += [v for v in values if isinstance(v, str)]
    parts += aliases_of(model.get("id"))
    return " ".join(norm(part) for part in parts)


def fuzzy_match(model: Model, query: str) -> bool:
    """The whole normalised query, or every one of its words, appears in the row's text."""
    return text_matches(_searchable(model), query)


def text_matches(haystack: str, query: str) -> bool:
    """The rule of :func:`fuzzy_match` for a row text already normalised (the local backend
    builds its texts once, with its own task tags)."""
    whole = norm(query)
    if whole and whole in haystack:
        return True
    tokens = [norm(t) for t in _TOKEN_SPLIT.split(query.lower()) if t]
    return bool(tokens) and all(token in haystack for token in tokens)


def resolve_lookup(requested: str | None, models: Sequence[Any]) -> Model | None:
    """The row ``requested`` names, or None (rules of §3.6, first that applies wins)."""
    if requested is None:
        return None
    wanted = js_trim(requested)
    if wanted == "":
        return None
    rows = [m for m in models if isinstance(m, dict)]
    if wanted == "default":
        return next((m for m in rows if m.get("default") is True), None)
    for model in rows:
        if model.get("id") == wanted:
            return model
    key = norm(wanted)
    ids = {m.get("id") for m in rows}
    for alias, target, synonyms in MODEL_ALIASES:
        if target in ids and any(norm(name) == key for name in (alias, *synonyms)):
            return next(m for m in rows if m.get("id") == target)
    same = [m for m in rows if isinstance(m.get("id"), str) and norm(m["id"]) == key]
    if len(same) == 1:
        return same[0]
    fuzzy = [m for m in rows if fuzzy_match(m, wanted)]
    return fuzzy[0] if len(fuzzy) == 1 else None
