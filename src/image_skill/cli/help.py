"""Help as data: `help`, `--help` and `-h` return an envelope, never touching network,
auth or config. The `command`, `usage`, `docs_url` and flag lists match the npm client's
0.1.70 help table (contract 0.1.70 §9.2); on top of them we list the real options of the
click command so agents see every flag. Modality aliases are normalized first
(`help video create` is the help of `create`, §2).
"""

from __future__ import annotations

from typing import Any

import click

from image_skill import _constants as C

# The table itself is data (help_table.py), re-exported here for callers of this module.
from image_skill.cli.help_table import HELP_TABLE, HIDDEN_FROM_ROOT, ROOT_COMMANDS, ROOT_USAGE
from image_skill.envelope import Result, ok_result

_D = C.DOCS_URL

__all__ = ["HELP_TABLE", "HIDDEN_FROM_ROOT", "ROOT_COMMANDS", "ROOT_USAGE", "help_result"]


def help_words(argv: list[str]) -> list[str]:
    """The command words of a help request: everything that is not a flag or `help`."""
    words = []
    skip_value = False
    for token in argv:
        if skip_value:  # the value of a global option given before the command words
            skip_value = False
            continue
        if token == "--":
            break
        if token in GLOBAL_VALUE_OPTIONS:
            skip_value = True
            continue
        if token.startswith("-") or token == "help":
            continue
        words.append(token)
    return words


#: Global options that take a separate value (`--api-base-url URL whoami --help`).
GLOBAL_VALUE_OPTIONS = frozenset({"--api-base-url", "--token", "--timeout"})


def _resolve(root: click.Group, words: list[str]) -> tuple[list[str], click.Command]:
    path: list[str] = []
    node: click.Command = root
    for word in words:
        if not isinstance(node, click.Group):
            break
        # get_command: the lazy root imports only the command asked about.
        sub = node.get_command(click.Context(node), word)
        if sub is None:
            break
        path.append(word)
        node = sub
    return path, node


GLOBAL_OPTION_NAMES = {
    "json_",
    "human",
    "api_base_url",
    "token",
    "token_stdin",
    "timeout",
    "allow_private_network",
}


def _options(command: click.Command, *, include_global: bool = False) -> list[dict[str, Any]]:
    rows = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        if (param.name in GLOBAL_OPTION_NAMES) != include_global:
            continue
        rows.append(
            {
                "flags": list(param.opts),
                "takes_value": not param.is_flag,
                "required": bool(param.required),
                "repeatable": bool(param.multiple),
                "help": param.help or "",
            }
        )
    return rows


def root_help(root: click.Group) -> dict[str, Any]:
    """The root help data (:func:`image_skill.cli.fast.root_help_data`) for ``root``."""
    from image_skill.cli.fast import root_help_data

    return root_help_data(root.list_commands(click.Context(root)))


def help_result(root: click.Group, argv: list[str]) -> Result:
    from image_skill.cli.aliases import ALIAS_WORDS, normalize_argv

    words = help_words(normalize_argv(help_words(argv)).argv)
    path, command = _resolve(root, words)
    if len(path) == 1 and path[0] in ALIAS_WORDS:
        # A lone alias word is no command (npm: `image --help` is the root help).
        path, command = [], root
    from image_skill.cli.output import choose_format

    if choose_format(argv) == "human":  # click's own help text, for people
        from image_skill.cli.help_human import human_help

        return human_help(root, path, command)
    key = " ".join(path)
    if not path:
        return ok_result("help", root_help(root))
    entry = HELP_TABLE.get(key)
    extra: dict[str, Any]
    if entry is None:
        usage = " ".join(["image-skill", *path, "--json"])
        anchor, extra = "#image-skill-" + "-".join(path), {}
    else:
        usage, anchor, extra = entry
    data: dict[str, Any] = {
        "command": f"image-skill {key} help",
        "usage": usage,
        "docs_url": _D + anchor,
    }
    data.update(extra)
    summary = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
    if summary:
        data["summary"] = summary
    if isinstance(command, click.Group):
        data.setdefault("subcommands", sorted(command.commands))
    data["options"] = _options(command)
    return ok_result(data["command"], data)
