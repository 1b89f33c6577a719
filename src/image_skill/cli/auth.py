"""`image-skill auth status|save|logout` and `image-skill whoami`."""

from __future__ import annotations

from typing import Any

import click

from image_skill import envelope as E
from image_skill.cli._app import CommandFailed, common_options, group_label, state
from image_skill.envelope import Result, ok_result


@click.group("auth")
@common_options
def auth() -> None:
    """Inspect, save or remove the saved token."""


@auth.command("status")
@common_options
def auth_status() -> Result:
    """Report whether a token is available and, if so, who it belongs to."""
    app = state()
    path = app.config_path()
    try:
        resolution = app.resolve_token("image-skill auth")
    except CommandFailed as exc:
        error = exc.result.error or {}
        status: dict[str, Any] = {
            "authenticated": False,
            "source": None,
            "config_path": str(path),
        }
        if error.get("code") == E.PUBLIC_CLI_CONFIG_INVALID:
            status["config_error"] = error
        return ok_result("image-skill auth status", status)
    result = app.call(app.client(resolution.token).whoami())
    data = result.envelope.get("data")
    if isinstance(data, dict):
        data["auth_source"] = resolution.source
        _where(data)
    return result


@auth.command("save")
@common_options
def auth_save() -> Result:
    """Save a token given by --token-stdin, --token or IMAGE_SKILL_TOKEN (not validated)."""
    from image_skill.cli.signup import config_write_failed, refuse_corrupt_config
    from image_skill.config import ConfigWriteError, probe_writable, save_token

    app = state()
    resolution = app.resolve_token("image-skill auth", allow_saved=False)
    assert resolution.token is not None
    path = app.config_path()
    corrupt = refuse_corrupt_config("image-skill auth save", path)
    if corrupt is not None:
        return corrupt
    try:
        probe_writable(path)
        save_token(path, resolution.token, app.base_url())
    except ConfigWriteError as exc:
        return config_write_failed("image-skill auth save", app, str(path), exc.reason)
    return ok_result(
        "image-skill auth save",
        {"saved": True, "config_path": str(path), "token_source": resolution.source},
    )


@auth.command("logout")
@common_options
def auth_logout() -> Result:
    """Delete the saved config file (the token stays valid on the server)."""
    from image_skill.config import delete_config

    path = state().config_path()
    try:
        removed = delete_config(path)
    except OSError as exc:
        return E.error_result(
            "image-skill auth logout",
            E.PUBLIC_CLI_CONFIG_WRITE_FAILED,
            f"could not remove the config file at {path}: {exc.strerror or exc}",
            retryable=True,
        )
    return ok_result(
        "image-skill auth logout", {"saved": False, "config_path": str(path), "removed": removed}
    )


@click.command("whoami")
@common_options
def whoami() -> Result:
    """Show the identity behind the current token."""
    app = state()
    resolution = app.resolve_token(group_label())
    result = app.call(app.client(resolution.token).whoami())
    data = result.envelope.get("data")
    if isinstance(data, dict):
        _where(data)
    return result


def _where(data: dict[str, Any]) -> None:
    """Say which backend answered and why that one (flag, env, saved config or default)."""
    app = state()
    data["api_base_url"] = app.base_url()
    data["api_base_url_source"] = app.base_url_source


COMMANDS = [auth, whoami]
