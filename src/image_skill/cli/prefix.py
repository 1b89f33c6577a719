"""Find the words that run this program, for the commands we suggest.

Order:

1. ``IMAGE_SKILL_COMMAND_PREFIX`` (split like a shell would) when it holds at least one word;
2. the runner's own words when this installation lives in a throw-away environment that a
   runner made for one call: ``uvx --from 'image-skill[local]' image-skill`` inside uv's cache
   (``uvx`` / ``uv tool run``), ``pipx run --spec 'image-skill[local]' image-skill`` inside
   pipx's run cache. The scripts of such an environment are not on the user's ``PATH`` (a
   runner may put them on the ``PATH`` of the one process it starts, which is why this comes
   before step 3), and the environment can be deleted at any time, so neither ``image-skill``
   nor its absolute interpreter path would work for long. See :func:`ephemeral_runner_prefix`;
3. ``image-skill`` when the ``image-skill`` found on ``PATH`` is the entry point of this very
   installation (the script next to ``sys.executable``, or a script whose ``#!`` line names
   ``sys.executable``);
4. otherwise ``<sys.executable> -m image_skill``, which always runs this installation.

Standard library only: this runs at CLI start-up.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from image_skill._constants import COMMAND_PREFIX_ENV as PREFIX_ENV

SCRIPT_NAME = "image-skill"
#: The requirement a runner should fetch again: the local backend comes with it, so every
#: suggested command (``--api-base-url local`` included) works from the same environment.
RUNNER_SPEC = "image-skill[local]"
UVX_PREFIX = ("uvx", "--from", RUNNER_SPEC, SCRIPT_NAME)
PIPX_RUN_PREFIX = ("pipx", "run", "--spec", RUNNER_SPEC, SCRIPT_NAME)

# uv keeps the environments of `uvx` in its cache, in versioned buckets ("archive-v0",
# "environments-v2", ...); `uv tool install` puts tools elsewhere (its tools directory).
_UV_BUCKET = re.compile(r"(?:archive|environments)-v\d+")
# `pipx run` names each cached environment with the first 15 hex digits of a SHA-256.
_PIPX_RUN_VENV = re.compile(r"[0-9a-f]{15}")
_PIPX_CACHE_NAMES = frozenset({".cache", "Cache"})
_SEPARATORS = re.compile(r"[\\/]+")


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


def _parts(path: str) -> list[str]:
    return [part for part in _SEPARATORS.split(path) if part]


def _in_uv_cache(parts: list[str], environ: Mapping[str, str]) -> bool:
    cache_dir = environ.get("UV_CACHE_DIR")
    cache_parts = _parts(cache_dir) if cache_dir else None
    for index, part in enumerate(parts):
        if not _UV_BUCKET.fullmatch(part):
            continue
        # The bucket must sit right in a uv cache: the default one ("~/.cache/uv",
        # "...\\uv\\cache"), the one UV_CACHE_DIR names, or any when uv itself started us
        # (uv sets UV to its own path for every process it spawns).
        parent = parts[index - 1].lower() if index >= 1 else ""
        grandparent = parts[index - 2].lower() if index >= 2 else ""
        if parent == "uv" or (parent == "cache" and grandparent == "uv"):
            return True
        if parts[:index] == cache_parts or "UV" in environ:
            return True
    return False


def _in_pipx_run_cache(parts: list[str], environ: Mapping[str, str]) -> bool:
    for index, part in enumerate(parts):
        if index == 0 or not _PIPX_RUN_VENV.fullmatch(part):
            continue
        parent = parts[index - 1]
        # "~/.cache/pipx/<hash>" (the platform cache dir), "<pipx home>/.cache/<hash>"
        # (PIPX_HOME, "~/.local/pipx", "~/.local/share/pipx"), "...\\pipx\\Cache\\<hash>".
        if parent == "pipx":
            return True
        if parent in _PIPX_CACHE_NAMES:
            if "pipx" in parts[: index - 1]:
                return True
            home = environ.get("PIPX_HOME")
            if home and _parts(home) == parts[: index - 1]:
                return True
    return False


def ephemeral_runner_prefix(
    package_path: str, environ: Mapping[str, str]
) -> tuple[str, ...] | None:
    """The runner's words when ``package_path`` lies in a ``uvx`` or ``pipx run`` environment.

    ``package_path`` is where this package is installed (the ``image_skill`` directory, or
    any path inside that environment); ``environ`` is the process environment. Pure: it
    looks only at the path's components and a few variables (``UV``, ``UV_CACHE_DIR``,
    ``PIPX_HOME``), never at the file system. ``None`` means "not a runner's throw-away
    environment": a virtualenv, ``pipx install``, ``uv tool install`` or a system install.
    """
    parts = _parts(package_path)
    if _in_uv_cache(parts, environ):
        return UVX_PREFIX
    if _in_pipx_run_cache(parts, environ):
        return PIPX_RUN_PREFIX
    return None


def _package_paths() -> tuple[str, ...]:
    # This file is image_skill/cli/prefix.py: the package directory is two levels up. Both
    # the path as imported and the resolved one count (uv links cached environments).
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    real = os.path.realpath(here)
    return (here,) if real == here else (here, real)


def detect_prefix(
    environ: Mapping[str, str] | None = None,
    *,
    executable: str | None = None,
    path: str | None = None,
    package_path: str | None = None,
) -> tuple[str, ...]:
    """The program prefix for suggested commands (see the module docstring).

    ``package_path`` stands for where this package is installed (default: this very file's
    package), for tests.
    """
    environ = os.environ if environ is None else environ
    override = environ.get(PREFIX_ENV)
    if override is not None:
        try:
            words = shlex.split(override)
        except ValueError:
            words = []
        if words:
            return tuple(words)
    for where in (package_path,) if package_path is not None else _package_paths():
        runner = ephemeral_runner_prefix(where, environ)
        if runner is not None:
            return runner
    executable = executable if executable is not None else (sys.executable or "python3")
    found = shutil.which(SCRIPT_NAME, path=path if path is not None else environ.get("PATH"))
    if found is not None and _is_our_entry_point(found, executable):
        return (SCRIPT_NAME,)
    return (executable, "-m", "image_skill")
