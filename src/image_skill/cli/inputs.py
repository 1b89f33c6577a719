"""Flag values that are read or parsed: ``--prompt-file`` and ``--model-parameters-json``.

Both end any bad input as one failure envelope, never as an internal error:

``--prompt-file PATH`` (relative to the working directory; ``-`` is a file name, as in the
contract) must be a regular file or a pipe (a FIFO, or ``<(...)`` process substitution).
Devices (``/dev/zero``, a terminal), sockets and the like are refused with
``INVALID_ARGUMENTS``, as is a file over :data:`MAX_PROMPT_FILE_BYTES`. A FIFO nobody opens
for writing within :data:`PIPE_OPEN_SECONDS`, or a writer that has not closed it within
:data:`PIPE_READ_SECONDS`, is refused instead of blocking forever. A missing or unreadable
file, or text that is not UTF-8, is ``INPUT_FILE_UNREADABLE`` (exit 9).

``--model-parameters-json`` must be a JSON object in strict JSON (no ``NaN``/``Infinity``),
nested at most :data:`MAX_JSON_DEPTH` levels, with only valid Unicode text (a lone
surrogate escape such as ``"\\ud800"`` cannot be sent) and numbers of at most 4300 digits
that fit a double (``1e400`` would become Infinity).
"""

from __future__ import annotations

import json
import math
import os
import stat
import threading
from pathlib import Path
from typing import Any

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.cli._app import CommandFailed

#: The largest prompt file read (far above any model's prompt limit).
MAX_PROMPT_FILE_BYTES = 1024 * 1024
#: How long a FIFO given as --prompt-file may wait for a writer to open it.
PIPE_OPEN_SECONDS = 3.0
#: How long a writer may then take to deliver the whole text and close the pipe.
PIPE_READ_SECONDS = 60.0
#: How deeply a JSON flag value may nest.
MAX_JSON_DEPTH = 64


# -- --prompt-file -------------------------------------------------------------------------


def _unreadable(label: str, target: Path, reason: str) -> CommandFailed:
    return CommandFailed(
        E.error_result(
            label,
            E.INPUT_FILE_UNREADABLE,
            f"could not read --prompt-file {target}: {reason}",
            recovery={"path": str(target), "docs_url": f"{C.DOCS_URL}#image-skill-create"},
        )
    )


def _refused(label: str, target: Path, reason: str) -> CommandFailed:
    return CommandFailed(E.invalid(label, f"--prompt-file {target} {reason}"))


def _kind(mode: int) -> str | None:
    """What a non-regular, non-pipe file is, or None when it may be read."""
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_capped(target: Path, opened: threading.Event | None = None) -> bytes:
    with open(target, "rb") as handle:
        if opened is not None:
            opened.set()
        return handle.read(MAX_PROMPT_FILE_BYTES + 1)


def _read_pipe(label: str, target: Path) -> bytes:
    """Read a FIFO in a helper thread: a writer must open it within PIPE_OPEN_SECONDS and
    close it within PIPE_READ_SECONDS."""
    box: dict[str, Any] = {}
    opened = threading.Event()

    def reader() -> None:
        try:
            box["data"] = _read_capped(target, opened)
        except OSError as exc:
            box["error"] = exc

    thread = threading.Thread(target=reader, name="image-skill-prompt-file", daemon=True)
    thread.start()
    if not opened.wait(PIPE_OPEN_SECONDS) and thread.is_alive():
        _release_reader(target)
        raise _refused(
            label,
            target,
            f"is a pipe that nothing opened for writing within {PIPE_OPEN_SECONDS:g} s; "
            "write the prompt to a regular file instead",
        )
    thread.join(PIPE_READ_SECONDS)
    if thread.is_alive():
        raise _refused(
            label,
            target,
            f"is a pipe whose writer did not finish within {PIPE_READ_SECONDS:g} s; "
            "write the prompt to a regular file instead",
        )
    if "error" in box:
        exc = box["error"]
        raise _unreadable(label, target, exc.strerror or exc.__class__.__name__)
    data = box.get("data", b"")
    assert isinstance(data, bytes)
    return data


def _release_reader(target: Path) -> None:
    """Unblock a reader stuck opening a FIFO that has no writer (open and close one end)."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


def read_prompt_file(label: str, path: str) -> str:
    """The UTF-8 text of ``--prompt-file`` (see the module docstring)."""
    target = Path(os.path.abspath(path))
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        raise _unreadable(label, target, exc.strerror or exc.__class__.__name__) from None
    kind = _kind(mode)
    if kind is not None:
        raise _refused(label, target, f"is {kind}; give a regular file holding the prompt")
    try:
        data = _read_pipe(label, target) if stat.S_ISFIFO(mode) else _read_capped(target)
    except OSError as exc:
        raise _unreadable(label, target, exc.strerror or exc.__class__.__name__) from None
    if len(data) > MAX_PROMPT_FILE_BYTES:
        raise _refused(
            label, target, f"is larger than {MAX_PROMPT_FILE_BYTES} bytes; shorten the prompt"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _unreadable(label, target, "not valid UTF-8") from None


# -- JSON flags ------------------------------------------------------------------------------


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _shape_problem(value: Any) -> str | None:
    """Too deep, or holding text that is not valid Unicode (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            strings = [item]
        elif isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                return f"nests deeper than {MAX_JSON_DEPTH} levels"
            strings = list(item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                return f"nests deeper than {MAX_JSON_DEPTH} levels"
            strings = []
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float) and not math.isfinite(item):
            return "holds a number too large for JSON"
        else:
            continue
        for text in strings:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return "holds a lone surrogate escape (\\ud800-\\udfff), which is not valid text"
    return None


def json_object(label: str, flag: str, value: str | None) -> dict[str, Any] | None:
    """The JSON object given as ``--<flag>`` (None when the flag is absent)."""
    if value is None:
        return None
    try:
        parsed = json.loads(value, parse_constant=_no_constant)
    except RecursionError:
        raise CommandFailed(
            E.invalid(label, f"--{flag} nests deeper than {MAX_JSON_DEPTH} levels")
        ) from None
    except ValueError as exc:
        detail = " (a number in it has more than 4300 digits)" if "digits" in str(exc) else ""
        raise CommandFailed(E.invalid(label, f"--{flag} must be a JSON object{detail}")) from None
    if not isinstance(parsed, dict):
        raise CommandFailed(E.invalid(label, f"--{flag} must be a JSON object"))
    problem = _shape_problem(parsed)
    if problem is not None:
        raise CommandFailed(E.invalid(label, f"--{flag} {problem}"))
    return parsed
