"""The invariants every run of the CLI must keep, as a checker that lists what went wrong.

``envelope_problems`` returns an empty list when stdout is exactly one valid JSON envelope
(strict JSON, the contract's keys and types), the exit code is a contract code (0-9 or 130)
that agrees with ``ok``, the failure is not an internal error (``PUBLIC_CLI_FAILED``) and
stderr holds no traceback. Tests assert the list is empty; the reliability benchmark counts
the runs whose list is not.
"""

from __future__ import annotations

import json
from typing import Any

#: Exit codes the contract allows: 0 ok, 1 generic ... 9 filesystem, 130 interrupted.
CONTRACT_EXIT_CODES = frozenset({*range(10), 130})
INTERNAL_ERROR = "PUBLIC_CLI_FAILED"


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON token {token}")


def parse_one_envelope(stdout: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(envelope, None)`` when stdout is one strict JSON object, else ``(None, reason)``."""
    if not stdout.strip():
        return None, "stdout is empty"
    try:
        value = json.loads(stdout, parse_constant=_reject_constant)
    except ValueError as exc:
        return None, f"stdout is not one JSON document ({exc.__class__.__name__}: {exc})"
    if not isinstance(value, dict):
        return None, f"stdout is JSON {type(value).__name__}, not an object"
    if not stdout.endswith("\n"):
        return None, "stdout does not end with a newline"
    return value, None


def shape_problems(envelope: dict[str, Any]) -> list[str]:
    """What makes the envelope unusable: ``ok`` must be exactly true or false, a failure
    needs an ``error`` object with a string ``code`` and a success's ``error`` is null or an
    object (the well-formedness the client itself applies to server replies)."""
    problems: list[str] = []
    ok = envelope.get("ok")
    if not isinstance(ok, bool):
        problems.append(f"ok is {ok!r}, not a boolean")
    error = envelope.get("error")
    if ok is True and error is not None and not isinstance(error, dict):
        problems.append(f"ok is true but error is {type(error).__name__}")
    if ok is False:
        if not isinstance(error, dict):
            problems.append(f"ok is false but error is {type(error).__name__}, not an object")
        elif not isinstance(error.get("code"), str):
            problems.append(f"error.code is {error.get('code')!r}, not a string")
    return problems


def envelope_problems(
    stdout: str, stderr: str, exit_code: int, *, allow_internal: bool = False
) -> list[str]:
    """Every broken invariant of one CLI run (empty when the run behaved)."""
    problems: list[str] = []
    if exit_code not in CONTRACT_EXIT_CODES:
        problems.append(f"exit code {exit_code} is not a contract code")
    if "Traceback (most recent call last)" in stderr or "Traceback (most recent" in stdout:
        problems.append("a traceback was printed")
    envelope, reason = parse_one_envelope(stdout)
    if envelope is None:
        problems.append(reason or "no envelope")
        return problems
    problems += shape_problems(envelope)
    ok = envelope.get("ok")
    if ok is True and exit_code != 0:
        problems.append(f'"ok": true with exit code {exit_code}')
    if ok is False and exit_code == 0:
        problems.append('"ok": false with exit code 0')
    error = envelope.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if code == INTERNAL_ERROR and not allow_internal:
        problems.append(f"internal error: {error.get('message') if error else ''}")
    if code == "INTERRUPTED" and exit_code != 130:
        problems.append(f"INTERRUPTED with exit code {exit_code}")
    if exit_code == 130 and code != "INTERRUPTED":
        problems.append(f"exit code 130 with error code {code!r}")
    return problems


def envelope_of(stdout: str) -> dict[str, Any]:
    """The parsed envelope (assert-style, for tests that already checked the problems)."""
    envelope, reason = parse_one_envelope(stdout)
    assert envelope is not None, reason
    return envelope
