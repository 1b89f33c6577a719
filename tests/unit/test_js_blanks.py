"""JS-parity shortcuts checked against their references: the blanked-text patterns
(:func:`image_skill._js.js_blanks`) find exactly what the same patterns written with the JS
``\\s`` class find in the original text, and ``format_usd`` in integers gives the digits of
``Decimal.quantize``."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from image_skill._js import JS_WS, WS_CLASS, js_blanks
from image_skill.guide.payments import command_by_kind
from image_skill.guide.selection import implies_3d, implies_audio

S = WS_CLASS
#: The patterns as they read before the shortcut: every blank is the JS class.
R3D_REFERENCE = re.compile(
    r"\b(?:glb|gltf|mesh|model" + S + r"+asset|asset" + S + r"+model|textured" + S
    + r"+model|image-to-3d|(?:3d|three-d)" + S + r"+(?:\w+" + S
    + r"+){0,3}(?:model|asset|mesh|object)|(?:model|asset|mesh|object)" + S + r"+(?:in|as)"
    + S + r"+(?:3d|three-d))\b",
    re.ASCII,
)  # fmt: skip
MUSIC_VIDEO_REFERENCE = re.compile(r"\bmusic" + S + r"+video\b", re.ASCII)
AUDIO = re.compile(r"\b(?:audio|sound|music|soundtrack|wav|text-to-audio)\b", re.ASCII)
KIND_REFERENCE = {
    kind: re.compile(r"\bcredits" + S + "+" + kind + r"\b", re.ASCII)
    for kind in ("quote", "buy", "status", "methods")
}
KIND_REFERENCE["packs"] = re.compile(r"\bcredits" + S + "+packs" + S + r"+list\b", re.ASCII)

WORDS = [
    "3d", "three-d", "model", "asset", "mesh", "object", "in", "as", "glb", "textured",
    "image-to-3d", "music", "video", "audio", "credits", "packs", "list", "quote", "buy",
    "status", "methods", "a", "red", "x3d", "é", "_",
]  # fmt: skip
BLANKS = [*JS_WS, " ", "\u0085", "\x1c", "-", ".", ""]
texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(BLANKS)), max_size=8).map(
    lambda parts: "".join(word + blank for word, blank in parts)
)


def test_blanking_keeps_the_length_and_only_touches_js_blanks() -> None:
    text = "a\u00a0b\u2028c\ufeffd\u0085e"
    assert js_blanks(text) == "a b c d\u0085e"
    assert len(js_blanks(JS_WS)) == len(JS_WS) and set(js_blanks(JS_WS)) == {" "}


@given(texts)
def test_3d_and_audio_detection_match_the_class_patterns(text: str) -> None:
    assert implies_3d(text) is (R3D_REFERENCE.search(text) is not None)
    expected_audio = MUSIC_VIDEO_REFERENCE.search(text) is None and bool(AUDIO.search(text))
    assert implies_audio(text) is expected_audio


@given(st.lists(texts, max_size=4), st.sampled_from(sorted(KIND_REFERENCE)))
def test_payment_command_lookup_matches_the_class_patterns(commands: list[str], kind: str) -> None:
    expected = next((c for c in commands if KIND_REFERENCE[kind].search(c)), None)
    assert command_by_kind(commands, kind) == expected


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e22, max_value=1e22))
def test_format_usd_gives_the_digits_of_decimal_half_up(value: float) -> None:
    """``toFixed(2)`` in integers agrees with ``Decimal(value).quantize(..., ROUND_HALF_UP)``,
    the exact reference, for every finite double that is not an integer below 1e21."""
    from decimal import ROUND_HALF_UP, Decimal

    from image_skill._js import format_usd, number_to_string

    if value.is_integer() or abs(value) >= 1e21:
        assert format_usd(value) == number_to_string(value)
        return
    expected = str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert format_usd(value) == expected


def test_format_usd_on_exact_ties_and_signs() -> None:
    from image_skill._js import format_usd

    assert format_usd(0.125) == "0.13"  # an exact binary tie goes away from zero
    assert format_usd(-0.125) == "-0.13"
    assert format_usd(1.005) == "1.00"  # 1.005 is a little below the tie in binary
    assert format_usd(-0.004) == "-0.00"  # JS keeps the sign, like Decimal
    assert format_usd(0.07) == "0.07" and format_usd(12.5) == "12.50"
