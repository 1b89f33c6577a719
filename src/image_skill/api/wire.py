"""Wire-format helpers of the API client: base URL, path encoding, request bodies,
envelope detection in reply bodies, exit-code mapping and Retry-After parsing.

Pure functions with no I/O, shared by :mod:`image_skill.api.client` and its tests.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from image_skill import _constants as C


def resolve_base_url(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """`--api-base-url` > `IMAGE_SKILL_API_BASE_URL` > the hosted default."""
    env = os.environ if env is None else env
    if flag:
        return flag
    value = env.get("IMAGE_SKILL_API_BASE_URL")
    if value:
        return value
    return C.DEFAULT_BASE_URL


def encode_path_id(value: str) -> str:
    """Percent-encode one path segment (like JS encodeURIComponent); never a dot segment."""
    encoded = quote(value, safe="-_.!~*'()")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def status_exit_code(status: int) -> int:
    if status in (401, 403):
        return 3
    if status in (402, 429):
        return 5
    if status >= 500:
        return 7
    return 1


def header_exit_code(value: str) -> int | None:
    text = value.strip()
    if text == "":
        return 0
    try:
        code = int(float(text))
    except (ValueError, OverflowError):  # "abc", "nan"; "inf", "1e400"
        return None
    return code % 256


def new_idempotency_key(kind: str) -> str:
    return f"{kind}-{int(time.time() * 1000)}-{secrets.token_hex(4)}"


def json_body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


#: Docs anchors for the spend commands' non-JSON recovery (contract §4.1).
SPEND_DOCS = {
    "image-skill create": f"{C.DOCS_URL}#image-skill-create",
    "image-skill edit": f"{C.DOCS_URL}#image-skill-edit",
}


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
