"""In-flight breadcrumbs: a durable note of every live spend whose outcome is not known yet.

A live ``create`` or ``edit`` (anything that may debit credits) always carries an idempotency
key. Before its request is sent, a breadcrumb naming that key is written to
``<config dir>/in-flight/<key>.json`` (``<config dir>`` is the directory holding the config
file; see :func:`image_skill.config.config_path`). The breadcrumb is removed as soon as the
outcome is known: a success, or a failure the server reported as final
(``retryable: false``). It is **kept** when the outcome is unknown or may be retried (network
failure, timeout, non-JSON 5xx, any retryable error), when the process is interrupted
(Ctrl-C, SIGTERM) and when it is killed. Re-running its ``recovery_command`` replays the same
request with the same key, so the server returns the original job instead of charging again.

Breadcrumb file (JSON, mode 0600, written atomically; the file name is the key with every
character outside ``A-Z a-z 0-9 . _ -`` replaced, so a key can never leave the directory)::

    {
      "schema": "image-skill.in-flight.v1",
      "idempotency_key": "create-1718000000000-1a2b3c4d",
      "command": "image-skill create",
      "api_base_url": "https://api.image-skill.com",
      "started_at": "2024-06-10T06:13:20.000Z",
      "pid": 4242,
      "recovery_command": "image-skill create --prompt '...' --idempotency-key create-... --json",
      "request": {"endpoint": "/v1/create", "model": null, ...}
    }

When the request's token came from ``--token``, ``--token-stdin`` or an env var, the
recovery command reads it with ``--token-stdin`` (so it reaches the same account, not the
saved config's) and the breadcrumb adds ``"token_source"`` (``flag``, ``stdin``, ``env``)
and ``"token_hint"`` saying which token to pipe in (see :mod:`image_skill.cli._recovery`).

The token is never stored. The prompt appears only inside ``recovery_command`` (which must
repeat it to replay the same request); ``request`` is a summary without it. Anything
token-shaped (a token pasted into the prompt, say) is replaced by ``[REDACTED]`` before the
file is written, and the breadcrumb then says ``"redacted": true``: its recovery command
needs the original text put back before it replays the same request. The folder and the
config folder above it are created with mode 0700.

When a live spend starts, the CLI prints exactly one line on **stderr** (stdout keeps its one
JSON envelope)::

    {"in_flight": {"idempotency_key": "create-...", "breadcrumb": "/home/me/.config/..."}}

``breadcrumb`` is ``null`` when the file could not be written (read-only config directory);
the spend still proceeds and the envelope carries a warning naming the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from image_skill import envelope as E
from image_skill._atomic import write_atomic
from image_skill.envelope import Result
from image_skill.redaction import redact_tree

__all__ = [
    "IN_FLIGHT_DIRNAME",
    "SCHEMA",
    "Breadcrumb",
    "breadcrumb_path",
    "in_flight_dir",
    "list_breadcrumbs",
    "notice_line",
    "outcome_known",
    "remove",
    "sanitize_key",
    "start",
    "write",
]

SCHEMA = "image-skill.in-flight.v1"
IN_FLIGHT_DIRNAME = "in-flight"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME = 120
#: Codes whose outcome is unknown even if a server marked them non-retryable.
UNKNOWN_OUTCOME_CODES = frozenset(
    {
        E.HOSTED_API_REQUEST_FAILED,
        E.HOSTED_API_NON_JSON_RESPONSE,
        E.TIMEOUT,
        E.INTERRUPTED,
    }
)
#: Keys never copied into a breadcrumb's request summary.
_SECRET_KEYS = frozenset({"prompt", "token", "authorization", "bytes_base64"})


def in_flight_dir(config_file: Path | None = None) -> Path:
    """``<directory of the config file>/in-flight``."""
    if config_file is None:
        from image_skill.config import config_path

        config_file = config_path()
    return config_file.parent / IN_FLIGHT_DIRNAME


def sanitize_key(key: str) -> str:
    """A file-name stem for ``key``: safe characters only, never hidden, never ``..``.

    A key that had to be changed (or shortened) gets a short hash of the original appended,
    so two different keys cannot share a breadcrumb.
    """
    stem = _UNSAFE.sub("_", key)[:_MAX_NAME].lstrip(".")
    if stem != key or not stem:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        stem = f"{stem}-{digest}" if stem else f"key-{digest}"
    return stem


def breadcrumb_path(key: str, directory: Path | None = None) -> Path:
    return (directory or in_flight_dir()) / f"{sanitize_key(key)}.json"


def _now() -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _summary(request_summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request_summary.items() if k.lower() not in _SECRET_KEYS}


def write(
    key: str,
    *,
    command_label: str,
    recovery_command: str | None,
    api_base_url: str,
    request_summary: Mapping[str, Any],
    directory: Path | None = None,
    token_note: Mapping[str, str] | None = None,
) -> Path:
    """Write the breadcrumb for ``key`` atomically (mode 0600); raise OSError on failure.

    ``token_note`` (``token_source``, ``token_hint``) is recorded next to the recovery
    command when that command needs the request's own token piped in.
    """
    path = breadcrumb_path(key, directory)
    _ensure_folder(path.parent)
    record = {
        "schema": SCHEMA,
        "idempotency_key": key,
        "command": command_label,
        "api_base_url": api_base_url,
        "started_at": _now(),
        "pid": os.getpid(),
        "recovery_command": recovery_command,
        **dict(token_note or {}),
        "request": _summary(request_summary),
    }
    if redact_tree(record):
        # A token pasted into the prompt (or a key) is not stored; the recovery command then
        # needs the original value put back by hand, and says so.
        record["redacted"] = True
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"), prefix=".tmp-", suffix=".json", mode=0o600)
    return path


def _is_breadcrumb_entry(name: str) -> bool:
    return name.endswith(".json") or name.startswith(".tmp-")


def _ensure_folder(folder: Path) -> None:
    """The in-flight folder and the config folder above it, both private (0700)."""
    from image_skill.config import config_path, ensure_config_dir, ensure_private_dir

    config = config_path()
    if folder.parent == config.parent:
        ensure_config_dir(config)
    ensure_private_dir(folder, _is_breadcrumb_entry)


def remove(key: str, directory: Path | None = None) -> bool:
    """Delete the breadcrumb for ``key``; ``False`` when there was none (or it is stuck)."""
    try:
        breadcrumb_path(key, directory).unlink()
    except OSError:
        return False
    return True


def list_breadcrumbs(directory: Path | None = None) -> list[dict[str, Any]]:
    """Every breadcrumb, oldest first, each with its ``path``; unreadable ones get ``error``."""
    folder = directory or in_flight_dir()
    try:
        names = sorted(p for p in folder.iterdir() if p.suffix == ".json")
    except OSError:
        return []
    items: list[dict[str, Any]] = []
    for path in names:
        if path.name.startswith("."):
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            items.append({"path": str(path), "error": str(exc)})
            continue
        items.append({**record, "path": str(path)})
    items.sort(key=lambda item: str(item.get("started_at", "")))
    return items


def outcome_known(result: Result) -> bool:
    """Whether a spend's outcome is settled, so its breadcrumb can go.

    Only a well-formed envelope settles it: ``"ok": true`` (exactly the boolean), or
    ``"ok": false`` with an ``error`` object whose ``code`` is a string, that the server
    reported as final (``retryable`` exactly false) and whose code is not one where the
    request may have gone through. Anything else (``"ok": "false"``, ``1``, no ``error``)
    leaves the outcome unknown.
    """
    ok = result.envelope.get("ok")
    if ok is True:
        return True
    if ok is not False:
        return False
    error = result.envelope.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return False
    if error.get("retryable") is not False:
        return False
    return error["code"] not in UNKNOWN_OUTCOME_CODES


@dataclass
class Breadcrumb:
    """The breadcrumb of one live spend; ``path`` is None when it could not be written."""

    key: str
    path: Path | None
    directory: Path
    error: str | None = None

    def notice(self) -> str:
        return notice_line(self.key, self.path)

    def warning(self) -> str | None:
        if self.error is None:
            return None
        return (
            f"could not write the in-flight breadcrumb under {self.directory} ({self.error}); "
            f"if this command is interrupted, retry it with --idempotency-key {self.key}"
        )

    def settle(self, result: Result) -> bool:
        """Remove the breadcrumb when ``result`` settles the outcome; return whether it went."""
        if self.path is None or not outcome_known(result):
            return False
        return remove(self.key, self.directory)


def start(
    key: str,
    *,
    command_label: str,
    recovery_command: str | None,
    api_base_url: str,
    request_summary: Mapping[str, Any],
    directory: Path | None = None,
    token_note: Mapping[str, str] | None = None,
) -> Breadcrumb:
    """Write the breadcrumb before a live spend; a write failure is recorded, not raised."""
    folder = directory or in_flight_dir()
    try:
        path: Path | None = write(
            key,
            command_label=command_label,
            recovery_command=recovery_command,
            api_base_url=api_base_url,
            request_summary=request_summary,
            directory=folder,
            token_note=token_note,
        )
        error = None
    except OSError as exc:
        path, error = None, exc.strerror or exc.__class__.__name__
    return Breadcrumb(key, path, folder, error)


def notice_line(key: str, path: Path | None) -> str:
    """The one-line stderr notice printed when a live spend starts."""
    payload = {"in_flight": {"idempotency_key": key, "breadcrumb": str(path) if path else None}}
    redact_tree(payload)
    return json.dumps(payload, ensure_ascii=False, separators=(", ", ": "))
