"""`image-skill activity list|show`: the organisation's event log (jobs, assets, credits...)."""

from __future__ import annotations

import click

from image_skill import envelope as E
from image_skill._js import js_number
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.cli._token_first import TokenFirstGroup, require_subcommand
from image_skill.envelope import Result

GROUP_LABEL = "image-skill activity"


@click.group(
    "activity", cls=TokenFirstGroup, unknown=(GROUP_LABEL, "activity requires list or show")
)
@common_options
@click.pass_context
def activity(ctx: click.Context) -> None:
    """Recent events (list) or one event, job or asset's history (show)."""
    require_subcommand(ctx)


def _token() -> str | None:
    return state().resolve_token(GROUP_LABEL).token


@activity.command("list")
@click.option("--limit", metavar="N", help="At most this many events.")
@click.option("--subject", metavar="ID", help="Only events about this job, asset or trace.")
@common_options
def activity_list(limit: str | None, subject: str | None) -> Result:
    """List recent events, newest first."""
    token = _token()
    params: list[tuple[str, str]] = []
    number = js_number(limit) if limit is not None else None
    if number is not None:
        params.append(("limit", str(number) if isinstance(number, int) else repr(number)))
    if subject is not None:
        params.append(("subject", subject))
    app = state()
    return app.call(app.client(token).activity(params))


@activity.command("show")
@click.argument("reference_arg", required=False, metavar="REFERENCE")
@click.option("--reference", metavar="REFERENCE", help="Same as the argument.")
@common_options
def activity_show(reference_arg: str | None, reference: str | None) -> Result:
    """Show one event (evt_...) or the events about a job, asset or trace."""
    token = _token()
    value = reference_arg if reference_arg is not None else reference
    if value is None or value == "":
        raise CommandFailed(
            E.invalid("image-skill activity show", "activity show requires REFERENCE")
        )
    app = state()
    return app.call(app.client(token).activity_item(value))


COMMANDS = [activity]
