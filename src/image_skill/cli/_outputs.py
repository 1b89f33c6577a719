"""``--output PATH_OR_DIR`` of `create` and `edit`: the checks that run before anything is
spent, and the verified download of the created assets afterwards.

Standard library only at import time (the CLI imports this module at start-up).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image_skill import envelope as E
from image_skill.cli._app import AppState, CommandFailed
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient


def output_is_directory(output: str) -> bool:
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def assets_get_words(reference: str, target: Path, overwrite: bool) -> list[str]:
    """The `assets get` command that downloads ``reference`` to ``target`` again."""
    words = ["assets", "get", reference, "--output", str(target)]
    if overwrite:
        words.append("--overwrite")
    return [*words, "--json"]


def _unwritable(folder: Path) -> str | None:
    """Why files cannot be created under ``folder`` (made on demand), or None."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return "no part of the path exists"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return None


def precheck_output(label: str, output: str | None, overwrite: bool, count: int | None) -> None:
    """Checks that can fail before anything is spent."""
    if output is None:
        return
    where = Path(os.path.abspath(os.path.expanduser(output)))
    folder = where if output_is_directory(output) else where.parent
    problem = _unwritable(folder)
    if problem is not None:
        raise CommandFailed(
            E.error_result(
                label,
                E.OUTPUT_NOT_WRITABLE,
                f"--output {where} cannot be written: {problem}",
                recovery={"output_path": str(where), "hint": "choose another --output"},
            )
        )
    if not output_is_directory(output):
        if count is not None and count > 1:
            raise CommandFailed(
                E.invalid(label, "--output must be a directory when --output-count is above 1")
            )
        target = Path(os.path.abspath(os.path.expanduser(output)))
        if not overwrite and (target.exists() or target.is_symlink()):
            raise CommandFailed(
                E.error_result(
                    label,
                    E.OUTPUT_EXISTS,
                    f"output path already exists: {target}",
                    recovery={"hint": "pass --overwrite or choose another --output"},
                )
            )


def download_outputs(
    app: AppState,
    client: ImageSkillClient,
    result: Result,
    *,
    label: str,
    output: str,
    overwrite: bool,
) -> Result:
    """Download every asset of a successful create/edit into ``output``.

    The results go to ``data.downloads``. A failed download turns the envelope into a
    failure (the job's data is kept) whose recovery downloads again without spending.
    """
    from image_skill.files.downloads import DownloadError, derive_output_path, download_asset

    data = result.data
    if not result.ok or not isinstance(data, dict):
        return result
    assets = [a for a in data.get("assets") or [] if isinstance(a, dict)]
    downloads: list[dict[str, Any]] = []
    data["downloads"] = downloads
    cwd = Path.cwd()
    for number_, asset in enumerate(assets):
        target = derive_output_path(asset, output, cwd)
        if number_ and not output_is_directory(output):
            target = target.with_name(f"{target.stem}-{number_ + 1}{target.suffix}")
        url = asset.get("url")
        try:
            if not isinstance(url, str):
                raise DownloadError(
                    E.ASSET_DOWNLOAD_FAILED,
                    "the asset has no URL to download",
                    exit_code=7,
                    retryable=False,
                )
            info = download_asset(
                client, asset, url, target, overwrite=overwrite, timeout=app.timeout
            )
        except DownloadError as exc:
            return _download_failed(app, result, label, asset, target, overwrite, exc)
        downloads.append({"asset_id": asset.get("asset_id"), **info})
    return result


def _download_failed(
    app: AppState,
    result: Result,
    label: str,
    asset: Mapping[str, Any],
    target: Path,
    overwrite: bool,
    exc: Exception,
) -> Result:
    from image_skill.files.downloads import DownloadError

    assert isinstance(exc, DownloadError)
    asset_ref = asset.get("url") or asset.get("asset_id") or "ASSET_ID"
    args = assets_get_words(str(asset_ref), target, overwrite)
    data = result.data
    job_id = data.get("job_id") if isinstance(data, dict) else None
    failed = exc.to_result(
        label,
        recovery={
            "suggested_command": app.render(args),
            "job_id": job_id,
            "note": "the job succeeded and was charged; only the download failed, so do not "
            "re-run the create",
        },
    )
    error = failed.error or {}
    error["message"] = f"job {job_id} succeeded but its download failed: {exc}"
    envelope = result.envelope
    envelope["ok"] = False
    envelope["error"] = error
    return Result(envelope, failed.exit_code)
