"""The JSON envelope every command prints, the exit codes, and the error codes.

This module is dependency-free on purpose so that the fast paths (`version`, `--help`)
can build envelopes without importing pydantic. The typed pydantic view of the same
envelope lives in :mod:`image_skill.models`.

An envelope is a plain ``dict`` with the keys, in order::

    ok, command, trace_id, actor, data, warnings, error

and ``error`` is ``None`` or ``{code, message, retryable[, recovery]}``.
Server envelopes are relayed as the dicts they were parsed into, so keys we do not
know survive unchanged.
"""

from __future__ import annotations

import os
from enum import IntEnum

from image_skill._constants import DOCS_URL

TYPE_CHECKING = False  # typing costs every call ~3 ms; only mypy needs it
if TYPE_CHECKING:
    from typing import Any

    from image_skill.models import Envelope as EnvelopeModel

    Envelope = dict[str, Any]
else:
    Envelope = dict


class ExitCode(IntEnum):
    OK = 0
    GENERIC = 1
    INVALID_ARGUMENTS = 2
    AUTH = 3
    CAPABILITY_DENIED = 4
    QUOTA = 5
    CONTENT_POLICY = 6
    PROVIDER = 7
    TIMEOUT = 8
    FILESYSTEM = 9
    INTERRUPTED = 130


# Error codes the client emits itself (contract §11) plus our additions.
INVALID_ARGUMENTS = "INVALID_ARGUMENTS"
PUBLIC_CLI_COMMAND_NOT_AVAILABLE = "PUBLIC_CLI_COMMAND_NOT_AVAILABLE"
PAYMENT_CREDENTIAL_FLAG_REJECTED = "PAYMENT_CREDENTIAL_FLAG_REJECTED"
UPLOAD_MIME_TYPE_UNKNOWN = "UPLOAD_MIME_TYPE_UNKNOWN"
AUTH_REQUIRED = "AUTH_REQUIRED"
HOSTED_API_REQUEST_FAILED = "HOSTED_API_REQUEST_FAILED"
REMOTE_UPLOAD_FETCH_FAILED = "REMOTE_UPLOAD_FETCH_FAILED"
ASSET_DOWNLOAD_FAILED = "ASSET_DOWNLOAD_FAILED"
HOSTED_API_NON_JSON_RESPONSE = "HOSTED_API_NON_JSON_RESPONSE"
TIMEOUT = "TIMEOUT"
OUTPUT_EXISTS = "OUTPUT_EXISTS"
UPLOAD_ASSET_ID_MISSING = "UPLOAD_ASSET_ID_MISSING"
PUBLIC_CLI_CONFIG_WRITE_FAILED = "PUBLIC_CLI_CONFIG_WRITE_FAILED"
PUBLIC_CLI_FAILED = "PUBLIC_CLI_FAILED"
INTERRUPTED = "INTERRUPTED"
# Ours: a config file that exists but cannot be parsed.
PUBLIC_CLI_CONFIG_INVALID = "PUBLIC_CLI_CONFIG_INVALID"
# Ours: a local file the command needs is missing or unreadable.
INPUT_FILE_UNREADABLE = "INPUT_FILE_UNREADABLE"
# Ours: an upload bigger than the client-side limit.
UPLOAD_TOO_LARGE = "UPLOAD_TOO_LARGE"
# Ours: the local backend extra is not installed.
LOCAL_BACKEND_UNAVAILABLE = "LOCAL_BACKEND_UNAVAILABLE"
# Ours: create/edit --output names a place where no file can be written.
OUTPUT_NOT_WRITABLE = "OUTPUT_NOT_WRITABLE"
# Ours: the API redirected a request to another origin (or too often); it was not followed.
HOSTED_API_REDIRECT_REFUSED = "HOSTED_API_REDIRECT_REFUSED"

#: Exit code for every code the client emits itself.
CLIENT_EXIT_CODES: dict[str, int] = {
    INVALID_ARGUMENTS: 2,
    PUBLIC_CLI_COMMAND_NOT_AVAILABLE: 2,
    PAYMENT_CREDENTIAL_FLAG_REJECTED: 2,
    UPLOAD_MIME_TYPE_UNKNOWN: 2,
    AUTH_REQUIRED: 3,
    HOSTED_API_REQUEST_FAILED: 7,
    REMOTE_UPLOAD_FETCH_FAILED: 7,
    ASSET_DOWNLOAD_FAILED: 7,
    TIMEOUT: 8,
    OUTPUT_EXISTS: 9,
    UPLOAD_ASSET_ID_MISSING: 9,
    PUBLIC_CLI_CONFIG_WRITE_FAILED: 9,
    PUBLIC_CLI_FAILED: 1,
    INTERRUPTED: 130,
    PUBLIC_CLI_CONFIG_INVALID: 9,
    INPUT_FILE_UNREADABLE: 9,
    UPLOAD_TOO_LARGE: 2,
    LOCAL_BACKEND_UNAVAILABLE: 1,
    OUTPUT_NOT_WRITABLE: 9,
    HOSTED_API_REDIRECT_REFUSED: 7,
}


def new_trace_id() -> str:
    """A fresh ``trace_`` id: 8 random bytes as 16 lowercase hex characters."""
    # os.urandom is what ``secrets.token_hex`` reads; importing secrets (hmac, hashlib,
    # random) would cost ~5 ms of every CLI call's start-up.
    return "trace_" + os.urandom(8).hex()


def build(
    *,
    ok: bool,
    command: str,
    data: Any = None,
    actor: Any = None,
    warnings: list[str] | None = None,
    error: dict[str, Any] | None = None,
    trace_id: str | None = None,
) -> Envelope:
    """The one envelope builder (keys in the contract order); a fresh trace id unless one
    is given. The CLI's envelopes and the local backend's replies are all built here."""
    return {
        "ok": ok,
        "command": command,
        "trace_id": trace_id or new_trace_id(),
        "actor": actor,
        "data": data,
        "warnings": list(warnings or []),
        "error": error,
    }


def error_block(
    code: str, message: str, *, retryable: bool = False, recovery: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``{code, message, retryable[, recovery]}``: ``recovery`` only when there is one."""
    error: dict[str, Any] = {"code": code, "message": message, "retryable": retryable}
    if recovery is not None:
        error["recovery"] = recovery
    return error


def success(
    command: str,
    data: Any,
    *,
    warnings: list[str] | None = None,
    actor: Any = None,
) -> Envelope:
    return build(ok=True, command=command, data=data, actor=actor, warnings=warnings)


def failure(
    command: str,
    code: str,
    message: str,
    *,
    retryable: bool = False,
    recovery: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> Envelope:
    error = error_block(code, message, retryable=retryable, recovery=recovery)
    return build(ok=False, command=command, warnings=warnings, error=error)


class Result:
    """An envelope plus the process exit code it maps to."""

    __slots__ = ("envelope", "exit_code")

    def __init__(self, envelope: Envelope, exit_code: int) -> None:
        self.envelope = envelope
        self.exit_code = exit_code

    @property
    def ok(self) -> bool:
        """True only when the envelope says ``"ok": true`` (not ``1``, ``"yes"``, ...)."""
        return self.envelope.get("ok") is True

    @property
    def data(self) -> Any:
        return self.envelope.get("data")

    @property
    def error(self) -> dict[str, Any] | None:
        err = self.envelope.get("error")
        return err if isinstance(err, dict) else None

    def model(self) -> EnvelopeModel:
        """The envelope as a validated pydantic model (attribute access, extra keys kept).

        Raises ``pydantic.ValidationError`` when the envelope is malformed.
        """
        from image_skill.models import parse_envelope

        return parse_envelope(self.envelope)

    def __repr__(self) -> str:
        return f"Result(exit_code={self.exit_code}, ok={self.ok})"


def ok_result(
    command: str, data: Any, *, warnings: list[str] | None = None, actor: Any = None
) -> Result:
    return Result(success(command, data, warnings=warnings, actor=actor), 0)


def error_result(
    command: str,
    code: str,
    message: str,
    *,
    retryable: bool = False,
    recovery: dict[str, Any] | None = None,
    exit_code: int | None = None,
    warnings: list[str] | None = None,
) -> Result:
    env = failure(command, code, message, retryable=retryable, recovery=recovery, warnings=warnings)
    return Result(env, exit_code if exit_code is not None else CLIENT_EXIT_CODES.get(code, 1))


def invalid(command: str, message: str, *, recovery: dict[str, Any] | None = None) -> Result:
    """Argument validation failure: exit 2, with the docs link unless a recovery is given."""
    return error_result(
        command,
        INVALID_ARGUMENTS,
        message,
        recovery=recovery if recovery is not None else {"docs_url": DOCS_URL},
    )


def with_command(envelope: Envelope, command: str) -> Envelope:
    """Set ``command``, keeping its position when present (appending it otherwise)."""
    envelope["command"] = command
    return envelope
