"""The JavaScript rules the npm contract's outputs depend on, in one place.

The npm CLI and its guide are written in JavaScript, so matching them means following JS
rules: ``??`` only falls through on null/missing, empty arrays and objects are truthy,
``trim()`` strips a specific whitespace set, ``Number("")`` is 0 and ``Number("0x1F")`` is 31,
``Math.round`` sends ties up, ``toFixed(2)`` breaks exact ties away from zero, and so on. The
guide, the numeric flags (``--credits``, ``--limit``, ...) and the trust packet all use these
helpers. Pure, standard library only.
"""

from __future__ import annotations

import math
import re

TYPE_CHECKING = False  # typing costs every call ~3 ms; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

JS_WS = (
    "\t\n\u000b\u000c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
#: A regex character class matching one JS ``\s`` character.
WS_CLASS = "[" + JS_WS + "]"
_WS_TO_SPACE = str.maketrans(dict.fromkeys(JS_WS, " "))


def js_blanks(text: str) -> str:
    r"""``text`` with every JS ``\s`` character replaced by a space (same length).

    A pattern compiled with :data:`WS_CLASS` in many places is slow to build (each class of
    25 characters is compiled anew); matching ``" "`` against the blanked text finds the
    same spans, as long as the pattern reads whitespace only through that class (``\b``,
    ``\w`` and ASCII literals see a space exactly as they see any JS blank).
    """
    return text.translate(_WS_TO_SPACE)


_DEC = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)", re.ASCII)
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_OCT = re.compile(r"0[oO][0-7]+")
_BIN = re.compile(r"0[bB][01]+")
_REPR = re.compile(r"(\d+)(?:\.(\d+))?(?:e([+-]\d+))?")
#: 2**53: integers below it are exact in a double (``Number.MAX_SAFE_INTEGER`` + 1).
_MAX_SAFE_INTEGER = 2**53


def js_trim(value: str) -> str:
    """``String.prototype.trim``."""
    return value.strip(JS_WS)


def is_number(value: object) -> bool:
    """``typeof value === "number"`` (``bool`` excluded)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def truthy(value: object) -> bool:
    """JS truthiness: empty containers are truthy, NaN and 0 are falsy."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def get(value: object, *keys: str) -> Any:
    """Optional chaining (``a?.b?.c``): None as soon as a step is missing or not an object."""
    current: Any = value
    for key in keys:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current


def coalesce(*values: object) -> Any:
    """``a ?? b ?? c``."""
    for value in values:
        if value is not None:
            return value
    return None


def string_to_number(raw: str) -> float:
    """``Number(string)``: NaN when the text is not a JS numeric literal."""
    text = js_trim(raw)
    if text == "":
        return 0.0
    if _DEC.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    for pattern, base in ((_HEX, 16), (_OCT, 8), (_BIN, 2)):
        if pattern.fullmatch(text):
            try:
                return float(int(text[2:], base))
            except OverflowError:  # more digits than a double holds: JavaScript says Infinity
                return math.inf
    return math.nan


def to_number(value: object) -> float:
    """``Number(value)`` for JSON values (objects and arrays give NaN; null gives 0)."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return string_to_number(value)
    return math.nan


def flag_number(raw: str | float | None) -> float | None:
    """A numeric flag value: ``Number(raw)`` kept only when finite, else None."""
    if raw is None:
        return None
    value = string_to_number(raw) if isinstance(raw, str) else to_number(raw)
    return value if math.isfinite(value) else None


def js_number(text: str) -> int | float | None:
    """``Number(text)`` when finite, else None; integral values come back as ``int``.

    So a flag given as ``10``, ``10.0``, ``1e1`` or ``0xA`` goes out as the JSON number ``10``.
    JavaScript's whitespace is trimmed, ``""`` is 0, ``0x``/``0o``/``0b`` are unsigned;
    ``Infinity``, ``NaN``, ``1_0``, ``12abc`` and non-ASCII digits give None.
    """
    value = flag_number(text)
    if value is not None and value.is_integer() and abs(value) < _MAX_SAFE_INTEGER:
        return int(value)
    return value


def js_round(value: float, digits: int) -> float:
    """``Math.round(value * 10**digits) / 10**digits`` (ties go up, towards +infinity)."""
    scale = 10.0**digits
    scaled = value * scale
    whole = math.floor(scaled)
    if scaled - whole >= 0.5:
        whole += 1
    return whole / scale


def number_to_string(value: float) -> str:
    """ECMAScript ``Number::toString`` for a number."""
    x = float(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    match = _REPR.fullmatch(repr(abs(x)))
    if match is None:  # pragma: no cover - repr of a finite float always matches
        return repr(x)
    int_part, frac_part, exp = match.group(1), match.group(2) or "", int(match.group(3) or 0)
    raw = int_part + frac_part
    lead = len(raw) - len(raw.lstrip("0"))
    digits = raw.lstrip("0").rstrip("0")
    k = len(digits)
    n = len(int_part) + exp - lead
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def display(value: object) -> str:
    """``String(value)`` for the values interpolated into messages."""
    if is_number(value):
        return number_to_string(float(value))  # type: ignore[arg-type]
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


def format_usd(value: object) -> str:
    """``formatUsd``: integers as ``String(v)``, anything else as ``v.toFixed(2)``.

    ``toFixed`` rounds the exact binary value and breaks exact ties away from zero, which is
    what ``Decimal(v).quantize(..., ROUND_HALF_UP)`` does (``'%.2f'`` would round half to
    even). Non-numbers are converted with JS ``Number()`` first (the npm client would crash).
    """
    x = to_number(value)
    if not math.isfinite(x) or x.is_integer():
        return number_to_string(x)
    if abs(x) >= 1e21:
        return number_to_string(x)
    # The exact binary value n/d, rounded to cents with ties away from zero, in integers (the
    # decimal module gives the same digits but costs ~1 ms to import on every guide).
    numerator, denominator = x.as_integer_ratio()
    cents, rest = divmod(abs(numerator) * 100, denominator)
    if 2 * rest >= denominator:
        cents += 1
    return f"{'-' if x < 0 else ''}{cents // 100}.{cents % 100:02d}"


def json_numbers(value: Any) -> Any:
    """Numbers as ``JSON.stringify`` writes them, inside any JSON value: an integral float
    becomes an ``int`` (``2.0`` is written ``2``) and a non-finite one ``None``."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
        return value
    if isinstance(value, dict):
        return {k: json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_numbers(v) for v in value]
    return value


def js_le(value: object, limit: float) -> bool:
    """``value <= limit`` with JS coercion (null is 0; NaN compares false)."""
    number = to_number(value)
    return not math.isnan(number) and number <= limit


def js_lt(left: object, right: object) -> bool:
    """``left < right`` for numbers and numeric coercions."""
    a, b = to_number(left), to_number(right)
    return not (math.isnan(a) or math.isnan(b)) and a < b


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def js_stringify(value: object) -> str:
    """``JSON.stringify(value)`` (compact, key order kept) for values ``json.loads`` returns.

    Numbers follow JS formatting (``1.0`` is ``1``, ``1e-7`` stays ``1e-7``); a non-finite
    number becomes ``null`` as in JS.
    """
    import json

    if value is None or value is True or value is False:
        return json.dumps(value)
    if isinstance(value, int) and abs(value) <= _MAX_SAFE_INTEGER:
        return str(value)
    if isinstance(value, int | float):
        number = float(value)
        return number_to_string(number) if math.isfinite(number) else "null"
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(_escape, json.dumps(value, ensure_ascii=False))
    if isinstance(value, dict):
        items = (f"{js_stringify(str(k))}:{js_stringify(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(js_stringify(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")
