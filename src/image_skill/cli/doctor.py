"""`image-skill doctor`: is the API reachable, where would auth come from, and which spends
are still waiting for their outcome?

``data.in_flight`` is the 0.1.70 in-flight report (:mod:`image_skill.cli.inflight_report`),
read before the health call. Plain ``doctor`` never deletes anything;
``--sweep-in-flight`` deletes exactly the valid breadcrumbs older than the sweep window
and reports what is left. Exit code 0 either way.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from image_skill import _constants as C
from image_skill.cli._app import common_options, state
from image_skill.envelope import Result, ok_result


@click.command("doctor")
@click.option(
    "--sweep-in-flight",
    is_flag=True,
    help="Delete in-flight spend breadcrumbs older than a day (never newer ones).",
)
@common_options
def doctor(sweep_in_flight: bool) -> Result:
    """Check API reachability, auth sources and in-flight spend breadcrumbs."""
    from image_skill.config import ConfigError, read_config, saved_token, token_base_url
    from image_skill.config.connection import same_backend

    app = state()
    path = app.config_path()
    auth: dict[str, Any] = {"config_path": str(path)}
    try:
        auth["saved_token"] = saved_token(path) is not None
        if auth["saved_token"]:
            # A saved token is sent only to the base URL it was saved for.
            owner = token_base_url(read_config(path) or {})
            auth["saved_token_api_base_url"] = owner
            auth["saved_token_applies"] = same_backend(owner, app.base_url())
    except ConfigError as exc:
        auth["saved_token"] = False
        auth["config_error"] = {"code": "PUBLIC_CLI_CONFIG_INVALID", "message": str(exc)}
    env_value = os.environ.get(C.TOKEN_ENV)
    if env_value is None:
        env_value = os.environ.get(C.HOSTED_TOKEN_ENV)
    auth["env_token"] = bool(env_value)

    in_flight = _in_flight(path, sweep=sweep_in_flight)
    client = app.client()
    health = app.call(client.health())
    env = health.envelope
    data_block = env.get("data") if isinstance(env.get("data"), dict) else {}
    assert isinstance(data_block, dict)
    hosted: dict[str, Any] = {
        "reachable": bool(env.get("ok")),
        "status": data_block.get("status"),
        "api_version": data_block.get("api_version"),
    }
    if "error" in env:
        hosted["error"] = env.get("error")
    data: dict[str, Any] = {
        "cli_version": C.CONTRACT_VERSION,
        "package": C.PACKAGE_NAME,
        "mode": C.MODE,
        "api_base_url": app.base_url(),
        "api_base_url_source": app.base_url_source,
        "hosted_api": hosted,
        "auth": auth,
        "in_flight": in_flight,
        "docs": {"skill": C.SKILL_URL, "llms": C.LLMS_URL, "cli": C.DOCS_URL},
        "implementation": "python",
        "local_backend": {"installed": _local_extra_installed()},
    }
    from image_skill.guide.recovery import agent_skill

    # Last, as in 0.1.70 (§9.1); its commands use our program prefix, so they run here.
    data["agent_skill"] = agent_skill(app.render)
    warnings = []
    count = in_flight.get("count")
    if count:
        warnings.append(
            f"{count} spend request(s) have an unknown outcome; run each in_flight entry's "
            "recover_command (it reuses the same idempotency key, so it cannot charge twice)"
        )
    elif in_flight.get("error"):
        warnings.append(f"{in_flight['error']}: {in_flight['directory']}")
    return ok_result("image-skill doctor", data, warnings=warnings)


def _in_flight(config_file: Path, *, sweep: bool) -> dict[str, Any]:
    """The in-flight report; with ``sweep``, sweep-eligible breadcrumbs are deleted first."""
    import time

    from image_skill.cli import inflight
    from image_skill.cli import inflight_report as R
    from image_skill.cli._recovery import render_spend
    from image_skill.commands import render

    folder = inflight.in_flight_dir(config_file)
    try:
        reads = inflight.read_folder(folder)
    except OSError:
        return R.error_report(str(folder), sweep_requested=sweep)
    now_ms = int(time.time() * 1000)
    parsed = [(read, R.parse_entry(read, now_ms)) for read in reads or []]
    entries = [entry for _, entry in parsed if entry is not None]
    swept = 0
    if sweep:
        for entry in [e for e in entries if e.sweep_eligible]:
            with contextlib.suppress(OSError):
                Path(entry.path).unlink()
            swept += 1
        entries = [e for e in entries if not e.sweep_eligible]
    # Recovery commands run here: our prefix and the breadcrumb's own argv, which names the
    # --api-base-url the spend went to (never the one of this doctor run). For our own
    # breadcrumbs this is the very command the spend printed as its recovery.
    ctx = state().command_ctx()._replace(api_base_url=None)

    def render_entry(words: Sequence[str], entry: R.Entry) -> str:
        return render_spend(
            lambda args: render(args, ctx), entry.token_source, words, entry.token_env
        )

    return R.build_report(
        str(folder),
        entries,
        invalid_count=len(parsed) - len([e for _, e in parsed if e is not None]),
        swept_count=swept,
        sweep_requested=sweep,
        render=render_entry,
    )


def _local_extra_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("fastapi", "uvicorn"))


COMMANDS = [doctor]
