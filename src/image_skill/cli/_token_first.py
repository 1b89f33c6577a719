"""A command group that resolves the token before judging its subcommand word.

`assets`, `jobs`, `activity` and `feedback` answer a missing token with ``AUTH_REQUIRED``
(labelled with the group) before they complain about an unknown or missing subcommand, as
the contract orders it.
"""

from __future__ import annotations

from typing import Any

import click

from image_skill import envelope as E
from image_skill.cli._app import CommandFailed, state


class TokenFirstGroup(click.Group):
    """``unknown`` is ``(label, message)`` of the invalid-subcommand failure."""

    def __init__(self, *args: Any, unknown: tuple[str, str], **kwargs: Any) -> None:
        kwargs.setdefault("invoke_without_command", True)
        super().__init__(*args, **kwargs)
        self.unknown = unknown

    def fail_unknown(self) -> None:
        """Resolve the token (failing with AUTH_REQUIRED), then fail as an unknown subcommand."""
        state().resolve_token(self.unknown[0])
        raise CommandFailed(E.invalid(*self.unknown))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            self.fail_unknown()
        return super().resolve_command(ctx, args)


def require_subcommand(ctx: click.Context) -> None:
    """Call from a TokenFirstGroup callback: no subcommand word is the unknown-word failure."""
    if ctx.invoked_subcommand is None:
        group = ctx.command
        assert isinstance(group, TokenFirstGroup)
        group.fail_unknown()
