"""The lines of a `batch create` file: parsing, each line's idempotency key, its request body
and the equivalent `create` command. Pure: bytes in, values out, no I/O.

A batch file is JSON Lines: one JSON object per line, blank lines ignored, line numbers
counted from 1 over every physical line (so an error names the line an editor shows). A
line's keys are the create body's names:

* ``prompt`` (string, required);
* ``model``, ``provider``, ``intent``, ``aspect_ratio`` (strings);
* ``output_count`` (positive integer);
* ``max_estimated_usd_per_image``, ``max_usd`` (finite numbers);
* ``model_parameters`` (JSON object);
* ``accept_unknown_cost`` (boolean).

Anything else (``references``, ``idempotency_key``, ``dry_run``, a typo) makes that line an
``INVALID_ARGUMENTS`` error; the other lines are not affected.

Each line's key is ``batch-<file hash>-<line number>-<line hash>`` (16 and 12 hex digits of
sha256 over the whole file's bytes and over the line's own text), so the same file run again
sends the same key for the same line, while the same prompt in another file, or twice in one
file, gets a key of its own.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from image_skill.api.requests import CreateRequest

__all__ = [
    "ACCEPTED_KEYS",
    "Batch",
    "Line",
    "create_words",
    "derive_key",
    "line_body",
    "parse_batch",
    "parse_line",
]

#: The keys a line may hold, in the create body's order.
ACCEPTED_KEYS = (
    "prompt",
    "provider",
    "model",
    "intent",
    "aspect_ratio",
    "output_count",
    "max_estimated_usd_per_image",
    "max_usd",
    "model_parameters",
    "accept_unknown_cost",
)
_STRINGS = ("provider", "model", "intent", "aspect_ratio")
_NUMBERS = ("max_estimated_usd_per_image", "max_usd")
#: Keys someone might expect and that batch sets itself, with the reason.
_MANAGED = {
    "idempotency_key": "batch derives each line's idempotency key itself",
    "dry_run": "use --dry-run on the batch command",
    "references": "batch lines take no references (upload first and use create or edit)",
}


@dataclass(frozen=True)
class Line:
    """One non-blank line of the file: its number, text hash, and request or error."""

    number: int
    sha256: str
    request: CreateRequest | None = None
    error: str | None = None


@dataclass(frozen=True)
class Batch:
    sha256: str
    lines: list[Line]

    def key(self, line: Line) -> str:
        return derive_key(self.sha256, line.number, line.sha256)


def derive_key(file_sha256: str, number: int, line_sha256: str) -> str:
    """The idempotency key of line ``number`` (see the module docstring)."""
    return f"batch-{file_sha256[:16]}-{number}-{line_sha256[:12]}"


def parse_batch(content: bytes) -> Batch:
    """Every non-blank line of ``content``, parsed (a bad line carries its error)."""
    lines: list[Line] = []
    for index, raw in enumerate(content.split(b"\n"), start=1):
        if index == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        stripped = raw.strip()
        if not stripped:
            continue
        sha = hashlib.sha256(stripped).hexdigest()
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError:
            lines.append(Line(index, sha, error="the line is not valid UTF-8"))
            continue
        request, error = parse_line(text)
        lines.append(Line(index, sha, request, error))
    return Batch(hashlib.sha256(content).hexdigest(), lines)


def parse_line(text: str) -> tuple[CreateRequest | None, str | None]:
    """``(request, None)`` for a good line, ``(None, reason)`` for a bad one."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, f"the line is not valid JSON ({exc.args[0] if exc.args else exc})"
    if not isinstance(value, dict):
        return None, 'the line must be a JSON object such as {"prompt": "..."}'
    return _request(value)


def _request(value: Mapping[str, Any]) -> tuple[CreateRequest | None, str | None]:
    for name in value:
        if name in _MANAGED:
            return None, f"unknown key {name!r}: {_MANAGED[name]}"
        if name not in ACCEPTED_KEYS:
            return None, f"unknown key {name!r}; a line takes {', '.join(ACCEPTED_KEYS)}"
    prompt = value.get("prompt")
    if prompt is None:
        return None, 'the line has no "prompt" (a string, required)'
    if not isinstance(prompt, str):
        return None, '"prompt" must be a string'
    fields: dict[str, Any] = {"prompt": prompt}
    for name in _STRINGS:
        if value.get(name) is not None:
            if not isinstance(value[name], str):
                return None, f"{name!r} must be a string"
            fields[name] = value[name]
    count = value.get("output_count")
    if count is not None:
        if not _is_number(count) or not (float(count).is_integer() and count > 0):
            return None, "'output_count' must be a positive integer"
        fields["output_count"] = int(count)
    for name in _NUMBERS:
        number = value.get(name)
        if number is not None:
            if not _is_number(number):
                return None, f"{name!r} must be a number"
            fields[name] = _js_number(number)
    parameters = value.get("model_parameters")
    if parameters is not None:
        if not isinstance(parameters, dict):
            return None, "'model_parameters' must be a JSON object"
        fields["model_parameters"] = parameters
    accept = value.get("accept_unknown_cost")
    if accept is not None:
        if not isinstance(accept, bool):
            return None, "'accept_unknown_cost' must be true or false"
        fields["accept_unknown_cost"] = accept
    return CreateRequest(**fields), None  # the key and dry_run are set per run


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _js_number(value: int | float) -> int | float:
    """An integral value as an int (JSON ``1``, not ``1.0``), as create's budget flags do."""
    parsed = float(value)
    return int(parsed) if parsed.is_integer() and abs(parsed) < 2**53 else parsed


def line_body(
    request: CreateRequest, *, key: str | None, dry_run: bool, accept_unknown_cost: bool
) -> dict[str, Any]:
    """The ``POST /v1/create`` body of a line: the body create sends for the same flags
    (``aspect_ratio`` defaults to ``"1:1"``). ``accept_unknown_cost`` is the batch flag; a
    line may also set it."""
    return replace(
        request,
        aspect_ratio=request.aspect_ratio if request.aspect_ratio is not None else "1:1",
        idempotency_key=key,
        dry_run=dry_run,
        accept_unknown_cost=accept_unknown_cost or request.accept_unknown_cost,
    ).to_body()


def create_words(request: CreateRequest) -> list[str]:
    """The `create` flags (after the word ``create``) that send the same body as
    :func:`line_body`; :func:`image_skill.cli._spend.recovery_tail` adds the rest (the
    accept flag, ``--output``, the key) for the replay a line's breadcrumb records."""
    words = ["--prompt", request.prompt or ""]
    for flag, value in (
        ("--provider", request.provider),
        ("--model", request.model),
        ("--intent", request.intent),
        ("--aspect-ratio", request.aspect_ratio),
        ("--output-count", _text(request.output_count)),
        ("--max-estimated-usd-per-image", _text(request.max_estimated_usd_per_image)),
        ("--max-usd", _text(request.max_usd)),
        ("--model-parameters-json", _text(request.model_parameters)),
    ):
        if value is not None:
            words += [flag, value]
    return words


def _text(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
