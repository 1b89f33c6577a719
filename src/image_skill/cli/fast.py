"""The start-up fast path: ``version`` and the root help without importing click.

An agent pays for every call with a fresh interpreter, and these two answers need no
command tree: the version is constants, and the root help is the help table, the command
map and the global-option table (all plain data). :func:`fast_result` answers exactly the
command lines whose result it knows is the same as the full CLI's, and None for every
other one, which then goes through click as usual. The full CLI builds its own ``version``
and root help with the same functions, so the two cannot drift.
"""

from __future__ import annotations

from image_skill import _constants as C
from image_skill.envelope import Result, ok_result

TYPE_CHECKING = False  # typing costs every call ~3 ms; only mypy needs it
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

__all__ = ["fast_result", "root_help_data", "version_result"]

VERSION_WORDS = frozenset({"version", "--version", "-v"})
#: The command lines (besides ``--json``) that print the root help.
_ROOT_HELP_LINES = ((), ("--help",), ("-h",), ("help",))


def version_result() -> Result:
    return ok_result(
        "image-skill version",
        {
            "version": C.CONTRACT_VERSION,
            "package": C.PACKAGE_NAME,
            "mode": C.MODE,
            "implementation": "python",
            "python_package_version": C.__version__,
        },
    )


def _agent_skill() -> dict[str, Any]:
    from image_skill.cli.prefix import detect_prefix
    from image_skill.commands import CommandContext, render
    from image_skill.guide.recovery import agent_skill

    ctx = CommandContext(prefix=detect_prefix())
    return agent_skill(lambda words: render(words, ctx))


def root_help_data(command_names: Sequence[str]) -> dict[str, Any]:
    """The root help data (0.1.70 §9.2) plus our own keys after the contract's."""
    from image_skill.cli.aliases import ALIAS_WORDS
    from image_skill.cli.global_flags import help_rows
    from image_skill.cli.help_table import HIDDEN_FROM_ROOT, ROOT_COMMANDS, ROOT_USAGE

    data: dict[str, Any] = {
        "command": "help",
        "usage": ROOT_USAGE,
        "docs_url": C.DOCS_URL,
        "agent_skill": _agent_skill(),
        "commands": list(ROOT_COMMANDS),
    }
    npm_words = {r.split()[0] for r in ROOT_COMMANDS} | HIDDEN_FROM_ROOT | set(ALIAS_WORDS)
    extra_cmds = sorted(name for name in command_names if name not in npm_words)
    if extra_cmds:
        data["python_only_commands"] = extra_cmds
    data["output"] = {"default": "json", "human": "--human or IMAGE_SKILL_FORMAT=human"}
    data["global_options"] = help_rows()
    return data


def fast_result(args: Sequence[str], env: Mapping[str, str]) -> Result | None:
    """The result of ``args`` when it is ``version`` or the root help in JSON, else None.

    Only the plain forms qualify (``version``, ``--version``, ``-v``; nothing, ``--help``,
    ``-h``, ``help``; each alone or with one ``--json`` after it), and only when JSON is the
    output format (``IMAGE_SKILL_FORMAT`` is not ``human``) and the call is not shell
    completion: anything else may mean something different, so it takes the full path.
    """
    if C.FORMAT_ENV in env and env[C.FORMAT_ENV].strip().lower() == "human":
        return None
    if COMPLETION_ENV in env:
        return None
    # A lone ``--json`` is no help request (the full CLI answers "Missing command").
    words = tuple(args[:-1]) if len(args) > 1 and args[-1] == "--json" else tuple(args)
    if len(words) == 1 and words[0] in VERSION_WORDS:
        return version_result()
    if words in _ROOT_HELP_LINES:
        from image_skill.cli.command_map import COMMANDS

        return ok_result("help", root_help_data(list(COMMANDS)))
    return None


#: Click's shell-completion variable (``eval "$(_IMAGE_SKILL_COMPLETE=bash_source image-skill)"``).
COMPLETION_ENV = "_IMAGE_SKILL_COMPLETE"
