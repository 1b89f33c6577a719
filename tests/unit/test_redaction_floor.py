"""Redaction's shortcuts are safe: text shorter than ``SHORTEST_SECRET`` cannot hold a
secret (no pattern matches fewer characters, no known secret is shorter), and a pattern is
skipped only for text holding none of its hints, which gives the same result as scanning
with every pattern."""

from __future__ import annotations

import re._parser as sre_parse  # the regex parser: a pattern's minimum match width

from hypothesis import given
from hypothesis import strategies as st

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


#: One secret of each pattern's kind, in mixed case where the pattern allows it.
SAMPLES = (
    "isk_r_Abc123xyz",
    "Authorization: BeArEr abcdefgh12345",
    "sk_live_ABCDEFGH1234",
    "rk_test_abcdefgh",
    "whsec_abcdefgh12",
    "ghp_" + "a" * 20,
    "github_pat_" + "B" * 20,
    "xoxb-1234567890",
    "AKIA" + "Z" * 16,
    "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
)


def test_every_pattern_has_a_hint_and_every_sample_is_found() -> None:
    assert len(redaction._HINTS) == len(SECRET_PATTERNS)
    for sample in SAMPLES:
        out, count = redact(f"x {sample} y")
        assert count >= 1 and sample not in out, sample


def test_each_match_holds_one_of_its_patterns_hints() -> None:
    """The hints are necessary conditions: check them on every sample match."""
    for pattern, hints in zip(SECRET_PATTERNS, redaction._HINTS, strict=True):
        matches = [m.group(0) for s in SAMPLES for m in pattern.finditer(s)]
        assert matches, pattern.pattern
        for sample in SAMPLES:
            if pattern.search(sample):
                assert any(h in sample.lower() for h in hints), (pattern.pattern, sample)


FRAGMENTS = [
    "isk_", "r_", "bearer ", "BeArEr ", "sk_", "pk_", "live_", "test_", "whsec_", "ghp_",
    "gho_", "github_pat_", "xoxb-", "xoxs-", "AKIA", "-----BEGIN ", "RSA ", "PRIVATE KEY-----",
    "-----END ", "abcdefgh", "ABCDEFGH", "12345678", "_", "-", " ", "\n", "é", "x",
]  # fmt: skip


def _reference(text: str) -> tuple[str, int]:
    """Every pattern over the text, no hints: what redaction did before the shortcut."""
    total = 0
    for pattern in SECRET_PATTERNS:
        text, count = pattern.subn(redaction.REDACTED, text)
        total += count
    return text, total


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join))
def test_hinted_redaction_equals_scanning_with_every_pattern(text: str) -> None:
    assert redact(text) == _reference(text)
