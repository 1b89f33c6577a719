"""`image-skill capabilities [list|show]`: the capability catalog (no auth)."""

from __future__ import annotations

import click

from image_skill import envelope as E
from image_skill.cli._app import common_options, state
from image_skill.cli.models import StrictGroup
from image_skill.envelope import Result


def _list() -> Result:
    app = state()
    return app.call(app.client().capabilities())


@click.group(
    "capabilities",
    cls=StrictGroup,
    unknown=("image-skill capabilities", "capabilities supports list or show"),
    invoke_without_command=True,
)
@common_options
@click.pass_context
def capabilities(ctx: click.Context) -> Result | None:
    """List capabilities (bare `capabilities` is `capabilities list`) or show one."""
    if ctx.invoked_subcommand is None:
        return _list()
    return None


@capabilities.command("list")
@common_options
def capabilities_list() -> Result:
    """Every capability: normalized controls, parameter schemas, grants, deprecations."""
    return _list()


@capabilities.command("show")
@click.argument("capability_id", required=False)
@common_options
def capabilities_show(capability_id: str | None) -> Result:
    """Show one capability by id."""
    label = "image-skill capabilities show"
    if capability_id is None:
        return E.invalid(label, "capabilities show requires CAPABILITY_ID")
    app = state()
    return app.call(app.client().capability(capability_id))


COMMANDS = [capabilities]
