"""The CLI's side of an API call: a :class:`~image_skill.api.reply.Reply` becomes the
:class:`~image_skill.envelope.Result` a command prints (envelope and exit code).

The API client knows no command line. Here, and only here, a reply gets what being a
command adds to it:

* the exit code: 0 for an ok envelope; for a failure the server's
  ``x-image-skill-exit-code`` header when it names one of the contract's codes 0-9, else
  one mapped from the HTTP status; a failure the client built itself (no reply, a refused
  redirect) maps by its error code;
* for a failure the client built: the command label (the invocation's, e.g.
  ``image-skill credits buy``) in place of the HTTP description, and the suggested
  command of its recovery: the caller's same-key recovery command for a spend (with the
  spend's docs anchor when the reply was no envelope), ``doctor --json`` when the API
  could not be reached at all.

Server envelopes are relayed unchanged. Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.reply import Reply

__all__ = [
    "SERVER_EXIT_CODES",
    "SPEND_DOCS",
    "header_exit_code",
    "reply_exit_code",
    "status_exit_code",
    "to_result",
]

EXIT_CODE_HEADER = "x-image-skill-exit-code"

#: The exit codes a server may name (contract: 0 ok, 1 generic ... 9 filesystem).
SERVER_EXIT_CODES = range(0, 10)

#: Docs anchors for the spend commands' non-JSON recovery (contract §4.1).
SPEND_DOCS = {
    "image-skill create": f"{C.DOCS_URL}#image-skill-create",
    "image-skill edit": f"{C.DOCS_URL}#image-skill-edit",
}


def status_exit_code(status: int) -> int:
    if status in (401, 403):
        return 3
    if status in (402, 429):
        return 5
    if status >= 500:
        return 7
    return 1


def header_exit_code(value: str) -> int | None:
    """The exit code an ``x-image-skill-exit-code`` header names, or None.

    Only the contract's codes 0-9 are taken (``""`` reads as 0, like the npm client). Any
    other value (``42``, ``-1``, ``130``, ``abc``, ``inf``) is None, so the caller maps the
    HTTP status instead: a server cannot make the CLI exit with a code outside the contract.
    """
    text = value.strip()
    if text == "":
        return 0
    try:
        code = int(float(text))
    except (ValueError, OverflowError):  # "abc", "nan"; "inf", "1e400"
        return None
    return code if code in SERVER_EXIT_CODES else None


def reply_exit_code(reply: Reply) -> int:
    """The process exit code for ``reply`` (see the module docstring)."""
    if reply.ok:
        # The printed envelope decides success: exit 0 iff it says ``"ok": true``. A
        # non-zero header on an ok envelope breaks the server contract and is ignored.
        return 0
    error = reply.envelope.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if reply.client_built and code != E.HOSTED_API_NON_JSON_RESPONSE:
        return E.CLIENT_EXIT_CODES.get(code, 1) if isinstance(code, str) else 1
    header = reply.headers.get(EXIT_CODE_HEADER)
    exit_code = header_exit_code(header) if header is not None else None
    if not exit_code:
        # A failure must never look like success, and a header outside the contract's
        # codes 0-9 (``42``) is not taken: the HTTP status decides instead.
        exit_code = status_exit_code(reply.status if reply.status is not None else 0)
    return exit_code


def to_result(
    reply: Reply,
    *,
    label: str,
    recovery_command: str | None = None,
    doctor_command: Callable[[], str],
) -> Result:
    """The result to print for ``reply`` of a request made by the command ``label``.

    ``recovery_command`` is the spend's same-key command (for requests sent with an
    idempotency key); ``doctor_command`` renders ``doctor --json`` with our prefix.
    """
    envelope = reply.envelope
    if reply.client_built:
        envelope = _labelled(envelope, label, recovery_command, doctor_command, reply)
    return Result(envelope, reply_exit_code(reply))


def _labelled(
    envelope: dict[str, Any],
    label: str,
    recovery_command: str | None,
    doctor_command: Callable[[], str],
    reply: Reply,
) -> dict[str, Any]:
    envelope = E.with_command(dict(envelope), label)
    error = envelope.get("error")
    recovery = error.get("recovery") if isinstance(error, dict) else None
    if not isinstance(error, dict) or not isinstance(recovery, dict):
        return envelope
    if "idempotency_key" in recovery:
        recovery = _insert_before(recovery, "idempotency_key", recovery_command)
        if error.get("code") == E.HOSTED_API_NON_JSON_RESPONSE:
            recovery["docs_url"] = SPEND_DOCS.get(label, C.DOCS_URL)
    elif reply.status is None:
        # The API did not answer at all: doctor says whether it can be reached.
        recovery = {"suggested_command": doctor_command(), **recovery}
    envelope["error"] = {**error, "recovery": recovery}
    return envelope


def _insert_before(recovery: dict[str, Any], key: str, command: str | None) -> dict[str, Any]:
    """``recovery`` with ``suggested_command`` placed just before ``key``."""
    out: dict[str, Any] = {}
    for name, value in recovery.items():
        if name == key:
            out["suggested_command"] = command
        out[name] = value
    return out
