"""The length floor below which redaction does not search (``SHORTEST_SECRET``) is safe: no
secret pattern can match fewer characters, and no known secret is shorter."""

from __future__ import annotations

import re._parser as sre_parse  # the regex parser: a pattern's minimum match width

from image_skill import redaction
from image_skill.redaction import MIN_EXTRA_LENGTH, SECRET_PATTERNS, SHORTEST_SECRET, redact


def test_no_pattern_matches_fewer_characters_than_the_floor() -> None:
    widths = [sre_parse.parse(p.pattern, p.flags).getwidth()[0] for p in SECRET_PATTERNS]
    assert min(widths) >= SHORTEST_SECRET
    assert MIN_EXTRA_LENGTH >= SHORTEST_SECRET


def test_text_at_the_floor_is_still_searched() -> None:
    secret = "s3cr3t!!"  # exactly SHORTEST_SECRET characters, a known secret
    assert len(secret) == SHORTEST_SECRET
    assert redact(secret, [secret]) == (redaction.REDACTED, 1)
    assert redact(secret[:-1], [secret]) == (secret[:-1], 0)
    token = "isk_r_abcdef"
    assert redact(f"use {token} here") == (f"use {redaction.REDACTED} here", 1)
