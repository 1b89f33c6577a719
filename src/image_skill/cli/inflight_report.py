"""``doctor``'s in-flight report, schema ``image-skill.in-flight-spend-report.v1`` (0.1.70 §6.3).

Each ``*.json`` file of the in-flight folder is read (in name order) into an entry, or
counted as invalid. Valid files are the 0.1.70 breadcrumbs (schema
``image-skill.in-flight-spend.v1``, written by us or by the npm client) and the breadcrumbs
of our earlier releases (schema ``image-skill.in-flight.v1``), so an upgrade never hides an
unfinished spend. A file is invalid when it cannot be read or parsed, has another schema,
or lacks a string ``idempotency_key`` / ``operation`` (for the earlier schema: a string
``command`` naming the operation); invalid files are counted, never listed, never swept.

Age: now minus ``started_at`` when it parses, else the file's mtime (never negative). An
entry is ``recoverable`` for the first :data:`RESERVATION_TTL_MS` (15 minutes: the server
may still hold the credit reservation) and ``ttl_elapsed`` after; it becomes
``sweep_eligible`` after :data:`SWEEP_AFTER_MS` (24 hours).

``recover_command`` is built from the breadcrumb's ``argv`` (``--idempotency-key KEY`` and
``--json`` appended when missing) by the caller's renderer, so it runs here: our program
prefix, shell quoting, the carried config path. A ``--token VALUE`` in ``argv`` (the npm
client records it) becomes ``--token-stdin`` and token-shaped text becomes ``[REDACTED]``:
a secret found in a file is never echoed. ``original_recover_command`` is the file's own
``recover_command`` text (with its literal ``<same arguments>``), kept as written.

Pure: the caller reads the folder, deletes swept files and passes a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from image_skill.redaction import REDACTED, redact

__all__ = [
    "LEGACY_SCHEMA",
    "READ_ERROR",
    "RESERVATION_TTL_MS",
    "SCHEMA",
    "SPEND_SCHEMA",
    "SWEEP_AFTER_MS",
    "Entry",
    "FileRead",
    "build_report",
    "error_report",
    "parse_entry",
    "recover_words",
]

SCHEMA = "image-skill.in-flight-spend-report.v1"
SPEND_SCHEMA = "image-skill.in-flight-spend.v1"
LEGACY_SCHEMA = "image-skill.in-flight.v1"
RESERVATION_TTL_MS = 900_000
SWEEP_AFTER_MS = 86_400_000
READ_ERROR = "in-flight directory could not be read"
TOKEN_FLAG = "--token"
TOKEN_STDIN_FLAG = "--token-stdin"
KEY_FLAG = "--idempotency-key"
JSON_FLAG = "--json"

NOTE_EMPTY = "no spend is waiting for its outcome: the in-flight folder holds no breadcrumb"
NOTE_PENDING = (
    "each entry is a create, edit or purchase whose outcome this machine never learned; run "
    "its recover_command first (same idempotency key: the server replays the result or "
    "releases the reservation, it never charges twice), and sweep only what you no longer need"
)
WARNING_RECOVERABLE = (
    "the server may still hold this spend's reservation; run recover_command now to get the "
    "original result, and do not clean this breadcrumb up before that."
)
WARNING_SWEEPABLE = (
    "the reservation window is over and this breadcrumb is more than a day old; run "
    "recover_command if the result still matters, or remove it with doctor --sweep-in-flight."
)
WARNING_ELAPSED = (
    "the reservation window is over, but the result can still be replayed: run "
    "recover_command if it matters; doctor --sweep-in-flight removes this breadcrumb once it "
    "is a day old."
)
REDACTED_NOTE = (
    " Its arguments held token-shaped text, replaced by [REDACTED] here: put the original "
    "value back before running recover_command, or the server refuses the reused key."
)
TOKEN_STDIN_NOTE = (
    " The original command passed --token; recover_command reads that same token from "
    "--token-stdin, so pipe it in (another token is another account and would pay again)."
)

#: ``render(words, entry)``: the shell text for ``image-skill WORDS`` run here (``entry``
#: says where the token came from: ``token_source``, ``token_env``).
Render = Callable[[Sequence[str], "Entry"], str]


@dataclass(frozen=True)
class FileRead:
    """One ``*.json`` file of the folder: its name and path, its parsed content (``None``
    when it could not be read or parsed) and its mtime in ms (``None`` when unknown)."""

    name: str
    path: str
    record: Any
    mtime_ms: int | None


@dataclass(frozen=True)
class Entry:
    file: str
    path: str
    operation: str
    command: str
    idempotency_key: str
    started_at: str | None
    age_ms: int
    argv: tuple[str, ...] | None  # None for the earlier schema (it kept a ready command)
    legacy_command: str | None
    original_recover_command: str | None
    token_source: str | None
    token_hint: str | None
    #: The variable an ``env`` token came from (``IMAGE_SKILL_TOKEN``), when recorded.
    token_env: str | None = None

    @property
    def state(self) -> str:
        return "ttl_elapsed" if self.age_ms >= RESERVATION_TTL_MS else "recoverable"

    @property
    def sweep_eligible(self) -> bool:
        return self.age_ms >= SWEEP_AFTER_MS


def _parse_time_ms(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_entry(read: FileRead, now_ms: int) -> Entry | None:
    """The entry for one file, or None when the file is invalid (see the module docstring)."""
    record = read.record
    if not isinstance(record, dict):
        return None
    key = record.get("idempotency_key")
    if not isinstance(key, str):
        return None
    schema = record.get("schema")
    if schema == SPEND_SCHEMA:
        operation = record.get("operation")
        if not isinstance(operation, str):
            return None
        command = record.get("command")
        label = command if isinstance(command, str) else f"image-skill {operation}"
        raw = record.get("argv")
        argv: tuple[str, ...] | None = tuple(
            item for item in (raw if isinstance(raw, list) else []) if isinstance(item, str)
        )
        legacy = None
        original = record.get("recover_command")
    elif schema == LEGACY_SCHEMA:
        legacy_label = record.get("command")
        if not isinstance(legacy_label, str) or not legacy_label.startswith("image-skill "):
            return None
        label = legacy_label
        operation = label[len("image-skill ") :]
        argv = None
        legacy_text = record.get("recovery_command")
        legacy = legacy_text if isinstance(legacy_text, str) else None
        original = None
    else:
        return None
    started = record.get("started_at")
    begun = _parse_time_ms(started)
    if begun is None:
        begun = read.mtime_ms
    if begun is None:
        return None  # neither a start time nor a file time: nothing to age it by
    source = record.get("token_source")
    hint = record.get("token_hint")
    variable = record.get("token_env")
    return Entry(
        file=read.name,
        path=read.path,
        operation=operation,
        command=label,
        idempotency_key=key,
        started_at=started if isinstance(started, str) else None,
        age_ms=max(0, now_ms - begun),
        argv=argv,
        legacy_command=legacy,
        original_recover_command=original if isinstance(original, str) else None,
        token_source=source if isinstance(source, str) else None,
        token_hint=hint if isinstance(hint, str) else None,
        token_env=variable if isinstance(variable, str) else None,
    )


def _safe_argv(argv: Sequence[str]) -> tuple[list[str], bool, bool]:
    """``argv`` without token values: ``(items, redacted, token_flag_replaced)``."""
    items: list[str] = []
    redacted = replaced = False
    skip = False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == TOKEN_FLAG or item.startswith(TOKEN_FLAG + "="):
            skip = item == TOKEN_FLAG
            replaced = True
            if TOKEN_STDIN_FLAG not in items:
                items.append(TOKEN_STDIN_FLAG)
            continue
        text, count = redact(item)
        redacted = redacted or count > 0 or REDACTED in item
        items.append(text)
    return items, redacted, replaced


def recover_words(entry: Entry) -> tuple[list[str], bool, bool]:
    """The words after the program for ``entry``'s recovery, and whether text was redacted
    or a ``--token`` replaced. Only for entries with ``argv``."""
    assert entry.argv is not None
    items, redacted, replaced = _safe_argv(entry.argv)
    if not any(item == KEY_FLAG or item.startswith(KEY_FLAG + "=") for item in items):
        items += [KEY_FLAG, entry.idempotency_key]
    if JSON_FLAG not in items:
        items.append(JSON_FLAG)
    return [*entry.operation.split(), *items], redacted, replaced


def _warning(entry: Entry) -> str:
    if entry.state == "recoverable":
        return WARNING_RECOVERABLE
    return WARNING_SWEEPABLE if entry.sweep_eligible else WARNING_ELAPSED


def entry_view(entry: Entry, render: Render) -> dict[str, Any]:
    """The report's view of ``entry`` (0.1.70 key order, then our token note)."""
    warning = _warning(entry)
    command: str | None
    if entry.argv is not None:
        words, redacted, replaced = recover_words(entry)
        command = render(words, entry)
        if redacted:
            warning += REDACTED_NOTE
        if replaced:
            warning += TOKEN_STDIN_NOTE
    else:
        text = entry.legacy_command
        command = redact(text)[0] if text is not None else None
        if text is not None and command != text:
            warning += REDACTED_NOTE
    original = entry.original_recover_command
    view: dict[str, Any] = {
        "file": entry.file,
        "path": entry.path,
        "operation": entry.operation,
        "command": entry.command,
        "idempotency_key": entry.idempotency_key,
        "started_at": entry.started_at,
        "age_ms": entry.age_ms,
        "state": entry.state,
        "sweep_eligible": entry.sweep_eligible,
        "recover_command": command,
        "original_recover_command": redact(original)[0] if original is not None else None,
        "warning": warning,
    }
    if entry.token_source is not None:
        view["token_source"] = entry.token_source
    if entry.token_hint is not None:
        view["token_hint"] = entry.token_hint
    return view


def build_report(
    directory: str,
    entries: Sequence[Entry],
    *,
    invalid_count: int,
    swept_count: int,
    sweep_requested: bool,
    render: Render,
) -> dict[str, Any]:
    """The report for the ``entries`` left after any sweep."""
    recoverable = sum(1 for e in entries if e.state == "recoverable")
    return {
        "schema": SCHEMA,
        "directory": directory,
        "count": len(entries),
        "recoverable_count": recoverable,
        "ttl_elapsed_count": len(entries) - recoverable,
        "sweep_eligible_count": sum(1 for e in entries if e.sweep_eligible),
        "invalid_count": invalid_count,
        "swept_count": swept_count,
        "reservation_ttl_ms": RESERVATION_TTL_MS,
        "sweep_after_ms": SWEEP_AFTER_MS,
        "sweep_requested": sweep_requested,
        "entries": [entry_view(e, render) for e in entries],
        "note": NOTE_PENDING if entries else NOTE_EMPTY,
    }


def error_report(directory: str, *, sweep_requested: bool) -> dict[str, Any]:
    """The report when the folder exists but cannot be listed (0.1.70's key order)."""
    return {
        "schema": SCHEMA,
        "directory": directory,
        "count": None,
        "recoverable_count": None,
        "ttl_elapsed_count": None,
        "sweep_eligible_count": None,
        "invalid_count": None,
        "entries": [],
        "error": READ_ERROR,
        "reservation_ttl_ms": RESERVATION_TTL_MS,
        "sweep_after_ms": SWEEP_AFTER_MS,
        "swept_count": 0,
        "sweep_requested": sweep_requested,
    }
