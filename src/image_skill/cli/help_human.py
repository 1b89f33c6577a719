"""Help for people: ``image-skill --human --help`` and ``help --human`` print click's own
help text (usage, description, commands with one-line summaries, options), with the root's
commands grouped the way gh groups its own. The JSON help (:mod:`image_skill.cli.help`)
stays the default for agents; both read the same click tree.
"""

from __future__ import annotations

import click

from image_skill.cli.output import TextResult

#: Section title -> root command names, in help order. A registered command missing here is
#: listed under "Other commands", so nothing goes unlisted.
ROOT_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Core commands",
        (
            "signup",
            "whoami",
            "create",
            "edit",
            "batch",
            "upload",
            "models",
            "capabilities",
        ),
    ),
    ("Media", ("assets", "jobs", "activity")),
    ("Money", ("credits", "quota", "usage", "claim")),
    ("Local backend", ("local",)),
    ("Integrations", ("mcp",)),
    ("Setup and diagnostics", ("doctor", "trust", "feedback", "completion")),
    ("Modality aliases", ("image", "video", "audio", "3d", "image-to-3d", "three-d")),
)

#: Wider than click's default so that long option names keep their text on the same line.
WIDTH = 100


def _summary(command: click.Command) -> str:
    return command.get_short_help_str(limit=WIDTH - 30)


def _root_help(root: click.Group, ctx: click.Context) -> str:
    formatter = ctx.make_formatter()
    root.format_usage(ctx, formatter)
    root.format_help_text(ctx, formatter)
    names = [n for n in root.list_commands(ctx) if not _hidden(root, ctx, n)]
    placed: set[str] = set()
    for title, section in (*ROOT_SECTIONS, ("Other commands", tuple(names))):
        rows = []
        for name in section:
            if name in names and name not in placed:
                command = root.get_command(ctx, name)
                if command is not None:
                    rows.append((name, _summary(command)))
                    placed.add(name)
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)
    # click.Group.format_options would list the commands again, ungrouped
    click.Command.format_options(root, ctx, formatter)
    formatter.write_paragraph()
    formatter.write_text(
        "Every command prints one JSON envelope unless --human is given. Run "
        "'image-skill COMMAND --human --help' for a command's options, or "
        "'image-skill help --json' for the help as data."
    )
    return formatter.getvalue()


def _hidden(root: click.Group, ctx: click.Context, name: str) -> bool:
    command = root.get_command(ctx, name)
    return command is None or command.hidden


def human_help(root: click.Group, path: list[str], command: click.Command) -> TextResult:
    """Click's help text for ``command`` (reached by ``path`` from ``root``)."""
    ctx = _context_for(root, path)
    text = _root_help(root, ctx) if not path else command.get_help(ctx) + "\n"
    label = " ".join(["image-skill", *path])
    return TextResult(text, "help", {"command": label, "format": "human"})


def _context_for(root: click.Group, path: list[str]) -> click.Context:
    ctx = click.Context(root, info_name="image-skill", max_content_width=WIDTH)
    ctx.terminal_width = WIDTH  # the same text at any terminal width (and in a pipe)
    node: click.Command = root
    for word in path:
        assert isinstance(node, click.Group)
        sub = node.get_command(ctx, word)
        assert sub is not None
        ctx = click.Context(sub, info_name=word, parent=ctx)
        node = sub
    return ctx
