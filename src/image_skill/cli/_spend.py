"""Pieces shared by `create` and `edit`: argument parsing, uploads, the guarded live spend
and the optional download of the results.

Money safety lives in :func:`run_spend`: the breadcrumb is written before the request, one
``in_flight`` line goes to stderr, Ctrl-C or SIGTERM during the request ends with
``INTERRUPTED`` (exit 130) and a recovery command that reuses the key, and the breadcrumb is
removed only once the outcome is known (see :mod:`image_skill.inflight`).

Standard library only at import time (the CLI imports this module at start-up).
"""

from __future__ import annotations

import json
import math
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import _constants as C
from .. import envelope as E
from ..envelope import Result
from ._app import AppState, CommandFailed

if TYPE_CHECKING:
    from ..client import ImageSkillClient
    from ..references import ReferencePlan


def reference_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The three repeatable reference flags of create and edit (contract §10.3)."""
    for name, metavar, text in reversed(
        [
            ("--element-frontal", "IMAGE[@ELEMENT]", "Frontal image of an element (repeatable)."),
            (
                "--element-reference",
                "IMAGE[@ELEMENT[:REF]]",
                "Extra view of an element (repeatable, up to 3 per element).",
            ),
            (
                "--reference-image",
                "IMAGE[@INDEX[:TASK]]",
                "Reference image; TASK is ip, id or style (repeatable).",
            ),
        ]
    ):
        func = click.option(name, multiple=True, metavar=metavar, help=text)(func)
    return func


def budget_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--max-estimated-usd-per-image",
            metavar="USD",
            help="Refuse to run when one output would debit more than this.",
        ),
        click.option(
            "--max-usd",
            metavar="USD",
            help="Refuse to run when the whole job would debit more than this.",
        ),
        click.option(
            "--accept-unknown-cost",
            is_flag=True,
            help="Allow models whose cost is not known before running.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


# -- argument values ------------------------------------------------------------------


def number(label: str, flag: str, value: str | None) -> int | float | None:
    """A finite number for a budget flag; integral values become ints (JSON ``1``, not ``1.0``).

    Unlike the npm client, which silently drops an unparsable budget, a bad value is an error:
    a budget guard must never disappear without notice.
    """
    if value is None:
        return None
    try:
        parsed = float(value.strip())
    except ValueError:
        parsed = math.nan
    if not math.isfinite(parsed):
        raise CommandFailed(E.invalid(label, f"--{flag} must be a number"))
    return int(parsed) if parsed.is_integer() and abs(parsed) < 2**53 else parsed


def positive_int(label: str, flag: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        parsed = float(value.strip())
    except ValueError:
        parsed = math.nan
    if not (math.isfinite(parsed) and parsed.is_integer() and parsed > 0):
        raise CommandFailed(E.invalid(label, f"{flag} must be a positive integer"))
    return int(parsed)


def json_object(label: str, flag: str, value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise CommandFailed(E.invalid(label, f"--{flag} must be a JSON object"))
    return parsed


def read_prompt_file(label: str, path: str) -> str:
    """The UTF-8 text of ``--prompt-file`` (relative to the working directory)."""
    target = Path(os.path.abspath(path))
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = (
            "not valid UTF-8"
            if isinstance(exc, UnicodeDecodeError)
            else (exc.strerror or exc.__class__.__name__)
        )
        raise CommandFailed(
            E.error_result(
                label,
                E.INPUT_FILE_UNREADABLE,
                f"could not read --prompt-file {target}: {reason}",
                recovery={"path": str(target), "docs_url": f"{C.DOCS_URL}#image-skill-create"},
            )
        ) from None


def reference_plan(
    label: str, frontal: Sequence[str], element: Sequence[str], image: Sequence[str]
) -> list[ReferencePlan]:
    from ..references import ReferenceFlagError, build_plan

    try:
        return build_plan(frontal, element, image)
    except ReferenceFlagError as exc:
        raise CommandFailed(E.invalid(label, str(exc))) from None


# -- uploads ------------------------------------------------------------------------------


def resolve_asset(client: ImageSkillClient, value: str, warnings: list[str]) -> str:
    """Asset id for an input/mask/reference, uploading paths and URLs first."""
    from ..uploads import UploadError, resolve_input_asset

    try:
        return resolve_input_asset(client, value, warnings=warnings)
    except UploadError as exc:
        raise CommandFailed(exc.result) from None


def resolve_references(
    client: ImageSkillClient, plans: Sequence[ReferencePlan], warnings: list[str]
) -> list[tuple[ReferencePlan, str]]:
    return [(plan, resolve_asset(client, plan.image, warnings)) for plan in plans]


def reference_args(resolved: Sequence[tuple[ReferencePlan, str]]) -> list[str]:
    """Reference flags naming the already-resolved asset ids, for recovery commands."""
    from ..references import format_value

    args: list[str] = []
    for plan, asset_id in resolved:
        args += [f"--{plan.flag}", format_value(_with_image(plan, asset_id))]
    return args


def _with_image(plan: ReferencePlan, image: str) -> ReferencePlan:
    from dataclasses import replace

    return replace(plan, image=image)


def add_warnings(result: Result, warnings: Sequence[str]) -> None:
    if not warnings:
        return
    current = result.envelope.get("warnings")
    if isinstance(current, list):
        current.extend(warnings)
    else:
        result.envelope["warnings"] = list(warnings)


# -- the guarded live spend --------------------------------------------------------------


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a spend is in flight, SIGTERM behaves like Ctrl-C (so it is reported)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_spend(
    app: AppState,
    *,
    label: str,
    key: str,
    recovery_command: str,
    summary: Mapping[str, Any],
    send: Callable[[], Result],
) -> Result:
    """Send a live spend request under a breadcrumb; see the module docstring."""
    from .. import inflight

    crumb = inflight.start(
        key,
        command_label=label,
        recovery_command=recovery_command,
        api_base_url=app.base_url(),
        request_summary=summary,
        directory=inflight.in_flight_dir(app.config_path()),
    )
    click.echo(crumb.notice(), err=True)
    try:
        with _sigterm_as_interrupt():
            result = send()
    except KeyboardInterrupt:
        return E.error_result(
            label,
            E.INTERRUPTED,
            "interrupted while the request was in flight; the outcome is unknown, so run the "
            "recovery command (it reuses the same idempotency key and cannot charge twice)",
            retryable=True,
            recovery={
                "suggested_command": recovery_command,
                "idempotency_key": key,
                "breadcrumb": str(crumb.path) if crumb.path else None,
                "docs_url": C.DOCS_URL,
            },
        )
    crumb.settle(result)
    warning = crumb.warning()
    add_warnings(result, [warning] if warning else [])
    return result


# -- downloads ------------------------------------------------------------------------------


def output_is_directory(output: str) -> bool:
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def precheck_output(label: str, output: str | None, overwrite: bool, count: int | None) -> None:
    """Checks that can fail before anything is spent."""
    if output is None:
        return
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
    from ..downloads import DownloadError, derive_output_path, download

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
        length = asset.get("content_length")
        sha256 = asset.get("sha256")
        try:
            if not isinstance(url, str):
                raise DownloadError(
                    E.ASSET_DOWNLOAD_FAILED,
                    "the asset has no URL to download",
                    exit_code=7,
                    retryable=False,
                )
            info = download(
                client,
                url,
                target,
                overwrite=overwrite,
                expected_length=length if type(length) is int else None,
                expected_sha256=sha256 if isinstance(sha256, str) else None,
                timeout=app.timeout,
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
    from ..downloads import DownloadError

    assert isinstance(exc, DownloadError)
    asset_ref = asset.get("url") or asset.get("asset_id") or "ASSET_ID"
    args = ["assets", "get", str(asset_ref), "--output", str(target), "--json"]
    if overwrite:
        args.insert(-1, "--overwrite")
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
