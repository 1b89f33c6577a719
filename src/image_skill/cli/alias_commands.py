"""The modality alias words as click groups (``image``, ``video``, ``audio``, ``3d``,
``image-to-3d``, ``three-d``), so shell completion, ``help`` and docs/cli.md know them.

A normal run never reaches these groups: the command line is rewritten before dispatch
(:func:`image_skill.cli.aliases.normalize_argv`). They still behave the same when reached
(for example from a completion-driven tool): ``video create`` runs ``create`` with
``--intent video`` unless an intent was given; any other word after an alias word, or none,
is ``PUBLIC_CLI_COMMAND_NOT_AVAILABLE`` for the alias word, as in the npm client.
"""

from __future__ import annotations

from typing import Any

import click

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.cli._app import CommandFailed
from image_skill.cli.aliases import ALIAS_WORDS, ALIASES
from image_skill.cli.create import create as create_command
from image_skill.cli.edit import edit as edit_command
from image_skill.envelope import Result


def not_available(word: str) -> Result:
    """The failure for an alias word without a command it rewrites (``video edit``)."""
    from image_skill.cli.prefix import detect_prefix
    from image_skill.commands import CommandContext, render

    return E.error_result(
        f"image-skill {word}",
        E.PUBLIC_CLI_COMMAND_NOT_AVAILABLE,
        f"public CLI command is not available: {word}",
        recovery={
            "suggested_command": render(["help", "--json"], CommandContext(prefix=detect_prefix())),
            "docs_url": C.DOCS_URL,
        },
    )


class AliasGroup(click.Group):
    """An alias word: only its listed subcommands exist; anything else is not available."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(
            name,
            invoke_without_command=True,
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
            **kwargs,
        )

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if not args or args[0] not in self.commands:
            raise CommandFailed(not_available(str(self.name)))
        return super().resolve_command(ctx, args)


class AliasCommand(click.Command):
    """``<alias> create`` / ``image edit``: the real command with the implied intent."""

    def __init__(self, target: click.Command, alias: str, intent: str | None) -> None:
        self.target = target
        self.alias = alias
        self.intent = intent
        super().__init__(
            target.name,
            params=target.params,
            callback=self._run,
            help=_alias_help(target, alias, intent),
            short_help=f"Same as `{_same_as(target, intent)}`.",
            context_settings=target.context_settings,
        )

    def _run(self, **kwargs: Any) -> Any:
        if self.intent is not None and kwargs.get("intent") is None:
            kwargs["intent"] = self.intent
        return click.get_current_context().invoke(self.target, **kwargs)


def _same_as(target: click.Command, intent: str | None) -> str:
    words = ["image-skill", str(target.name)]
    return " ".join([*words, "--intent", intent] if intent is not None else words)


def _alias_help(target: click.Command, alias: str, intent: str | None) -> str:
    return (
        f"Same as `{_same_as(target, intent)}`: `image-skill {alias} {target.name} ...` takes "
        f"every option of `{target.name}`"
        + (", and an explicit --intent wins." if intent is not None else ".")
    )


def _group(word: str) -> AliasGroup:
    def callback() -> Result | None:
        ctx = click.get_current_context()
        if ctx.invoked_subcommand is None:
            return not_available(word)
        return None

    targets = {"create": create_command, "edit": edit_command}
    rows = [(cmd, intent) for (alias, cmd), intent in ALIASES.items() if alias == word]
    mappings = "; ".join(
        f"`image-skill {word} {cmd} ...` is `{_same_as(targets[cmd], intent)} ...`"
        for cmd, intent in rows
    )
    group = AliasGroup(word, callback=callback, help=f"Modality alias: {mappings}.")
    for cmd, intent in rows:
        group.add_command(AliasCommand(targets[cmd], word, intent))
    return group


GROUPS = {word: _group(word) for word in ALIAS_WORDS}
COMMANDS = list(GROUPS.values())
