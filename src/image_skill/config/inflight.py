"""In-flight breadcrumbs: a durable note of every live spend whose outcome is not known yet.

Shared by the CLI (:mod:`image_skill.cli.inflight` re-exports it and adds the folder
listing doctor reads) and the MCP server, so both write the one breadcrumb format.

A live ``create`` or ``edit`` (and ``credits buy``) always carries an idempotency key. Right
before its request is sent (after every check, upload and reference lookup), a breadcrumb
naming that key is written to ``<config dir>/in-flight/<key>.json`` (``<config dir>`` is the
directory holding the config file; see :func:`image_skill.config.config_path`). It is
removed as soon as the outcome is known: a success, or a failure the server reported as
final (``retryable: false``). It is **kept** when the outcome is unknown or may be retried
(network failure, timeout, non-JSON 5xx, any retryable error, a reply that is not a
well-formed envelope), when the process is interrupted (Ctrl-C, SIGTERM) and when it is
killed. Replaying the request with the same key returns the original job instead of
charging again; ``doctor`` lists each breadcrumb with a runnable ``recover_command``
(:mod:`image_skill.cli.inflight_report`).

The file is the npm client's 0.1.70 breadcrumb (schema ``image-skill.in-flight-spend.v1``;
JSON indented by two spaces, mode 0600, written atomically), so either client reads the
other's files. Keys in this order, then ours::

    {
      "schema": "image-skill.in-flight-spend.v1",
      "command": "image-skill create",
      "operation": "create",
      "idempotency_key": "create-1796149654362-cd722590b4d6",
      "recover_command": "image-skill create --idempotency-key create-... <same arguments> --json",
      "argv": ["--prompt", "waves", "--model", "local.video", "--idempotency-key", "create-...",
               "--json"],
      "started_at": "2026-12-01T18:27:34.364Z",
      "api_base_url": "https://api.image-skill.com"
    }

``recover_command`` holds the literal ``<same arguments>``, as in 0.1.70. ``argv`` holds the
arguments of the request as it was sent, which is where we differ from the npm client (it
records the raw command line): references are the asset ids they were uploaded as, paths are
absolute, the idempotency key is always there and ``--token VALUE`` never is. When the token
came from ``--token``, ``--token-stdin`` or an env var, ``argv`` says ``--token-stdin``
instead (so a replay reaches the same account and not the saved config's) and the
breadcrumb adds ``"token_source"`` (``flag``, ``stdin``, ``env``) and ``"token_hint"`` saying
which token to pipe in (see :mod:`image_skill.cli._recovery`).

The token is never stored. Anything token-shaped (a token pasted into the prompt, say) is
replaced by ``[REDACTED]`` before the file is written, and the breadcrumb then says
``"redacted": true``: its recovery needs the original text put back before it replays the
same request. The folder and the config folder above it are created with mode 0700.

File name: the key with every character outside ``A-Z a-z 0-9 . _ -`` replaced by ``_``,
leading dots removed, at most 120 characters, plus ``.json`` -- 0.1.70's rule, identical for
every key we generate. Unlike 0.1.70, a key that had to be changed also gets a short hash of
the original, so two different keys never share (and overwrite) one breadcrumb.

When a live spend starts, the CLI prints exactly one compact line on **stderr** (stdout
keeps its one JSON envelope)::

    {"in_flight":{"command":"image-skill create","idempotency_key":"create-...",
     "recover_command":"image-skill create --idempotency-key create-... <same arguments> --json",
     "note":"..."}}

When the file cannot be written (read-only config directory) the line is still printed, the
spend still proceeds and the envelope carries a warning naming the key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
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
    "LEGACY_SCHEMA",
    "SCHEMA",
    "Breadcrumb",
    "breadcrumb_path",
    "in_flight_dir",
    "notice_line",
    "outcome_known",
    "recover_template",
    "remove",
    "sanitize_key",
    "start",
    "write",
]

SCHEMA = "image-skill.in-flight-spend.v1"
#: The schema of our releases before 0.1.70's; doctor still reads such files.
LEGACY_SCHEMA = "image-skill.in-flight.v1"
IN_FLIGHT_DIRNAME = "in-flight"
SAME_ARGUMENTS = "<same arguments>"
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
NOTE = (
    "a live spend is in flight and may hold a credit reservation; if this command does not "
    "finish, run it again with this idempotency key (doctor --json prints the exact command): "
    "the server then replays the original result or releases the reservation, and never "
    "charges twice"
)


def in_flight_dir(config_file: Path | None = None) -> Path:
    """``<directory of the config file>/in-flight``."""
    if config_file is None:
        from image_skill.config import config_path

        config_file = config_path()
    return config_file.parent / IN_FLIGHT_DIRNAME


def sanitize_key(key: str) -> str:
    """A file-name stem for ``key``: safe characters only, never hidden, never ``..``.

    0.1.70's rule (replace, strip leading dots, cut to 120). A key that had to be changed
    (or shortened) gets a short hash of the original appended, so two different keys cannot
    share a breadcrumb.
    """
    stem = _UNSAFE.sub("_", key).lstrip(".")[:_MAX_NAME]
    if stem != key or not stem:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        stem = f"{stem}-{digest}" if stem else f"key-{digest}"
    return stem


def breadcrumb_path(key: str, directory: Path | None = None) -> Path:
    return (directory or in_flight_dir()) / f"{sanitize_key(key)}.json"


def _now() -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def recover_template(operation: str, key: str) -> str:
    """0.1.70's ``recover_command`` text, with the literal ``<same arguments>``."""
    return f"image-skill {operation} --idempotency-key {key} {SAME_ARGUMENTS} --json"


def write(
    key: str,
    *,
    operation: str,
    argv: Sequence[str],
    api_base_url: str | None = None,
    directory: Path | None = None,
    token_note: Mapping[str, str] | None = None,
) -> Path:
    """Write the breadcrumb for ``key`` atomically (mode 0600); raise OSError on failure.

    ``operation`` is the command words (``create``, ``edit``, ``credits buy``), ``argv`` the
    words after them. ``token_note`` (``token_source``, ``token_hint``) is recorded when the
    replay needs the request's own token piped in.
    """
    path = breadcrumb_path(key, directory)
    _ensure_folder(path.parent)
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "command": f"image-skill {operation}",
        "operation": operation,
        "idempotency_key": key,
        "recover_command": recover_template(operation, key),
        "argv": list(argv),
        "started_at": _now(),
    }
    if api_base_url is not None:
        record["api_base_url"] = api_base_url
    record.update(token_note or {})
    if redact_tree(record):
        # A token pasted into the prompt (or a key) is not stored; the replay then needs
        # the original value put back by hand, and doctor says so.
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
    operation: str = "create"
    error: str | None = None

    def notice(self) -> str:
        return notice_line(self.key, self.operation)

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
    operation: str,
    argv: Sequence[str],
    api_base_url: str | None = None,
    directory: Path | None = None,
    token_note: Mapping[str, str] | None = None,
) -> Breadcrumb:
    """Write the breadcrumb before a live spend; a write failure is recorded, not raised."""
    folder = directory or in_flight_dir()
    try:
        path: Path | None = write(
            key,
            operation=operation,
            argv=argv,
            api_base_url=api_base_url,
            directory=folder,
            token_note=token_note,
        )
        error = None
    except OSError as exc:
        path, error = None, exc.strerror or exc.__class__.__name__
    return Breadcrumb(key, path, folder, operation, error)


def notice_line(key: str, operation: str = "create") -> str:
    """The one-line stderr notice printed when a live spend starts (0.1.70's keys)."""
    payload = {
        "in_flight": {
            "command": f"image-skill {operation}",
            "idempotency_key": key,
            "recover_command": recover_template(operation, key),
            "note": NOTE,
        }
    }
    redact_tree(payload)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
