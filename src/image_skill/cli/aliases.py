"""Modality-first command aliases (contract 0.1.70 §2): ``video create`` is ``create --intent
video``, ``image edit`` is ``edit``, and so on.

Two halves:

* :func:`normalize_argv` rewrites the command line before dispatch (and the words after
  ``help``), exactly like the npm client: only an alias word followed by exactly ``create``
  (or ``image`` followed by ``edit``) is rewritten, and the implied ``--intent`` pair is
  inserted right after ``create`` unless the rest already names ``--intent``. Pure.
* :func:`alias_groups` builds real click groups (``image``, ``video``, ``audio``, ``3d``,
  ``image-to-3d``, ``three-d``) so that shell completion, ``help`` and docs/cli.md know the
  alias words. Their ``create``/``edit`` subcommands delegate to the real commands with the
  implied intent; any other word after an alias is the "command is not available" failure,
  as in the npm client.

Our commands also accept global options before the command words
(``--api-base-url local video create ...``); the alias is looked for at the first command
word, so such a line is rewritten too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

#: (alias word, command word) -> the intent the alias implies (None: no --intent added).
ALIASES: dict[tuple[str, str], str | None] = {
    ("image", "create"): None,
    ("video", "create"): "video",
    ("audio", "create"): "audio",
    ("3d", "create"): "image-to-3d",
    ("image-to-3d", "create"): "image-to-3d",
    ("three-d", "create"): "image-to-3d",
    ("image", "edit"): None,
}
#: The alias words, in the order of the contract's table.
ALIAS_WORDS = ("image", "video", "audio", "3d", "image-to-3d", "three-d")

#: Global options that take a separate value and may come before the command words.
_VALUE_OPTIONS = frozenset({"--api-base-url", "--token", "--timeout"})


class Normalized(NamedTuple):
    """A rewritten command line; ``alias`` is the alias word that was replaced, or None."""

    argv: list[str]
    alias: str | None = None


def _first_word(argv: Sequence[str]) -> int | None:
    """Index of the first command word (skipping leading global options and their values)."""
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            return None
        if token in _VALUE_OPTIONS:
            index += 2
            continue
        if token.startswith("-"):
            index += 1
            continue
        return index
    return None


def names_intent(words: Sequence[str]) -> bool:
    """True when a token is ``--intent`` or starts with ``--intent=``."""
    return any(word == "--intent" or word.startswith("--intent=") for word in words)


def normalize_argv(argv: Sequence[str]) -> Normalized:
    """The command line with a leading alias pair rewritten (see the module docstring)."""
    words = list(argv)
    start = _first_word(words)
    if start is None or start + 1 >= len(words):
        return Normalized(words)
    if words[start] == "help":
        after = normalize_argv(words[start + 1 :])
        return Normalized([*words[: start + 1], *after.argv], after.alias)
    pair = (words[start], words[start + 1])
    if pair not in ALIASES:
        return Normalized(words)
    intent = ALIASES[pair]
    command = pair[1]
    rest = words[start + 2 :]
    inserted = ["--intent", intent] if intent is not None and not names_intent(rest) else []
    return Normalized([*words[:start], command, *inserted, *rest], pair[0])


def manifest_rows() -> list[dict[str, str | None]]:
    """``modality_aliases`` rows of the command manifest (§9.3; ``image edit`` not listed)."""
    return [
        {"alias": alias, "command": command, "intent": intent}
        for (alias, command), intent in ALIASES.items()
        if command == "create"
    ]
