"""The errors of a download (:class:`DownloadError`) and the ones it is built from.

Standard library only; :mod:`image_skill.files.downloads` re-exports :class:`DownloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image_skill import envelope as E
from image_skill._constants import ALLOW_PRIVATE_NETWORK_ENV, ALLOW_PRIVATE_NETWORK_FLAG
from image_skill.envelope import Result
from image_skill.files.refusals import refusal_recovery

if TYPE_CHECKING:
    from image_skill.api.netpolicy import DestinationRefused

__all__ = ["DownloadError", "exists_error", "failed", "not_regular_error", "refused", "timed_out"]


class DownloadError(Exception):
    """A download that did not produce a verified file at the target."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        exit_code: int,
        retryable: bool,
        recovery: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code
        self.retryable = retryable
        self.recovery = recovery

    def to_result(self, label: str, *, recovery: Mapping[str, Any] | None = None) -> Result:
        """The failure envelope; ``recovery`` entries are merged over the error's own."""
        merged: dict[str, Any] | None = None
        if self.recovery is not None or recovery:
            merged = {**(self.recovery or {}), **(recovery or {})}
        return E.error_result(
            label,
            self.code,
            self.message,
            retryable=self.retryable,
            recovery=merged,
            exit_code=self.exit_code,
        )


def failed(message: str, *, retryable: bool = True, exit_code: int = 7) -> DownloadError:
    recovery = {"retry_after_seconds": 5} if retryable else None
    return DownloadError(
        E.ASSET_DOWNLOAD_FAILED,
        message,
        exit_code=exit_code,
        retryable=retryable,
        recovery=recovery,
    )


def timed_out(message: str) -> DownloadError:
    return DownloadError(
        E.TIMEOUT, message, exit_code=8, retryable=True, recovery={"retry_after_seconds": 5}
    )


def exists_error(target: Path, kind: str | None, *, during: bool = False) -> DownloadError:
    message = f"output path already exists: {target}"
    if during:
        message += " (it appeared while the download ran, so the download was not put there)"
    if kind is None:
        fix = "pass --overwrite or another --output"
    else:
        message += f"; it is {kind}, which --overwrite never replaces"
        fix = "choose another --output"
    return DownloadError(
        E.OUTPUT_EXISTS,
        message,
        exit_code=9,
        retryable=False,
        recovery={"output_path": str(target), "fix": fix},
    )


def not_regular_error(target: Path, kind: str) -> DownloadError:
    return DownloadError(
        E.OUTPUT_NOT_WRITABLE,
        f"output path {target} is {kind}; --overwrite replaces regular files only",
        exit_code=9,
        retryable=False,
        recovery={"output_path": str(target), "fix": "choose another --output"},
    )


def refused(exc: DestinationRefused) -> DownloadError:
    """``INVALID_ARGUMENTS`` (the code of a refused URL input): the asset URL, or a redirect
    from it, points where the network policy forbids; nothing connected there."""
    recovery = refusal_recovery(
        exc,
        opt_in_fix=(
            "if this host is your own machine or private network and you trust it, fetch the "
            f"asset with {ALLOW_PRIVATE_NETWORK_FLAG} (or set {ALLOW_PRIVATE_NETWORK_ENV}=1)"
        ),
        refused_fix=(
            f"this destination is refused even with {ALLOW_PRIVATE_NETWORK_FLAG}; check that "
            "--api-base-url names the API you meant"
        ),
    )
    return DownloadError(
        E.INVALID_ARGUMENTS,
        f"refused to download the asset: {exc.reason}; asset URLs are fetched only from the "
        "API's own origin, the hosted media host and public internet addresses",
        exit_code=2,
        retryable=False,
        recovery=recovery,
    )
