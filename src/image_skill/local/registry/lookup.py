"""Model lookup by alias and fuzzy text: ``models show nano-banana``, ``models list --query``.

The alias table and the matching rules are the ones the 0.1.70 client carries for its guide
(contract 0.1.70 §3.6); the server uses the same ones, so a name that resolves in one place
resolves everywhere. Pure: rows in, rows out.

``norm(text)`` lower-cases and drops everything outside ``[a-z0-9]``, so ``Nano Banana``,
``nano-banana`` and ``fal-ai/nano-banana`` compare on their letters and digits alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

Row = dict[str, Any]

#: ``(alias, model id, synonyms)``, in the contract's order.
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
    ("nano-banana-pro", "fal.nano-banana-pro", ("nano banana pro", "fal-ai/nano-banana-pro")),
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

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
DEFAULT_ALIAS = "default"


def norm(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def aliases_of(model_id: str) -> list[str]:
    """Every alias and synonym naming ``model_id`` (empty for most models)."""
    out: list[str] = []
    for alias, target, synonyms in MODEL_ALIASES:
        if target == model_id:
            out += [alias, *synonyms]
    return out


def _words(row: Row, task_tags: Iterable[str]) -> list[str]:
    words = [str(row.get(key) or "") for key in ("id", "display_name", "provider_id", "modality")]
    for key in ("supports", "operations"):
        words += [str(item) for item in row.get(key) or []]
    words += [str(tag) for tag in task_tags]
    words += aliases_of(str(row.get("id")))
    return words


def searchable(row: Row, task_tags: Iterable[str]) -> str:
    """The text ``query`` is matched against: the row's names, tags and aliases, normalised."""
    return " ".join(norm(word) for word in _words(row, task_tags))


def matches(text: str, query: str) -> bool:
    """Whether the normalised ``text`` of a row matches ``query``: it contains the whole
    normalised query, or every word of the query on its own."""
    whole = norm(query)
    if whole and whole in text:
        return True
    tokens = [norm(token) for token in re.split(r"[^a-z0-9]+", query.lower()) if token]
    return bool(tokens) and all(token in text for token in tokens)


def resolve(requested: str, rows: Sequence[Row], texts: Sequence[str]) -> tuple[Row, str] | None:
    """``(row, how)`` for a requested model name, or ``None``.

    ``texts[i]`` is :func:`searchable` of ``rows[i]``. In order: ``default`` (the
    ``default: true`` row), an exact id, an alias or synonym whose model is listed, exactly
    one id equal after :func:`norm`, exactly one fuzzy match. ``how`` names the rule that
    matched (``default``, ``id``, ``alias``, ``normalized_id``, ``query``).
    """
    wanted = requested.strip()
    if not wanted:
        return None
    if wanted == DEFAULT_ALIAS:
        found = next((row for row in rows if row.get("default") is True), None)
        return (found, "default") if found is not None else None
    by_id = {row["id"]: row for row in rows}
    if wanted in by_id:
        return by_id[wanted], "id"
    key = norm(wanted)
    for alias, target, synonyms in MODEL_ALIASES:
        if target in by_id and any(norm(name) == key for name in (alias, *synonyms)):
            return by_id[target], "alias"
    same = [row for row in rows if norm(str(row["id"])) == key]
    if len(same) == 1:
        return same[0], "normalized_id"
    fuzzy = [row for row, text in zip(rows, texts, strict=True) if matches(text, wanted)]
    if len(fuzzy) == 1:
        return fuzzy[0], "query"
    return None
