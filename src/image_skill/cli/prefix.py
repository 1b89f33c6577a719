"""Find the words that run this program, for the commands we suggest.

Order:

1. ``IMAGE_SKILL_COMMAND_PREFIX`` (split like a shell would) when it holds at least one word;
2. ``image-skill`` when the ``image-skill`` found on ``PATH`` is the entry point of this very
   installation (the script next to ``sys.executable``, or a script whose ``#!`` line names
   ``sys.executable``);
3. otherwise ``<sys.executable> -m image_skill``, which always runs this installation.

Standard library only: this runs at CLI start-up.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

PREFIX_ENV = "IMAGE_SKILL_COMMAND_PREFIX"
SCRIPT_NAME = "image-skill"


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _shebang_interpreter(script: str) -> str | None:
    try:
        with open(script, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].strip()
    if not line:
        return None
    try:
        words = shlex.split(line.decode("utf-8", "surrogateescape"))
    except ValueError:
        return None
    return words[0] if words else None


def _is_our_entry_point(found: str, executable: str) -> bool:
    bindir = Path(executable).parent
    for name in (SCRIPT_NAME, SCRIPT_NAME + ".exe"):
        sibling = bindir / name
        if sibling.exists() and _same_file(found, sibling):
            return True
    interpreter = _shebang_interpreter(os.path.realpath(found))
    if interpreter is None:
        return False
    # Compare the paths as written (a venv's python is often a symlink to a shared system
    # interpreter, so resolving symlinks would confuse two installations).
    return os.path.normcase(os.path.abspath(interpreter)) == os.path.normcase(
        os.path.abspath(executable)
    )


def detect_prefix(
    environ: Mapping[str, str] | None = None,
    *,
    executable: str | None = None,
    path: str | None = None,
) -> tuple[str, ...]:
    """The program prefix for suggested commands (see the module docstring)."""
    environ = os.environ if environ is None else environ
    override = environ.get(PREFIX_ENV)
    if override is not None:
        try:
            words = shlex.split(override)
        except ValueError:
            words = []
        if words:
            return tuple(words)
    executable = executable if executable is not None else (sys.executable or "python3")
    found = shutil.which(SCRIPT_NAME, path=path if path is not None else environ.get("PATH"))
    if found is not None and _is_our_entry_point(found, executable):
        return (SCRIPT_NAME,)
    return (executable, "-m", "image_skill")
