"""`image-skill doctor`: is the API reachable, and where would auth come from?"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from image_skill import _constants as C
from image_skill.cli._app import common_options, state
from image_skill.envelope import Result, ok_result


@click.command("doctor")
@common_options
def doctor() -> Result:
    """Check API reachability, the CLI version and where a token would come from."""
    from image_skill.config import ConfigError, saved_token

    app = state()
    path = app.config_path()
    auth: dict[str, Any] = {"config_path": str(path)}
    try:
        auth["saved_token"] = saved_token(path) is not None
    except ConfigError as exc:
        auth["saved_token"] = False
        auth["config_error"] = {"code": "PUBLIC_CLI_CONFIG_INVALID", "message": str(exc)}
    env_value = os.environ.get(C.TOKEN_ENV)
    if env_value is None:
        env_value = os.environ.get(C.HOSTED_TOKEN_ENV)
    auth["env_token"] = bool(env_value)

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
        "hosted_api": hosted,
        "auth": auth,
        "docs": {"skill": C.SKILL_URL, "llms": C.LLMS_URL, "cli": C.DOCS_URL},
        "implementation": "python",
        "in_flight": _in_flight(path),
        "local_backend": {"installed": _local_extra_installed()},
    }
    from image_skill.guide.recovery import agent_skill

    # Last, as in 0.1.70 (§9.1); its commands use our program prefix, so they run here.
    data["agent_skill"] = agent_skill(app.render)
    warnings = []
    if data["in_flight"]["count"]:
        warnings.append(
            f"{data['in_flight']['count']} spend request(s) have an unknown outcome; run each "
            "breadcrumb's recovery_command (it reuses the same idempotency key, so it cannot "
            "charge twice)"
        )
    return ok_result("image-skill doctor", data, warnings=warnings)


def _in_flight(config_file: Path) -> dict[str, Any]:
    """Breadcrumbs of spends whose outcome is unknown, with their recovery commands."""
    from image_skill.cli import inflight

    folder = inflight.in_flight_dir(config_file)
    keep = ("idempotency_key", "command", "started_at", "api_base_url", "recovery_command")
    # A recovery command that needs the request's own token piped in says so.
    optional = ("token_source", "token_hint")
    items = [
        {
            **{k: item.get(k) for k in keep},
            **{k: item[k] for k in optional if k in item},
            "path": item["path"],
        }
        if "error" not in item
        else {"path": item["path"], "error": item["error"]}
        for item in inflight.list_breadcrumbs(folder)
    ]
    return {"directory": str(folder), "count": len(items), "breadcrumbs": items}


def _local_extra_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("fastapi", "uvicorn"))


COMMANDS = [doctor]
