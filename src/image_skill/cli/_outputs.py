"""``--output PATH_OR_DIR`` of `create` and `edit`: the checks that run before anything is
spent, and the verified download of the created assets afterwards.

Standard library only at import time (the CLI imports this module at start-up).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
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
        from image_skill.files.downloads import DownloadError, check_target

        try:
            check_target(where, overwrite)
        except DownloadError as exc:
            hint = (exc.recovery or {}).get("fix")
            raise CommandFailed(exc.to_result(label, recovery={"hint": hint})) from None


def download_outputs(
    app: AppState,
    client: ImageSkillClient,
    result: Result,
    *,
    label: str,
    output: str,
    overwrite: bool,
    keep_identical: bool = False,
) -> Result:
    """Download every asset of a successful create/edit into ``output``.

    ``keep_identical`` (batch create): into a directory, a file already at an asset's name
    that holds exactly that asset (size and sha256) is kept and reported
    (``already_present: true``) instead of downloading a second copy.

    The results go to ``data.downloads``. Into a directory, a name that is taken (by an
    earlier file, or by another asset of this job with the same name) becomes ``name-2.ext``,
    ``name-3.ext``, ...; with ``--overwrite`` an earlier file is replaced, but never one this
    job just wrote. A failed download turns the envelope into a failure (the job's data is
    kept) whose recovery fetches the missing assets without spending again; so does Ctrl-C
    or SIGTERM (``INTERRUPTED``, exit 130).
    """
    from image_skill.files import downloads as D

    data = result.data
    if not result.ok or not isinstance(data, dict):
        return result
    assets = [a for a in data.get("assets") or [] if isinstance(a, dict)]
    downloads: list[dict[str, Any]] = []
    data["downloads"] = downloads
    directory = output_is_directory(output)
    cwd = Path.cwd()
    planned: list[tuple[dict[str, Any], Path]] = []
    for number_, asset in enumerate(assets):
        target = D.derive_output_path(asset, output, cwd)
        if number_ and not directory:
            target = target.with_name(f"{target.stem}-{number_ + 1}{target.suffix}")
        planned.append((asset, target))
    written: set[Path] = set()
    try:
        for number_, (asset, target) in enumerate(planned):
            if overwrite and target in written:
                target = _free_target(target, written, overwrite=True)
            if keep_identical and directory and target not in written:
                from image_skill.files.existing import existing_copy

                present = existing_copy(target, asset)
                if present is not None:
                    written.add(target)
                    downloads.append({"asset_id": asset.get("asset_id"), **present})
                    continue
            url = asset.get("url")
            try:
                if not isinstance(url, str):
                    raise D.DownloadError(
                        E.ASSET_DOWNLOAD_FAILED,
                        "the asset has no URL to download",
                        exit_code=7,
                        retryable=False,
                    )
                info = D.download_asset(
                    client,
                    asset,
                    url,
                    target,
                    overwrite=overwrite,
                    unique_name=not overwrite and (directory or number_ > 0),
                    timeout=app.timeout,
                )
            except D.DownloadError as exc:
                return _download_failed(app, result, label, planned[number_:], overwrite, exc)
            written.add(Path(info["output_path"]))
            downloads.append({"asset_id": asset.get("asset_id"), **info})
    except KeyboardInterrupt:
        return _download_interrupted(app, result, planned[len(downloads) :], overwrite)
    return result


# -- recoveries ------------------------------------------------------------------------------

Pending = Sequence[tuple[Mapping[str, Any], Path]]


def _free_target(target: Path, reserved: set[Path], *, overwrite: bool) -> Path:
    """The first of ``target``, ``name-2.ext``, ... not in ``reserved`` that a download can
    use: free, or (with ``overwrite``) a regular file."""
    from image_skill.files.placement import candidate_names, non_regular_kind

    for candidate in candidate_names(target):
        if candidate in reserved:
            continue
        if not os.path.lexists(candidate):
            return candidate
        if overwrite and non_regular_kind(candidate) is None:
            return candidate
    return target


def _reference(asset: Mapping[str, Any]) -> str:
    """How `assets get` names ``asset``: its id when it has one, else its URL."""
    from image_skill.files.refs import is_asset_id

    asset_id = asset.get("asset_id")
    if isinstance(asset_id, str) and is_asset_id(asset_id):
        return asset_id
    url = asset.get("url")
    return url if isinstance(url, str) and url else "ASSET_ID"


def _fetch_commands(app: AppState, pending: Pending, overwrite: bool) -> list[str]:
    """One runnable `assets get` per asset still to fetch, each to its own usable path (a
    name now taken by a file, a link or another pending asset moves on to ``name-N``)."""
    reserved: set[Path] = set()
    commands: list[str] = []
    for asset, planned in pending:
        target = _free_target(planned, reserved, overwrite=overwrite)
        reserved.add(target)
        commands.append(app.render(assets_get_words(_reference(asset), target, overwrite)))
    return commands


def _as_failure(result: Result, error: dict[str, Any], exit_code: int) -> Result:
    """The create/edit envelope (its data kept: the job was charged) turned into a failure."""
    envelope = result.envelope
    envelope["ok"] = False
    envelope["error"] = error
    return Result(envelope, exit_code)


def _download_failed(
    app: AppState,
    result: Result,
    label: str,
    pending: Pending,
    overwrite: bool,
    exc: Exception,
) -> Result:
    from image_skill.files.downloads import DownloadError

    assert isinstance(exc, DownloadError)
    commands = _fetch_commands(app, pending, overwrite)
    data = result.data
    job_id = data.get("job_id") if isinstance(data, dict) else None
    recovery: dict[str, Any] = {
        "suggested_command": commands[0],
        "job_id": job_id,
        "note": "the job succeeded and was charged; only the download failed, so do not "
        "re-run the create",
    }
    if len(commands) > 1:
        recovery["suggested_commands"] = commands
    failed = exc.to_result(label, recovery=recovery)
    error = failed.error or {}
    error["message"] = f"job {job_id} succeeded but its download failed: {exc}"
    return _as_failure(result, error, failed.exit_code)


def _download_interrupted(
    app: AppState, result: Result, pending: Pending, overwrite: bool
) -> Result:
    """Ctrl-C or SIGTERM during the download: the spend is done, so say what was bought."""
    data = result.data if isinstance(result.data, dict) else {}
    job_id = data.get("job_id")
    assets = [a for a in data.get("assets") or [] if isinstance(a, dict)]
    commands = _fetch_commands(app, pending, overwrite)
    recovery: dict[str, Any] = {
        "spend_succeeded": True,
        "job_id": job_id,
        "asset_ids": [a.get("asset_id") for a in assets],
        "asset_urls": [a.get("url") for a in assets],
        "note": "the job succeeded and was charged before the interrupt; fetch its assets "
        "with the suggested commands (they spend nothing) and do not re-run the create",
    }
    if commands:
        recovery["suggested_command"] = commands[0]
        recovery["suggested_commands"] = commands
    noun = "asset" if len(pending) == 1 else "assets"
    error = {
        "code": E.INTERRUPTED,
        "message": f"interrupted while downloading; job {job_id} succeeded and was charged, "
        f"and {len(pending)} {noun} of it still need fetching (no partial file was left)",
        "retryable": True,
        "recovery": recovery,
    }
    return _as_failure(result, error, int(E.ExitCode.INTERRUPTED))
