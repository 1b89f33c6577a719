"""`image-skill jobs show|wait JOB_ID`: inspect a job, or poll it until it is terminal.

`wait` polls ``GET /v1/jobs/{id}`` until ``data.job.status`` is completed, failed or canceled,
returns any failure envelope at once, and stops with ``TIMEOUT`` (exit 8) at its deadline.
The clock and the sleep are module attributes so tests can replace them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import click

from image_skill import envelope as E
from image_skill._js import display, js_number
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.cli._token_first import TokenFirstGroup, require_subcommand
from image_skill.envelope import Result

GROUP_LABEL = "image-skill jobs"
TERMINAL_STATUSES = frozenset({"completed", "failed", "canceled"})
DEFAULT_TIMEOUT_MS = 30000
DEFAULT_POLL_INTERVAL_MS = 1000

_monotonic: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep


@click.group("jobs", cls=TokenFirstGroup, unknown=(GROUP_LABEL, "jobs requires show or wait"))
@common_options
@click.pass_context
def jobs(ctx: click.Context) -> None:
    """Inspect a job (show) or wait for it to finish (wait)."""
    require_subcommand(ctx)


def _job_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--job-id", metavar="JOB_ID", help="Same as the argument.")(func)
    return click.argument("job_id_arg", required=False, metavar="JOB_ID")(func)


def _job_id(positional: str | None, flag: str | None) -> str:
    value = positional if positional is not None else flag
    if value is None or value == "":
        raise CommandFailed(E.invalid(GROUP_LABEL, "jobs requires JOB_ID"))
    return value


def _number(text: str | None, default: int) -> int | float:
    if text is None:
        return default
    value = js_number(text)
    return default if value is None else value


@jobs.command("show")
@_job_options
@common_options
def jobs_show(job_id_arg: str | None, job_id: str | None) -> Result:
    """Show a job: status, timestamps, cost and its assets."""
    job = _job_id(job_id_arg, job_id)
    app = state()
    token = app.resolve_token(GROUP_LABEL).token
    return app.call(app.client(token).job(job))


@jobs.command("wait")
@_job_options
@click.option("--timeout-ms", metavar="MS", help="Give up after this long (default 30000).")
@click.option("--poll-interval-ms", metavar="MS", help="Time between status checks (default 1000).")
@common_options
def jobs_wait(
    job_id_arg: str | None,
    job_id: str | None,
    timeout_ms: str | None,
    poll_interval_ms: str | None,
) -> Result:
    """Poll a job until it is completed, failed or canceled; exit 8 at the deadline."""
    job = _job_id(job_id_arg, job_id)
    app = state()
    token = app.resolve_token(GROUP_LABEL).token
    client = app.client(token)
    timeout = _number(timeout_ms, DEFAULT_TIMEOUT_MS)
    interval = _number(poll_interval_ms, DEFAULT_POLL_INTERVAL_MS)
    label = "image-skill jobs wait"
    deadline = _monotonic() + timeout / 1000
    status: Any = None
    with _spinner(job):
        while timeout >= 0:
            result = app.call(client.job(job))
            if not result.ok:
                return result
            data = result.data
            status = _job_status(data)
            if status in TERMINAL_STATUSES and isinstance(data, dict):
                request = data.get("request")
                data["request"] = {
                    **(request if isinstance(request, dict) else {}),
                    "timeout_ms": timeout,
                    "poll_interval_ms": interval,
                }
                return result
            remaining = deadline - _monotonic()
            if remaining <= 0:
                break
            _sleep(max(0.0, min(interval / 1000, remaining)))
    args = ["jobs", "wait", job, "--timeout-ms", display(timeout)]
    args += ["--poll-interval-ms", display(interval), "--json"]
    recovery: dict[str, Any] = {
        "retry_after_seconds": max(0, math.ceil(interval / 1000)),
        "suggested_command": app.render(args),
    }
    if isinstance(status, str):
        recovery["last_status"] = status
    if status == "planned":
        # A dry-run plan never runs, so waiting again can never end: point at the plan.
        recovery["suggested_command"] = app.render(["jobs", "show", job, "--json"])
        recovery["note"] = (
            "this job is a dry-run plan and never runs; repeat the create or edit without "
            "--dry-run to execute it"
        )
    return E.error_result(
        label,
        E.TIMEOUT,
        f"job {job} did not reach a terminal state within {display(timeout)}ms",
        retryable=True,
        recovery=recovery,
    )


def _job_status(data: Any) -> Any:
    if not isinstance(data, dict):
        return None
    job = data.get("job")
    return job.get("status") if isinstance(job, dict) else None


def _spinner(job: str) -> AbstractContextManager[None]:
    """A spinner on stderr while waiting, only in --human mode at a terminal."""
    return state().out.spinner(f"waiting for {job}")


COMMANDS = [jobs]
