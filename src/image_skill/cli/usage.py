"""`image-skill usage quota` and its shorthand `image-skill quota`.

An ok reply whose ``data.top_up`` offers a complete top-up path also gets
``data.next_actions.self_fund`` (:mod:`image_skill.cli.self_fund`, 0.1.70 §7.1).
"""

from __future__ import annotations

import click

from image_skill import envelope as E
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.envelope import Result


def _quota(label: str) -> Result:
    app = state()
    try:
        resolution = app.resolve_token(label)
    except CommandFailed as exc:
        E.with_command(exc.result.envelope, label)
        return exc.result
    result = app.call(app.client(resolution.token).quota())
    E.with_command(result.envelope, label)
    data = result.envelope.get("data")
    if result.envelope.get("ok") is True and isinstance(data, dict):
        from image_skill.cli.self_fund import with_self_fund

        # next_actions.self_fund from data.top_up (0.1.70 §7.1); its commands, like every
        # command of the reply, are made runnable here before printing.
        with_self_fund(data)
    return result


@click.group("usage", invoke_without_command=True)
@common_options
@click.pass_context
def usage(ctx: click.Context) -> Result | None:
    """Credits and limits. `usage` alone is the same as `usage quota`."""
    if ctx.invoked_subcommand is None:
        return _quota("image-skill usage quota")
    return None


@usage.command("quota")
@common_options
def usage_quota() -> Result:
    """Remaining free and paid credits, daily job cap and reset windows."""
    return _quota("image-skill usage quota")


@click.command("quota")
@common_options
def quota() -> Result:
    """Same as `usage quota`."""
    return _quota("image-skill quota")


COMMANDS = [usage, quota]
