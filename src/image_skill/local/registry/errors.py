"""The one exception type raised by the pure registry, pricing and capability modules.

The FastAPI layer turns it into an error envelope: ``code`` and ``message`` go to
``error``, ``recovery`` (when set) to ``error.recovery``, and ``details`` may be merged
into the recovery block or logged. Nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any

from image_skill.envelope import INVALID_ARGUMENTS
from image_skill.local.errors import CODE_EXIT

__all__ = [
    "BUDGET_GUARD_EXCEEDED",
    "BUDGET_REQUIRES_CONFIRMATION",
    "INVALID_ARGUMENTS",
    "MODEL_PARAMETERS_INVALID",
    "RegistryError",
]

MODEL_PARAMETERS_INVALID = "MODEL_PARAMETERS_INVALID"
BUDGET_REQUIRES_CONFIRMATION = "BUDGET_REQUIRES_CONFIRMATION"
BUDGET_GUARD_EXCEEDED = "BUDGET_GUARD_EXCEEDED"


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
        """The backend's exit code for ``code`` (server.md §2.6; every registry code is 2)."""
        return CODE_EXIT.get(self.code, 1)

    def __repr__(self) -> str:
        return f"RegistryError({self.code!r}, {self.message!r})"
