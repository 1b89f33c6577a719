"""Writing results: one JSON envelope on stdout, or a human view with --human.

JSON mode is the default whatever the terminal is (agents run commands under PTYs):
2-space indent, UTF-8, one document, newline-terminated. Human mode renders the same
envelope with rich (imported only then); progress and notices go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from image_skill._constants import FORMAT_ENV
from image_skill.envelope import Envelope, Result


def _js_numbers(value: Any) -> Any:
    """Render integral floats as integers, as JavaScript's JSON.stringify does."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
        return value
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def dumps(envelope: Envelope) -> str:
    return json.dumps(_js_numbers(envelope), indent=2, ensure_ascii=False) + "\n"


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


def emit(result: Result, fmt: str = "json", *, stdout: IO[str] | None = None) -> None:
    stream = stdout if stdout is not None else sys.stdout
    if fmt == "human":
        from image_skill.render.human import render_human

        render_human(result, stream)
        return
    _write(stream, dumps(result.envelope))


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
    """A one-line notice on stderr (documented notices only in JSON mode)."""
    try:
        sys.stderr.write(message.rstrip("\n") + "\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


@contextmanager
def spinner(fmt: str, message: str) -> Iterator[None]:
    """A spinner on stderr while long work runs, only in --human mode at a terminal."""
    try:
        interactive = sys.stderr.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if fmt != "human" or not interactive:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield
