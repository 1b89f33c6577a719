"""Everything a run writes, in one :class:`Output`: the envelope on stdout, and notices,
the spinner and progress bars on stderr.

JSON mode is the default whatever the terminal is (agents run commands under PTYs):
2-space indent, UTF-8, one document, newline-terminated. Human mode renders the same
envelope with rich (imported only then; :mod:`image_skill.render` builds the views). The
spinner and progress bars appear only in human mode with stderr at a terminal (not
``TERM=dumb``). Colour
follows rich's reading of ``NO_COLOR``, ``FORCE_COLOR`` and ``TERM=dumb``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from image_skill._constants import FORMAT_ENV
from image_skill._js import json_numbers
from image_skill.envelope import Envelope, Result

TYPE_CHECKING = False  # typing costs every call ~3 ms; only mypy needs it
if TYPE_CHECKING:
    from typing import IO, Any


def dumps(envelope: Envelope) -> str:
    return json.dumps(json_numbers(envelope), indent=2, ensure_ascii=False) + "\n"


def choose_format(argv: list[str], env: dict[str, str] | None = None) -> str:
    """`--human` / `--json` anywhere before `--` (last one wins), else IMAGE_SKILL_FORMAT."""
    env = dict(os.environ) if env is None else env
    fmt = "human" if env.get(FORMAT_ENV, "").strip().lower() == "human" else "json"
    for token in argv:
        if token == "--":
            break
        if token == "--human":
            fmt = "human"
        elif token == "--json":
            fmt = "json"
    return fmt


def _write(stream: IO[str], text: str) -> None:
    buffer = getattr(stream, "buffer", None)
    try:
        if buffer is not None:
            stream.flush()
            data = memoryview(text.encode("utf-8"))
            # A signal that interrupts a write into a full pipe makes write() return after
            # a partial write (even when the handler does not raise): write the rest too.
            while data:
                written = buffer.write(data)
                if not written:
                    break
                data = data[written:]
            buffer.flush()
        else:
            stream.write(text)
            stream.flush()
    except BrokenPipeError:
        # The reader went away (`| head`); nothing useful left to do.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass


class TextResult(Result):
    """A result printed as plain text instead of an envelope (``completion``'s script,
    which a shell reads with ``eval``); the envelope is kept for in-process callers."""

    __slots__ = ("text",)

    def __init__(self, text: str, command: str, data: dict[str, Any]) -> None:
        from image_skill.envelope import success

        super().__init__(success(command, data), 0)
        self.text = text


#: Reports how much of a transfer (a download or an upload) is done:
#: ``update(bytes_done, bytes_total_or_None)``.
ProgressUpdate = Callable[[int, "int | None"], None]


class Output:
    """Where one run writes: ``fmt`` is ``json`` or ``human``; ``stdout`` and ``stderr``
    default to the process streams as they are at write time. (A plain class, not a
    dataclass: importing dataclasses costs every call's start-up ~5 ms.)"""

    __slots__ = ("fmt", "stderr", "stdout")

    def __init__(
        self, fmt: str = "json", stdout: IO[str] | None = None, stderr: IO[str] | None = None
    ) -> None:
        self.fmt, self.stdout, self.stderr = fmt, stdout, stderr

    def __repr__(self) -> str:
        return f"Output(fmt={self.fmt!r})"

    def _out(self) -> IO[str]:
        return self.stdout if self.stdout is not None else sys.stdout

    def _err(self) -> IO[str]:
        return self.stderr if self.stderr is not None else sys.stderr

    def emit(self, result: Result, *, ran: str | None = None) -> None:
        """The one envelope on stdout (JSON, or the human view, whose titles name ``ran``:
        the command of the command line, such as ``image-skill assets get``)."""
        stream = self._out()
        if isinstance(result, TextResult):
            _write(stream, result.text)
            return
        if self.fmt == "human":
            from rich.console import Console

            from image_skill.render.human import render_human

            render_human(Console(file=stream, highlight=False, soft_wrap=False), result, ran=ran)
            return
        _write(stream, dumps(result.envelope))

    def notice(self, message: str) -> None:
        """A one-line notice on stderr (documented notices only in JSON mode)."""
        stream = self._err()
        try:
            stream.write(message.rstrip("\n") + "\n")
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass

    def interactive(self) -> bool:
        """Human mode with stderr at a terminal: the only place for spinners and bars."""
        try:
            dumb = os.environ.get("TERM", "").strip().lower() in ("dumb", "unknown")
            return self.fmt == "human" and not dumb and self._err().isatty()
        except (AttributeError, ValueError):
            return False

    def _console(self) -> Any:
        from rich.console import Console

        return Console(file=self._err())

    @contextmanager
    def spinner(self, message: str) -> Iterator[None]:
        """A spinner on stderr while long work runs (see :meth:`interactive`)."""
        if not self.interactive():
            yield
            return
        with self._console().status(message):
            yield

    @contextmanager
    def progress(self, description: str) -> Iterator[ProgressUpdate | None]:
        """A transfer progress bar on stderr (see :meth:`interactive`): description, bar,
        percent, time left, bytes done of total and rate. Yields its update function, or
        None when nothing is shown; the bar is gone once the block ends."""
        if not self.interactive():
            yield None
            return
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        columns = (*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, transient=True, console=self._console()) as bar:
            task = bar.add_task(description, total=None)

            def update(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            yield update


def emit(
    result: Result, fmt: str = "json", *, stdout: IO[str] | None = None, ran: str | None = None
) -> None:
    """:meth:`Output.emit` for callers without a run's state (start-up, tests)."""
    Output(fmt, stdout=stdout).emit(result, ran=ran)


#: The notice printed once when a token is given with --token (see token_flag_notice).
TOKEN_FLAG_NOTICE_KEY = "token_on_command_line"


def token_flag_notice() -> str:
    """The one-line stderr notice (JSON, like the ``in_flight`` one) printed once per run
    when ``--token`` is given on the command line::

        {"token_on_command_line": {"flag": "--token", "use_instead": "--token-stdin",
                                   "message": "..."}}
    """
    payload = {
        TOKEN_FLAG_NOTICE_KEY: {
            "flag": "--token",
            "use_instead": "--token-stdin",
            "message": (
                "a token given with --token can be read by other users of this machine "
                "(process list) and stays in shell history; pipe it with --token-stdin or "
                "set IMAGE_SKILL_TOKEN instead"
            ),
        }
    }
    return json.dumps(payload, ensure_ascii=False, separators=(", ", ": "))


def notice(message: str) -> None:
    """:meth:`Output.notice` for callers without a run's state."""
    Output().notice(message)
