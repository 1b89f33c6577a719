"""Wire-format helpers of the API client: base URL, path encoding, request bodies,
envelope detection in reply bodies and Retry-After parsing.

Pure functions with no I/O, shared by :mod:`image_skill.api.client` and its tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from image_skill import _constants as C
from image_skill._constants import BASE_URL_ENV


class InvalidBaseUrl(ValueError):
    """An explicitly given API base URL that cannot be used (``source`` names where from)."""

    def __init__(self, source: str, value: str, problem: str) -> None:
        super().__init__(
            f"{source} {value!r} is not usable: {problem}; give an http(s) URL with a host, "
            f"or {C.LOCAL_BASE_URL_ALIAS!r} for the in-process local backend"
        )
        self.source = source
        self.value = value
        self.problem = problem


def base_url_problem(value: str) -> str | None:
    """Why ``value`` is not a usable API base URL, or None (``local`` is one)."""
    if value == C.LOCAL_BASE_URL_ALIAS:
        return None
    if not value.strip():
        return "it is empty"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return "it contains a control character (such as a newline)"
    if any(char.isspace() for char in value):
        return "it contains whitespace"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "it is not an http or https URL"
    if not parts.hostname:
        return "it has no host"
    return None


def resolve_base_url(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """`--api-base-url` > `IMAGE_SKILL_API_BASE_URL` > the hosted default.

    An explicit ``flag`` must be usable (an empty one is an error, never "use the default":
    that would send the saved token to the hosted API). An empty or blank environment
    variable counts as unset, like an empty ``XDG_CONFIG_HOME``; any other unusable value is
    an error too. Raises :class:`InvalidBaseUrl`.
    """
    env = os.environ if env is None else env
    if flag is not None:
        problem = base_url_problem(flag)
        if problem is not None:
            raise InvalidBaseUrl("the API base URL", flag, problem)
        return flag
    value = env.get(BASE_URL_ENV)
    if value is not None and value.strip():
        problem = base_url_problem(value)
        if problem is not None:
            raise InvalidBaseUrl(BASE_URL_ENV, value, problem)
        return value
    return C.DEFAULT_BASE_URL


def encode_path_id(value: str) -> str:
    """Percent-encode one path segment (like JS encodeURIComponent); never a dot segment."""
    encoded = quote(value, safe="-_.!~*'()")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def json_body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


#: The most reply bytes read for one envelope; a longer reply is treated as no envelope.
MAX_REPLY_BYTES = 8 * 1024 * 1024


def read_capped(chunks: Iterable[bytes], limit: int = MAX_REPLY_BYTES) -> bytes | None:
    """Join ``chunks`` up to ``limit`` bytes; None (and stop reading) once there are more."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def envelope_problem(envelope: Mapping[str, Any]) -> str | None:
    """Why a parsed reply is not a well-formed envelope, or None when it is one.

    Well-formed: ``ok`` is exactly ``true`` or ``false``; a failure's ``error`` is an object
    whose ``code`` is a string; a success's ``error`` is absent, null or an object. Only such
    a reply tells what happened to a request (a spend's outcome above all).
    """
    ok = envelope.get("ok")
    if not isinstance(ok, bool):
        return f"its ok is {_json_kind(ok)}, not true or false"
    error = envelope.get("error")
    if ok:
        if error is not None and not isinstance(error, dict):
            return f"it says ok but its error is {_json_kind(error)}"
        return None
    if not isinstance(error, dict):
        return f"its error is {_json_kind(error)}, not an object"
    if not isinstance(error.get("code"), str):
        return f"its error.code is {_json_kind(error.get('code'))}, not a string"
    return None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def parse_envelope_body(body: bytes) -> dict[str, Any] | None:
    """The parsed envelope when ``body`` is a JSON object holding ``ok``, else None."""
    text = body.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
        return None
    if isinstance(parsed, dict) and "ok" in parsed and not _nested_deeper_than(parsed, 100):
        return parsed
    return None


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels (iterative: deep input is the point).

    An envelope that deep is not one we can relay: printing it would recurse past Python's
    stack limit, so it is treated like a reply without a JSON envelope.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds < 0:
        return None
    return seconds
