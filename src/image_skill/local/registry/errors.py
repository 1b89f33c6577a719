"""The one exception type raised by the pure registry, pricing and capability modules.

The FastAPI layer turns it into an error envelope: ``code`` and ``message`` go to
``error``, ``recovery`` (when set) to ``error.recovery``, and ``details`` may be merged
into the recovery block or logged. Nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any

INVALID_ARGUMENTS = "INVALID_ARGUMENTS"
MODEL_PARAMETERS_INVALID = "MODEL_PARAMETERS_INVALID"
BUDGET_REQUIRES_CONFIRMATION = "BUDGET_REQUIRES_CONFIRMATION"
BUDGET_GUARD_EXCEEDED = "BUDGET_GUARD_EXCEEDED"

#: Process exit code each registry error maps to (server.md §2.6).
EXIT_CODES: dict[str, int] = {
    INVALID_ARGUMENTS: 2,
    MODEL_PARAMETERS_INVALID: 2,
    BUDGET_REQUIRES_CONFIRMATION: 2,
    BUDGET_GUARD_EXCEEDED: 2,
}


class RegistryError(Exception):
    """A request the registry refuses, with a machine-readable ``code``."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        recovery: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.recovery: dict[str, Any] | None = recovery

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.code, 1)

    def __repr__(self) -> str:
        return f"RegistryError({self.code!r}, {self.message!r})"
