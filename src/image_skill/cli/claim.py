"""`image-skill claim request --contact INBOX`: attach a durable contact inbox to the signed-up
agent (contract 0.1.70 §1.3), the later identity upgrade after an anonymous signup.

The argument checks run before the token is looked for, so a missing ``--contact`` is
``INVALID_ARGUMENTS`` (exit 2) even without a token. The server's envelope is relayed as is.
"""

from __future__ import annotations

from typing import Any

import click

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.cli._app import AppState, CommandFailed, common_options, state
from image_skill.envelope import Result

GROUP_LABEL = "image-skill claim"
LABEL = "image-skill claim request"
ANCHOR = f"{C.DOCS_URL}#image-skill-claim-request"
SUGGESTED_ARGS = ["claim", "request", "--contact", "AGENT_OR_OPERATOR_INBOX", "--json"]


def _recovery(app: AppState, *, required: bool) -> dict[str, Any]:
    recovery: dict[str, Any] = {"required_flags": ["--contact"]} if required else {}
    recovery["suggested_command"] = app.render(list(SUGGESTED_ARGS))
    recovery["docs_url"] = ANCHOR
    return recovery


def _no_such_request(app: AppState) -> Result:
    return E.invalid(
        GROUP_LABEL,
        "claim supports one subcommand: claim request --contact INBOX",
        recovery=_recovery(app, required=False),
    )


class ClaimGroup(click.Group):
    """`claim` with a missing or unknown subcommand is an argument error with a recovery."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            raise CommandFailed(_no_such_request(state()))
        return super().resolve_command(ctx, args)


@click.group(
    "claim",
    cls=ClaimGroup,
    invoke_without_command=True,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@common_options
@click.pass_context
def claim(ctx: click.Context) -> Result | None:
    """Attach a contact inbox to this agent (`claim request --contact INBOX`)."""
    if ctx.invoked_subcommand is None:
        return _no_such_request(state())
    return None


@claim.command("request")
@click.option(
    "--contact",
    metavar="INBOX",
    is_flag=False,
    flag_value="",
    help="Email-shaped durable inbox of the agent or its operator (required).",
)
@common_options
def claim_request(contact: str | None) -> Result:
    """Attach (or replace) the agent's contact inbox; the claim itself stays unverified."""
    app = state()
    value = contact.strip() if isinstance(contact, str) else ""
    if not value or value.startswith("--"):
        return E.invalid(
            LABEL,
            "claim request requires --contact INBOX: an email-shaped inbox the agent or its "
            "operator reads; never invent one",
            recovery=_recovery(app, required=True),
        )
    # Like every group's token failure in the npm client, labelled with the first word.
    token = app.resolve_token(GROUP_LABEL).token
    from image_skill.api.requests import ClaimRequest

    return app.call(app.client(token).claim(ClaimRequest(contact=value.lower()).to_body()))


COMMANDS = [claim]
