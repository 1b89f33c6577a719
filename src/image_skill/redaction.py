"""Token-shaped text: find it and replace it before anything is written down or printed.

An agent sometimes pastes a token where it does not belong (into a prompt, a feedback
body, a flag value). What the CLI keeps on disk or prints back from such input (spend
breadcrumbs, ``doctor``, the envelope) goes through :func:`redact_tree` first, so a pasted
secret is never stored or repeated. The patterns cover Image Skill tokens (``isk_r_...``),
bearer values, Stripe, GitHub, Slack and AWS keys and PEM private keys; ``extra`` names
exact values the caller knows to be secret (the token of this very invocation).

Pure, standard library only (the CLI imports it at start-up).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

__all__ = ["REDACTED", "SECRET_PATTERNS", "SECRET_SOURCES", "redact", "redact_tree"]

REDACTED = "[REDACTED]"

#: The patterns, as source text: each is compiled the first time a string holds one of its
#: hints (:data:`_HINTS`), which most calls never see (8 compiles cost ~0.6 ms of every
#: call). Inline flags only, so ``re`` caches each compiled pattern by its text.
SECRET_SOURCES: tuple[str, ...] = (
    r"isk_[A-Za-z0-9]{1,8}_[A-Za-z0-9_\-]{6,}",  # Image Skill tokens (isk_r_...)
    r"(?i)(?<=bearer )[A-Za-z0-9._~+/=\-]{8,}",
    r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}",
    r"\bwhsec_[A-Za-z0-9]{8,}",
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
    r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
)

#: For each pattern, lowercase text of which at least one occurs (lowercased) in every match:
#: a string holding none of a pattern's hints is not searched with it (``str.lower`` and
#: ``in`` are far cheaper than eight regex scans of every string of an envelope).
_HINTS: tuple[tuple[str, ...], ...] = (
    ("isk_",),
    ("bearer ",),
    ("_live_", "_test_"),
    ("whsec_",),
    ("gh", "github_pat_"),
    ("xox",),
    ("akia",),
    ("-----begin ",),
)

#: Known secrets shorter than this are not searched for (a one-letter "token" would
#: redact every word that holds that letter).
MIN_EXTRA_LENGTH = 8


def _secrets(extra: Iterable[str | None]) -> list[str]:
    # Longest first, so a secret that contains another is replaced whole.
    return sorted({s for s in extra if s and len(s) >= MIN_EXTRA_LENGTH}, key=len, reverse=True)


#: No pattern matches fewer characters than this, and no known secret is shorter (see
#: :data:`MIN_EXTRA_LENGTH`), so shorter text (most keys and values of an envelope) is
#: never searched. ``tests/unit/test_redaction_floor.py`` checks it against the patterns.
SHORTEST_SECRET = 8


def _redact(text: str, known: list[str]) -> tuple[str, int]:
    if len(text) < SHORTEST_SECRET:
        return text, 0
    total = 0
    for secret in known:
        count = text.count(secret)
        if count:
            text = text.replace(secret, REDACTED)
            total += count
    lowered = text.lower()
    for source, hints in zip(SECRET_SOURCES, _HINTS, strict=True):
        if any(hint in lowered for hint in hints):
            text, count = re.subn(source, REDACTED, text)
            if count:
                total += count
                lowered = text.lower()
    return text, total


def redact(text: str, extra: Iterable[str | None] = ()) -> tuple[str, int]:
    """``text`` with every token-shaped substring (and every ``extra`` value) replaced by
    ``[REDACTED]``, and how many replacements were made."""
    return _redact(text, _secrets(extra))


#: Keys whose string value is a token shown on purpose: ``signup --show-token`` prints the
#: new token in ``data.token`` because it was asked to, once.
SHOWN_ON_PURPOSE = frozenset({"token"})


def redact_tree(tree: Any, extra: Iterable[str | None] = ()) -> int:
    """Redact every string inside ``tree`` (dicts and lists, changed in place: values and
    keys); return how many replacements were made. Other values, and the string value of a
    ``token`` key (:data:`SHOWN_ON_PURPOSE`), are left alone."""
    return _walk(tree, _secrets(extra))


def _walk(node: Any, known: list[str]) -> int:
    total = 0
    if isinstance(node, dict):
        items = list(node.items())
        changed_keys = False
        out: list[tuple[Any, Any]] = []
        for key, value in items:
            if isinstance(key, str):
                new_key, count = _redact(key, known)
                if count:
                    changed_keys = True
                    total += count
                key = new_key
            if isinstance(value, str):
                if key not in SHOWN_ON_PURPOSE:
                    value, count = _redact(value, known)
                    total += count
            else:
                total += _walk(value, known)
            out.append((key, value))
        if changed_keys:
            node.clear()
        node.update(out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, str):
                node[index], count = _redact(value, known)
                total += count
            else:
                total += _walk(value, known)
    return total


if TYPE_CHECKING:
    SECRET_PATTERNS: tuple[re.Pattern[str], ...]


def __getattr__(name: str) -> object:
    if name == "SECRET_PATTERNS":  # the compiled patterns, for callers that want them
        return tuple(re.compile(source) for source in SECRET_SOURCES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
