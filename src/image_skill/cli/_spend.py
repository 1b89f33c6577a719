"""Pieces shared by `create` and `edit`: argument parsing, uploads, the request body, the
recovery command and the guarded live spend (the ``--output`` download is in
:mod:`image_skill.cli._outputs`).

Money safety lives in :func:`run_spend`: the breadcrumb is written before the request, one
``in_flight`` line goes to stderr, Ctrl-C or SIGTERM during the request ends with
``INTERRUPTED`` (exit 130) and a recovery command that reuses the key, and the breadcrumb is
removed only once the outcome is known (see :mod:`image_skill.cli.inflight`).

Standard library only at import time (the CLI imports this module at start-up).
"""

from __future__ import annotations

import math
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill._js import js_trim, string_to_number
from image_skill.cli._app import AppState, CommandFailed
from image_skill.cli._outputs import download_outputs
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.api.reply import Reply
    from image_skill.cli.references import ReferencePlan


# -- argument values ------------------------------------------------------------------


def _parsed(value: str) -> float:
    """``Number(value)`` as the npm client reads a flag (``0x10`` is 16; ``1_0``, ``١`` and
    ``12abc`` are NaN, which Python's ``float`` would read as numbers), except that blank
    text is NaN here, not 0: an empty budget is an error, never a budget of zero."""
    if js_trim(value) == "":
        return math.nan
    return string_to_number(value)


def number(label: str, flag: str, value: str | None) -> int | float | None:
    """A finite number for a budget flag; integral values become ints (JSON ``1``, not ``1.0``).

    Unlike the npm client, which silently drops an unparsable budget, a bad value is an error:
    a budget guard must never disappear without notice.

    These stay plain checks called by the command, not click parameter types: click would
    convert every typed option while parsing, before the command's own checks (a missing
    prompt, a missing token), and with its own message; the npm client reports these values
    only after those, and tests pin that order and these messages.
    """
    if value is None:
        return None
    parsed = _parsed(value)
    if not math.isfinite(parsed):
        raise CommandFailed(E.invalid(label, f"--{flag} must be a number"))
    return int(parsed) if parsed.is_integer() and abs(parsed) < 2**53 else parsed


def positive_int(label: str, flag: str, value: str | None) -> int | None:
    """A whole number above zero (``2``, ``2.0`` and ``2e0`` all give ``2``); see :func:`number`."""
    if value is None:
        return None
    parsed = _parsed(value)
    if not (math.isfinite(parsed) and parsed.is_integer() and parsed > 0):
        raise CommandFailed(E.invalid(label, f"{flag} must be a positive integer"))
    return int(parsed)


def json_object(label: str, flag: str, value: str | None) -> dict[str, Any] | None:
    from image_skill.cli.inputs import json_object as parse

    return parse(label, flag, value)


def read_prompt_file(label: str, path: str) -> str:
    """The UTF-8 text of ``--prompt-file`` (see :mod:`image_skill.cli.inputs`)."""
    from image_skill.cli.inputs import read_prompt_file as read

    return read(label, path)


def reference_plan(
    label: str, frontal: Sequence[str], element: Sequence[str], image: Sequence[str]
) -> list[ReferencePlan]:
    from image_skill.cli.references import ReferenceFlagError, build_plan

    try:
        return build_plan(frontal, element, image)
    except ReferenceFlagError as exc:
        raise CommandFailed(E.invalid(label, str(exc))) from None


# -- uploads ------------------------------------------------------------------------------


def resolve_asset(app: AppState, client: ImageSkillClient, value: str, warnings: list[str]) -> str:
    """Asset id for an input/mask/reference, uploading paths and URLs first."""
    from image_skill.files.uploads import UPLOAD_LABEL, UploadError, resolve_input_asset

    def finish(reply: Reply) -> Result:
        return app.call(reply, label=UPLOAD_LABEL)

    try:
        # A bar on stderr while a path or URL is uploaded (--human at a terminal only).
        with app.out.progress(f"uploading {Path(value).name or value}") as progress:
            return resolve_input_asset(
                client, value, finish=finish, warnings=warnings, progress=progress
            )
    except UploadError as exc:
        raise CommandFailed(exc.result) from None


def resolve_references(
    app: AppState,
    client: ImageSkillClient,
    plans: Sequence[ReferencePlan],
    warnings: list[str],
) -> list[tuple[ReferencePlan, str]]:
    return [(plan, resolve_asset(app, client, plan.image, warnings)) for plan in plans]


def reference_args(resolved: Sequence[tuple[ReferencePlan, str]]) -> list[str]:
    """Reference flags naming the already-resolved asset ids, for recovery commands."""
    from image_skill.cli.references import format_value

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


# -- the request and its recovery command ---------------------------------------------------


def live_key(command: str, key: str | None, dry_run: bool, warnings: list[str]) -> str | None:
    """The idempotency key: the given one, none for a dry run, else a new one named in a
    warning so that a retry can reuse it."""
    if key is not None or dry_run:
        return key
    from image_skill.payments import SPEND_KEY_BYTES, new_idempotency_key

    key = new_idempotency_key(command, random_bytes=SPEND_KEY_BYTES)
    warnings.append(
        f"{KEY_WARNING_START} this {command} uses {key}. Retry with "
        f"--idempotency-key {key} so a retry cannot charge twice"
    )
    return key


KEY_WARNING_START = "no --idempotency-key given;"


def spend_warnings(result: Result, warnings: Sequence[str]) -> list[str]:
    """``warnings`` without :func:`live_key`'s retry advice when the server refused for
    certain (a final error such as BUDGET_GUARD_EXCEEDED spends nothing)."""
    from image_skill.cli.inflight import outcome_known

    if result.ok or not outcome_known(result):
        return list(warnings)
    return [w for w in warnings if not w.startswith(KEY_WARNING_START)]


def set_present(target: dict[str, Any], pairs: Sequence[tuple[str, object]]) -> None:
    """Copy each ``(name, value)`` whose value is not None into ``target``."""
    for name, value in pairs:
        if value is not None:
            target[name] = value


def flag_words(pairs: Sequence[tuple[str, str | None]]) -> list[str]:
    """``[flag, value, ...]`` for each flag that was given."""
    return [word for flag, value in pairs if value is not None for word in (flag, value)]


def recovery_tail(
    resolved: Sequence[tuple[ReferencePlan, str]],
    *,
    accept_unknown_cost: bool,
    output: str | None,
    overwrite: bool,
    key: str,
) -> list[str]:
    """The words every create/edit recovery command ends with, after its own flags."""
    words = ["--accept-unknown-cost"] if accept_unknown_cost else []
    words += reference_args(resolved)
    if output is not None:
        words += ["--output", os.path.abspath(os.path.expanduser(output))]
        if output.endswith(("/", os.sep)):
            words[-1] += os.sep
    if overwrite:
        words.append("--overwrite")
    return [*words, "--idempotency-key", key, "--json"]


# -- the guarded live spend --------------------------------------------------------------


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a spend is in flight, SIGTERM behaves like Ctrl-C (so it is reported).

    Under the CLI's own signal policy (:mod:`image_skill.cli.interrupts`, installed by
    ``main()``) SIGTERM is already handled that way, and only the first signal interrupts:
    this then does nothing, so that a second signal cannot cut the report of the first.
    """
    from image_skill.cli import interrupts

    if (
        interrupts.current() is not None
        or threading.current_thread() is not threading.main_thread()
    ):
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
    words: Sequence[str],
    recovery_command: str,
    send: Callable[[], Result],
) -> Result:
    """Send a live spend request under a breadcrumb; see the module docstring.

    ``words`` are the replay words (after the program prefix, ending in ``--json``) that
    ``recovery_command`` was rendered from by :func:`image_skill.cli._recovery.spend_command`,
    so it reaches the same account; the breadcrumb records them as its ``argv``. The token
    note goes into every recovery naming the command and into the breadcrumb.
    """
    from image_skill.cli import inflight
    from image_skill.cli._recovery import (
        annotate,
        spend_args,
        token_env_name,
        token_note,
        use_our_recovery_command,
    )
    from image_skill.commands import command_words

    note = token_note(app)
    operation = label.removeprefix("image-skill ")
    ctx = app.command_ctx()
    # The replay words with an explicit --api-base-url, as the recovery command has them.
    args = command_words(spend_args(app.token_source, words), ctx)[len(ctx.prefix) :]
    crumb = inflight.start(
        key,
        operation=operation,
        argv=args[len(operation.split()) :],
        api_base_url=app.base_url(),
        directory=inflight.in_flight_dir(app.config_path()),
        # The file also names the variable an env token came from (for doctor's replay).
        token_note={**(note or {}), "token_env": token_env_name()}
        if app.token_source == "env"
        else note,
    )
    app.out.notice(crumb.notice())
    try:
        with _sigterm_as_interrupt(), app.out.spinner(f"{label}: waiting for the result"):
            result = send()
    except KeyboardInterrupt:
        interrupted = E.error_result(
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
        annotate(interrupted, recovery_command, note)
        return interrupted
    crumb.settle(result)
    use_our_recovery_command(result, key, recovery_command)
    annotate(result, recovery_command, note)
    warning = crumb.warning()
    add_warnings(result, [warning] if warning else [])
    return result


def spend_and_download(
    app: AppState,
    client: ImageSkillClient,
    *,
    label: str,
    key: str,
    words: Sequence[str],
    recovery_command: str,
    send: Callable[[], Result],
    warnings: Sequence[str],
    output: str | None,
    overwrite: bool,
    keep_identical: bool = False,
) -> Result:
    """:func:`run_spend`, then the collected warnings, then the ``--output`` download
    (``keep_identical``: see :func:`image_skill.cli._outputs.download_outputs`)."""
    result = run_spend(
        app, label=label, key=key, words=words, recovery_command=recovery_command, send=send
    )
    add_warnings(result, spend_warnings(result, warnings))
    if output is not None and result.ok:
        # The spend is settled; Ctrl-C or SIGTERM now interrupts only the download, which
        # reports what was bought and how to fetch it.
        with _sigterm_as_interrupt():
            result = download_outputs(
                app,
                client,
                result,
                label=label,
                output=output,
                overwrite=overwrite,
                keep_identical=keep_identical,
            )
    return result
