"""The `image-skill` command line.

:func:`main` is the only entry point. Whatever happens (success, API error, bad arguments,
`--help`, `version`, Ctrl-C or SIGTERM, a crash) it writes exactly one envelope on stdout and
returns the exit code.

This module imports nothing at start-up: :func:`main` installs the signal policy
(:mod:`image_skill.cli.interrupts`) first and only then imports click and the command
modules (:mod:`image_skill.cli._root`), so a Ctrl-C during those imports still ends with an
``INTERRUPTED`` envelope instead of a traceback.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from image_skill.cli.interrupts import Interrupts

#: Names of the command tree that ``from image_skill.cli import NAME`` still finds here.
_ROOT_NAMES = frozenset(
    {"COMMANDS", "COMPLETION_ENV", "RootGroup", "UnknownCommand", "root", "run"}
)


def main(argv: list[str] | None = None) -> int:
    """Run one command line (``sys.argv[1:]`` when ``argv`` is None); return the exit code.

    Called with ``argv=None`` (the installed script, ``python -m image_skill``) SIGINT and
    SIGTERM stay blocked after the envelope is out, until the process exits, so a late
    signal cannot change the exit code; called with a list (tests, embedding) the previous
    handlers are restored on return.
    """
    from image_skill.cli import interrupts

    guard = interrupts.Interrupts().install()
    blocked = _skip_unused_imports()
    try:
        try:
            code = _fast_path(argv, guard)
            if code is not None:
                return code
            _calm_collector()
            from image_skill.cli import _root

            # _root.main catches every interrupt once its body runs; one that lands before
            # (while importing, or at its very first instruction) is a start-up interrupt.
            return _root.main(argv, guard)
        except KeyboardInterrupt:
            return _interrupted_during_start_up(argv, guard)
    finally:
        if argv is None:
            guard.block_until_exit()
            _skip_exit_collection()
        else:
            guard.restore()
            _unblock(blocked)
            restore_collector()


#: Modules the CLI never uses that its dependencies import when they can: httpx's
#: ``__init__`` imports ``httpx._main`` (httpx's own command-line tool, which pulls in rich
#: and pygments) and httpcore imports ``trio`` (for async code under trio; ~250 ms when
#: trio is installed, e.g. next to selenium), each inside ``try: ... except ImportError``.
UNUSED_OPTIONAL_IMPORTS = ("httpx._main", "trio")


def _skip_unused_imports() -> list[str]:
    """Keep :data:`UNUSED_OPTIONAL_IMPORTS` from loading; the names blocked.

    A ``None`` entry in ``sys.modules`` makes importing that name raise ImportError (the
    import system's documented way to block a module), so httpx keeps its stub
    ``httpx.main`` and httpcore its trio-less classes, and everything the CLI does works as
    before. Only the CLI does this, and only for a module that is not imported yet (nor its
    package, for ``httpx._main``).
    """
    import sys

    blocked = []
    for name in UNUSED_OPTIONAL_IMPORTS:
        if name not in sys.modules and name.partition(".")[0] not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
            blocked.append(name)
    return blocked


#: The collector's generation-0 threshold while a command line runs (CPython's default is
#: 700). Starting a command imports httpx, click and our modules: ~10^5 objects that all
#: live until the process ends, so the young-generation collections made while importing
#: find nothing to free and cost ~9 ms of a ~170 ms ``create --guide``. With this threshold
#: a long run still collects young cycles every 10^5 allocations.
CALM_GEN0_THRESHOLD = 100_000
_saved_thresholds: list[tuple[int, int, int]] = []


def _calm_collector() -> None:
    """Raise the generation-0 threshold to :data:`CALM_GEN0_THRESHOLD` for this run."""
    import gc

    gen0, gen1, gen2 = gc.get_threshold()
    if not _saved_thresholds:
        _saved_thresholds.append((gen0, gen1, gen2))
    gc.set_threshold(max(CALM_GEN0_THRESHOLD, gen0), gen1, gen2)


def restore_collector() -> None:
    """Put back the collector thresholds this run started with.

    Commands that run until stopped (``local serve``, ``mcp serve``) call it once they are
    set up; :func:`main` calls it on return when embedded (``argv`` given)."""
    import gc

    if _saved_thresholds:
        gc.set_threshold(*_saved_thresholds.pop())


def _skip_exit_collection() -> None:
    """Spare the process its shutdown garbage collection (~15 ms of a ~140 ms ``whoami``).

    The interpreter runs one full collection as it exits, over every object the imports
    made (httpx, click, ...). :func:`gc.freeze` moves them all to the permanent generation,
    which no collection walks. Called only by the installed script, once the envelope is
    out and everything the command opened is closed: nothing that is still to run depends
    on collecting a cycle (files and clients are closed explicitly, and ``atexit``
    handlers still run).
    """
    import gc

    gc.freeze()


def _fast_path(argv: list[str] | None, guard: Interrupts) -> int | None:
    """``version`` and the root help without click (:mod:`image_skill.cli.fast`): the exit
    code once the envelope is out, or None for every other command line."""
    import os
    import sys

    from image_skill.cli.fast import fast_result

    args = list(sys.argv[1:] if argv is None else argv)
    result = fast_result(args, os.environ)
    if result is None:
        return None
    guard.armed = False
    from image_skill.cli.output import emit

    if result.envelope["command"] != "image-skill version":
        # The root help holds the program prefix (argv[0], IMAGE_SKILL_COMMAND_PREFIX); the
        # version envelope holds only constants and a random trace id: nothing to redact.
        from image_skill.cli.scrub import scrub

        scrub(result, args)
    emit(result, "json")
    return result.exit_code


def _unblock(names: list[str]) -> None:
    """Undo :func:`_skip_unused_imports` (embedding: the host may want those modules)."""
    import sys

    for name in names:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def _interrupted_during_start_up(argv: list[str] | None, guard: Interrupts) -> int:
    """Ctrl-C while the CLI was still importing: the INTERRUPTED envelope, exit 130."""
    import sys

    guard.hold()
    from image_skill import envelope as E
    from image_skill.cli.output import choose_format, emit

    args = list(sys.argv[1:] if argv is None else argv)
    result = E.error_result(
        "image-skill" + (f" {args[0]}" if args else ""),
        E.INTERRUPTED,
        "interrupted while the CLI was starting, before the command ran; nothing was sent",
        retryable=True,
    )
    emit(result, choose_format(args))
    return result.exit_code


def __getattr__(name: str) -> Any:
    # The command tree loads lazily, so that importing this package stays cheap.
    if name in _ROOT_NAMES:
        from image_skill.cli import _root

        return getattr(_root, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
