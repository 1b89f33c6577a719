"""Model lookup by alias and fuzzy text: ``models show nano-banana``, ``models list --query``.

The alias table, :func:`norm` and the fuzzy rule are the guide's own
(:mod:`image_skill.guide.lookup`, contract 0.1.70 §3.6), imported rather than copied, so a
name that resolves in the client resolves the same way here. This module adds what only the
server needs: row texts built once with their task tags, and which rule matched. Pure.

``norm(text)`` lower-cases and drops everything outside ``[a-z0-9]``, so ``Nano Banana``,
``nano-banana`` and ``fal-ai/nano-banana`` compare on their letters and digits alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from image_skill.guide.lookup import MODEL_ALIASES, aliases_of, norm, text_matches

Row = dict[str, Any]

DEFAULT_ALIAS = "default"


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
    fuzzy = [row for row, text in zip(rows, texts, strict=True) if text_matches(text, wanted)]
    if len(fuzzy) == 1:
        return fuzzy[0], "query"
    return None
