"""The command tree and one run of the CLI, behind :func:`image_skill.cli.main`.

Whatever happens (success, API error, bad arguments, `--help`, `version`, Ctrl-C or
SIGTERM, a crash) a run writes exactly one envelope on stdout and returns the exit code,
which always matches the envelope (see :mod:`image_skill.cli.interrupts` for signals). The
root group names every command in :data:`COMMANDS` and imports a command's module only when
it is used (:mod:`image_skill.cli.registry`).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import click

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.cli import argcheck, interrupts
from image_skill.cli._app import AppState, CommandFailed, common_options
from image_skill.cli.command_map import COMMANDS
from image_skill.cli.fast import COMPLETION_ENV, version_result
from image_skill.cli.output import choose_format, emit
from image_skill.cli.registry import LazyGroup
from image_skill.cli.scrub import scrub
from image_skill.envelope import Result


class UnknownCommand(click.UsageError):
    def __init__(self, name: str) -> None:
        super().__init__(f"public CLI command is not available: {name}")
        self.name = name


class _Interrupted(Exception):
    """A KeyboardInterrupt carried past click, which would print a blank line for it."""


class RootGroup(LazyGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name not in self.lazy_commands and not name.startswith("-"):
            raise UnknownCommand(name)
        return super().resolve_command(ctx, args)


def _prepare(command: click.Command, name: str) -> None:
    """Run on each command as the root group loads it."""
    _mark_outcome_on_return(command)
    argcheck.install(command, name)


@click.group(
    cls=RootGroup,
    context_settings={"help_option_names": [], "max_content_width": 100},
    invoke_without_command=False,
    lazy_commands=COMMANDS,
    prepare=_prepare,
)
@common_options
def root() -> None:
    """Generate and edit images, video, audio and 3D with the Image Skill API.

    Every command prints one JSON envelope on stdout (or a readable view with --human) and
    exits with a stable code: 0 ok, 1 generic, 2 invalid arguments, 3 auth, 4 capability
    denied, 5 quota, 6 content policy, 7 provider or transport failure, 8 timeout,
    9 filesystem.
    """


def _mark_outcome_on_return(command: click.Command) -> None:
    """Wrap every leaf command so that its outcome counts as known the moment it returns.

    The flag is set by an attribute store right after the call, where no signal handler can
    run in between, so a signal that lands while click unwinds cannot replace a finished
    result with ``INTERRUPTED``.
    """
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _mark_outcome_on_return(sub)
        return
    callback = command.callback
    if callback is None or getattr(callback, "_marks_outcome", False):
        return

    @functools.wraps(callback)
    def run_command(*args: Any, **kwargs: Any) -> Any:
        rv = callback(*args, **kwargs)
        guard = interrupts._current
        if guard is not None:
            guard.armed = False
        return rv

    run_command._marks_outcome = True  # type: ignore[attr-defined]
    command.callback = run_command


# The root's own options pass the same checks; each command's get theirs as it loads.
argcheck.install(root, subcommands=False)


def _wants_help(argv: list[str]) -> bool:
    if not argv or argv[0] == "help":
        return True
    for token in argv:
        if token == "--":
            return False
        if token in ("--help", "-h"):
            return True
    return False


def _suggest(args: list[str]) -> str:
    """A suggested command with the program prefix that runs here (like every other one)."""
    from image_skill.cli.prefix import detect_prefix
    from image_skill.commands import CommandContext, render

    return render(args, CommandContext(prefix=detect_prefix()))


def _usage_error(exc: click.UsageError, argv: list[str]) -> Result:
    if isinstance(exc, UnknownCommand):
        recovery = {"suggested_command": _suggest(["help", "--json"]), "docs_url": C.DOCS_URL}
        close = _did_you_mean(exc.name)
        if close is not None:
            recovery["did_you_mean"] = close
        return E.error_result(
            f"image-skill {exc.name}",
            E.PUBLIC_CLI_COMMAND_NOT_AVAILABLE,
            exc.format_message(),
            recovery=recovery,
        )
    ctx = exc.ctx
    if ctx is not None and ctx.command_path:
        label = ctx.command_path
    else:
        label = "image-skill" + (f" {argv[0]}" if argv else "")
    words = label.split()[1:]
    return E.invalid(
        label,
        exc.format_message(),
        recovery={
            "suggested_command": _suggest([*words, "--help"]),
            "docs_url": C.DOCS_URL,
        },
    )


def _did_you_mean(name: str) -> str | None:
    """The registered command closest to a mistyped one (``crate`` -> ``create``), or None."""
    import difflib

    words = [*root.command_names(), "help", "version"]
    close = difflib.get_close_matches(name, words, n=1, cutoff=0.6)
    return close[0] if close else None


def _non_utf8_argument(argv: list[str]) -> Result | None:
    """Arguments that are not valid UTF-8 (the OS passed undecodable bytes) are refused."""
    for index, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            first = argv[0] if index > 1 else "?"
            return E.invalid(
                f"image-skill {first}".strip(),
                f"argument {index} is not valid UTF-8; pass text arguments as UTF-8",
            )
    return None


def run(argv: list[str]) -> Result:
    """Parse and run one command line, returning the result to emit."""
    bad = _non_utf8_argument(argv)
    if bad is not None:
        return bad
    from image_skill.cli.aliases import normalize_argv

    # `video create ...` is `create --intent video ...` from here on (0.1.70 §2).
    normalized = normalize_argv(argv)
    argv = normalized.argv
    if _wants_help(argv):
        from image_skill.cli.help import help_result

        return help_result(root, argv)
    if argv and argv[0] in ("version", "--version", "-v"):
        return version_result()
    state = AppState(fmt=choose_format(argv), alias_word=normalized.alias, argv=tuple(argv))
    try:
        rv: Any = root.main(
            args=list(argv), prog_name="image-skill", standalone_mode=False, obj=state
        )
    except CommandFailed as exc:
        return exc.result
    except click.UsageError as exc:
        return _usage_error(exc, argv)
    except (click.Abort, KeyboardInterrupt, _Interrupted):
        return _interrupted(argv)
    except click.ClickException as exc:
        return E.error_result(
            "image-skill" + (f" {argv[0]}" if argv else ""),
            E.PUBLIC_CLI_FAILED,
            exc.format_message(),
            retryable=True,
        )
    finally:
        state.close()
    if isinstance(rv, Result):
        _runnable_reply_commands(rv, state)
        _add_runnable_recovery(rv, state)
        return rv
    return E.error_result(
        "image-skill" + (f" {argv[0]}" if argv else ""),
        E.PUBLIC_CLI_FAILED,
        "command produced no result",
        retryable=True,
    )


def _runnable_reply_commands(result: Result, state: AppState) -> None:
    """Every command the reply hands out runs here as printed (0.1.70 §7; see
    :mod:`image_skill.reply_commands`): our prefix, the explicit ``--api-base-url``, the
    carried config path and discovery source."""
    from image_skill.reply_commands import reply_context, rewrite_envelope

    ctx = reply_context(state.command_ctx(), os.environ)
    rewrite_envelope(result.envelope, ctx, commands=root.command_names())


def _add_runnable_recovery(result: Result, state: AppState) -> None:
    """``error.recovery.runnable_command`` when the server's suggested command would not run
    as printed here (:func:`image_skill.reply_commands.add_runnable_recovery`)."""
    from image_skill.reply_commands import add_runnable_recovery

    add_runnable_recovery(result.envelope, state.command_ctx(), commands=root.command_names())


def _interrupted(argv: list[str]) -> Result:
    return E.error_result(
        "image-skill" + (f" {argv[0]}" if argv else ""),
        E.INTERRUPTED,
        "interrupted before the command finished; any in-flight spend is recorded in a "
        "breadcrumb under the config directory's in-flight folder",
        retryable=True,
    )


def _shell_completion() -> int:
    """Click's shell completion (`eval "$(_IMAGE_SKILL_COMPLETE=bash_source image-skill)"`)."""
    try:
        root.main(args=[], prog_name="image-skill", complete_var=COMPLETION_ENV)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0


def _crashed(args: list[str], exc: Exception) -> Result:
    """The last line of defence: never a traceback on stdout."""
    return E.error_result(
        "image-skill" + (f" {args[0]}" if args else ""),
        E.PUBLIC_CLI_FAILED,
        f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__,
        retryable=True,
    )


def main(argv: list[str] | None, guard: interrupts.Interrupts) -> int:
    """One run under the installed signal policy ``guard``; see :func:`image_skill.cli.main`."""
    if argv is None and os.environ.get(COMPLETION_ENV):
        return _shell_completion()
    args = list(sys.argv[1:] if argv is None else argv)
    fmt = "json"
    try:
        fmt = choose_format(args)
        try:
            result = run(args)
        except Exception as exc:
            result = _crashed(args, exc)
    except KeyboardInterrupt:
        result = _interrupted(args)
    # The outcome is known: no signal cuts the envelope or changes the exit code from here.
    # (An attribute store, not a call: no signal handler can run between it and the above.)
    guard.armed = False
    scrub(result, args)
    emit(result, fmt, ran=_ran(args) if fmt == "human" else None)
    return result.exit_code


def _ran(args: list[str]) -> str | None:
    """``image-skill <command words>`` of a command line, for human titles; None if none."""
    from image_skill.cli.aliases import normalize_argv
    from image_skill.cli.help import help_words

    words = help_words(normalize_argv(args).argv)
    node: click.Command = root
    path: list[str] = []
    for word in words:
        sub = node.get_command(click.Context(node), word) if isinstance(node, click.Group) else None
        if sub is None:
            break
        path.append(word)
        node = sub
    return " ".join(["image-skill", *path]) if path else None
