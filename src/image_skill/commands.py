"""The one renderer for every shell command the program hands out.

Suggested commands (``next_command``, recovery commands, escape hatches, ...) are meant to
be copied into a POSIX shell as they are. They are built here and nowhere else:

* the program prefix comes first (``image-skill`` when that entry point belongs to this
  installation, else ``<python> -m image_skill``; see :mod:`image_skill.cli.prefix`);
* every word is quoted with :func:`shlex.quote`, so a prompt holding ``$(...)``, backticks or
  ``!`` stays inert when the string is run by ``sh``. (The npm client wraps values in JSON
  string quotes, which leaves ``$(...)`` live; we deliberately do not copy that.) Words made
  only of safe characters, such as the placeholders ``AGENT_OR_OPERATOR_INBOX`` or
  ``image_...``, come out unquoted;
* ``--api-base-url <value>`` is appended (before a trailing ``--json``) when the user passed
  that flag explicitly, so the next command talks to the same server;
* environment assignments ``NAME=value`` go in front. A few values we build ourselves must be
  expanded by the shell (``$PWD/.image-skill/config.json``, ``$IMAGE_SKILL_TOKEN``); those are
  written inside double quotes. Any other value is shlex-quoted.

This module is imported at CLI start-up: standard library only.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from image_skill._constants import CONFIG_PATH_ENV, DISCOVERY_SOURCE_ENV, TOKEN_ENV

#: The word the npm contract uses as its program name in server-provided commands.
PROGRAM_NAME = "image-skill"
API_BASE_URL_FLAG = "--api-base-url"
JSON_FLAG = "--json"
SUGGESTED_CONFIG_PATH = "$PWD/.image-skill/config.json"
#: Env values that we build ourselves and that must expand in the shell. They contain no
#: double quote, backslash or backtick, so double quotes are safe for them.
SHELL_EXPANDED_ENV_VALUES = frozenset({SUGGESTED_CONFIG_PATH, "$" + TOKEN_ENV})

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A server command starting with the program name followed by whitespace.
_PROGRAM_WORD = re.compile(r"^image-skill\s+")


class CommandContext(NamedTuple):
    """How rendered commands start.

    ``prefix``: the words that run this program. ``api_base_url``: the *explicit*
    ``--api-base-url`` value to carry into commands (an env-provided base is never written
    into commands). ``env``: assignments put in front of every command rendered with this
    context.
    """

    prefix: tuple[str, ...] = (PROGRAM_NAME,)
    api_base_url: str | None = None
    env: tuple[tuple[str, str], ...] = ()


DEFAULT_CONTEXT = CommandContext()


def quote_env_value(value: str) -> str:
    """Quote an env value: double quotes for our own shell-expanded values, else shlex."""
    if value in SHELL_EXPANDED_ENV_VALUES:
        return f'"{value}"'
    return shlex.quote(value)


def carried_env(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The assignments a suggested command repeats so it runs in the same setup (0.1.70 §0.1).

    ``IMAGE_SKILL_CONFIG_PATH`` when it is set to a non-empty value (the command must read
    and write the same config), then ``IMAGE_SKILL_DISCOVERY_SOURCE`` trimmed, when that is
    non-empty (signup attribution). The API base URL and the token are never carried.
    """
    pairs: list[tuple[str, str]] = []
    config_path = environ.get(CONFIG_PATH_ENV)
    if config_path:
        pairs.append((CONFIG_PATH_ENV, config_path))
    source = environ.get(DISCOVERY_SOURCE_ENV, "").strip()
    if source:
        pairs.append((DISCOVERY_SOURCE_ENV, source))
    return tuple(pairs)


def render_env(env: Sequence[tuple[str, str]]) -> list[str]:
    """``NAME=value`` words; raises ValueError for a name that is not a shell identifier."""
    words = []
    for name, value in env:
        if not _ENV_NAME.fullmatch(name):
            raise ValueError(f"not a valid environment variable name: {name!r}")
        words.append(f"{name}={quote_env_value(value)}")
    return words


def _merged_env(
    ctx_env: Sequence[tuple[str, str]], call_env: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    # A per-call assignment replaces a context assignment of the same name.
    overridden = {name for name, _ in call_env}
    return [pair for pair in ctx_env if pair[0] not in overridden] + list(call_env)


def render_prefix(ctx: CommandContext | None = None) -> str:
    """The quoted program prefix alone (no env, no arguments)."""
    ctx = ctx or DEFAULT_CONTEXT
    return " ".join(shlex.quote(word) for word in ctx.prefix)


def command_words(args: Sequence[str], ctx: CommandContext | None = None) -> list[str]:
    """Prefix + args (+ ``--api-base-url``), unquoted: what ``shlex.split`` gives back."""
    ctx = ctx or DEFAULT_CONTEXT
    words = list(ctx.prefix) + list(args)
    if ctx.api_base_url is not None:
        extra = [API_BASE_URL_FLAG, ctx.api_base_url]
        if args and args[-1] == JSON_FLAG:
            words[-1:-1] = extra
        else:
            words.extend(extra)
    return words


def render(
    args: Sequence[str],
    ctx: CommandContext | None = None,
    *,
    env: Sequence[tuple[str, str]] = (),
) -> str:
    """Render one shell command line.

    ``args`` are the words after the program prefix. Environment assignments come from
    ``ctx.env`` then ``env`` (a per-call name replaces the context's value).
    """
    ctx = ctx or DEFAULT_CONTEXT
    if isinstance(args, str):
        raise TypeError("args must be a sequence of words, not a string")
    parts = render_env(_merged_env(ctx.env, env))
    parts.extend(shlex.quote(word) for word in command_words(args, ctx))
    return " ".join(parts)


def swap_prefix(command: str, ctx: CommandContext | None = None) -> str:
    """Run a server-provided ``image-skill ...`` command through our prefix.

    The rest of the string is kept verbatim (it comes from the server, which already wrote
    it as shell text); a leading ``image-skill`` word is replaced by our prefix, and a
    command without it gets the prefix in front. ``--api-base-url`` is not added.
    """
    ctx = ctx or DEFAULT_CONTEXT
    rest = _PROGRAM_WORD.sub("", command, count=1)
    parts = render_env(ctx.env)
    parts.append(render_prefix(ctx))
    parts.append(rest)
    return " ".join(part for part in parts if part)


def with_env_token(command: str) -> str:
    """Prefix a rendered command so it reads the token from ``$IMAGE_SKILL_TOKEN``."""
    return f"{TOKEN_ENV}={quote_env_value('$' + TOKEN_ENV)} {command}"


def with_stdin_token(command: str) -> str:
    """Pipe ``$IMAGE_SKILL_TOKEN`` into a rendered command that then gets ``--token-stdin``."""
    return f"printf '%s\\n' \"${TOKEN_ENV}\" | {command} --token-stdin"


def pipe_env_token(command: str, name: str = TOKEN_ENV) -> str:
    """Pipe the token held in env var ``name`` into a rendered command (which must take
    ``--token-stdin``). Only the variable's name is written, never its value; when it is
    unset, the command gets an empty stdin and stops with ``AUTH_REQUIRED``."""
    if not _ENV_NAME.fullmatch(name):
        raise ValueError(f"not a valid environment variable name: {name!r}")
    return f"printf '%s\\n' \"${name}\" | {command}"


# -- server-provided commands, re-rendered from their words --------------------------------

#: Characters that change meaning unquoted in a POSIX shell (operators, globs, subshells,
#: brace/tilde expansion, comments), and those that do even inside double quotes.
_UNQUOTED_SPECIAL = frozenset(";&|<>()*?[]{}~#")
_EXPANDING = frozenset("$`!")
_COMMAND_WORD = re.compile(r"[a-z][a-z0-9-]*")
#: Text made only of these characters is plain words to sh and to shlex alike.
_SAFE_WORDS = re.compile(r"[A-Za-z0-9 _./:=@,%+-]*")


def _plain_shell_words(text: str) -> bool:
    """Whether ``sh`` would read ``text`` as plain words, exactly as :func:`shlex.split` does.

    False for any expansion or substitution (``$``, backticks, ``!`` outside single quotes),
    any unquoted operator, glob, brace, tilde or comment character, an unquoted control
    character (a newline ends a command), a backslash-newline and an unterminated quote:
    quoting the split words would change what such text does. Inside quotes, control
    characters are literal to both.
    """
    if _SAFE_WORDS.fullmatch(text):
        return True  # no quote, escape, operator or expansion: plain words (the usual case)
    return _scan_shell_words(text)


def _scan_shell_words(text: str) -> bool:
    """:func:`_plain_shell_words`, character by character."""
    quote: str | None = None
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1 : index + 2]
        if quote == "'":
            if char == "'":
                quote = None
        elif char in _EXPANDING:
            return False
        elif quote == '"':
            if char == '"':
                quote = None
            elif char == "\\" and following in ('"', "\\"):
                index += 1  # \" and \\ mean the same to sh and to shlex
            elif char == "\\" and following in ("\n", "\r"):
                return False  # a line continuation to sh, two characters to shlex
        elif _is_control(char) and char != "\t":
            return False
        elif char in "'\"":
            quote = char
        elif char == "\\":
            if following == "" or _is_control(following):
                return False
            index += 1  # an escaped printable character is literal to both
        elif char in _UNQUOTED_SPECIAL:
            return False
        index += 1
    return quote is None


def _is_control(char: str) -> bool:
    return ord(char) < 32 or ord(char) == 127


def _without_api_base_url(words: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == API_BASE_URL_FLAG:
            skip = True
        elif not word.startswith(API_BASE_URL_FLAG + "="):
            out.append(word)
    return out


def rerender_server_command(
    command: str,
    ctx: CommandContext | None = None,
    *,
    commands: Collection[str] | None = None,
) -> str | None:
    """A server-provided ``image-skill ...`` command, rebuilt from its words with our renderer.

    The text is split into words (:func:`shlex.split`) and rendered again: our program
    prefix, every word shlex-quoted, and the explicit ``--api-base-url`` of ``ctx`` in place
    of any the server named (so the command reaches the server this CLI was pointed at).
    None when the text is not plain words (see :func:`_plain_shell_words`: ``$(...)``,
    backticks, ``;``, ``|`` ... would mean something else once quoted), when its first word
    is not ``image-skill`` or its second is not a command word (one of ``commands`` when
    given): such text is not offered as runnable.
    """
    if not _plain_shell_words(command):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) < 2 or words[0] != PROGRAM_NAME or not _COMMAND_WORD.fullmatch(words[1]):
        return None
    if commands is not None and words[1] not in commands:
        return None
    ctx = ctx or DEFAULT_CONTEXT
    args = _without_api_base_url(words[1:])
    return render(args, ctx._replace(env=()))


def starts_with_program(text: str) -> bool:
    """Whether ``text`` is an ``image-skill ...`` command (the program word, then a blank)."""
    return text.startswith(PROGRAM_NAME) and text[len(PROGRAM_NAME) : len(PROGRAM_NAME) + 1] in (
        " ",
        "\t",
    )


def runnable_server_command(
    text: str,
    ctx: CommandContext | None = None,
    *,
    commands: Collection[str] | None = None,
) -> str | None:
    """A command string from a server reply, as this CLI offers it to be run.

    Text that is not an ``image-skill ...`` command is not ours to change and comes back as
    it is. An ``image-skill ...`` command is rebuilt by :func:`rerender_server_command` and
    gets the carried environment of ``ctx`` in front; None when it is refused (not plain
    words, or not one of our commands), so it is never offered as runnable.
    """
    if not starts_with_program(text):
        return text
    ctx = ctx or DEFAULT_CONTEXT
    rendered = rerender_server_command(text, ctx, commands=commands)
    if rendered is None:
        return None
    return " ".join([*render_env(ctx.env), rendered])
