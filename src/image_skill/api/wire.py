"""Wire-format helpers of the API client: path encoding, request bodies,
envelope detection in reply bodies and Retry-After parsing.

Pure functions with no I/O, shared by :mod:`image_skill.api.client` and its tests. The
base-URL rules are :mod:`image_skill.config.connection`'s, re-exported here.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from image_skill.config.connection import InvalidBaseUrl, base_url_problem, resolve_base_url

__all__ = [
    "MAX_REPLY_BYTES",
    "InvalidBaseUrl",
    "RequestContent",
    "StreamedJson",
    "base_url_problem",
    "encode_path_id",
    "encode_json",
    "envelope_problem",
    "json_body",
    "parse_envelope_body",
    "parse_retry_after",
    "read_capped",
    "resolve_base_url",
]


def encode_path_id(value: str) -> str:
    """Percent-encode one path segment (like JS encodeURIComponent); never a dot segment."""
    encoded = quote(value, safe="-_.!~*'()")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def json_body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class StreamedJson(ABC):
    """A JSON request body that produces its own bytes while it is sent (an upload of a
    large file). Iterating it again must start over: a retried request sends it anew."""

    @property
    @abstractmethod
    def length(self) -> int:
        """The body's size in bytes, sent as ``Content-Length``."""

    @abstractmethod
    def __iter__(self) -> Iterator[bytes]: ...


#: What the client sends as a request body.
RequestContent = bytes | StreamedJson


def encode_json(payload: Any) -> tuple[dict[str, str], RequestContent | None]:
    """The headers and content of a JSON request body: none for None, a
    :class:`StreamedJson` as it is (with its length), anything else encoded."""
    if payload is None:
        return {}, None
    if isinstance(payload, StreamedJson):
        headers = {"content-type": "application/json", "content-length": str(payload.length)}
        return headers, payload
    return {"content-type": "application/json"}, json_body(payload)


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
