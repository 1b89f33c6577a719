"""The one way this package writes a file that must never be seen half-written.

The bytes go to a new temporary file in the target's own directory (same filesystem, so the
final move is atomic), are flushed and fsynced, and only then take the target's name. A
failure at any step removes the temporary file and re-raises, so the target keeps its old
content (or stays absent).

* :func:`write_atomic` does all of that for bytes already in memory, replacing the target
  (``os.replace``): the config file, spend breadcrumbs, the local backend's media files.
* :func:`open_temp` and :func:`sync` are its two halves for a writer that streams and places
  the file itself (downloads, which may refuse to replace anything:
  :mod:`image_skill.files.placement`).

Standard library only; used by the CLI, the file helpers and the local backend alike.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

__all__ = ["open_new", "open_temp", "sync", "write_atomic"]


def open_temp(
    directory: Path, *, prefix: str, suffix: str, mode: int | None = None
) -> tuple[BinaryIO, str]:
    """A new, empty temporary file in ``directory``, open for binary writing, and its name.

    The file is private (0600) from creation; ``mode`` changes that before any byte is
    written. The caller closes the handle and removes or moves the name.
    """
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        handle = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return handle, name


def open_new(path: str, *, mode: int | None = None) -> BinaryIO:
    """Create ``path`` (which must not exist yet), private (0600) unless ``mode`` says
    otherwise, and open it for binary writing.

    Unlike :func:`open_temp` the caller chooses the name first, so it knows what to remove
    even when it is interrupted while the file is being created.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def sync(handle: BinaryIO) -> None:
    """Push what was written to ``handle`` down to the disk (flush, then fsync)."""
    handle.flush()
    os.fsync(handle.fileno())


def write_atomic(
    path: Path,
    data: bytes,
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    mode: int | None = None,
) -> None:
    """Write ``data`` as ``path`` in one step: readers see the old file or the whole new one.

    The directory must exist. ``prefix`` defaults to ``.<name>.`` (a hidden sibling);
    ``mode`` is applied to the temporary file before writing, so the content is never
    readable with looser permissions. Raises the ``OSError`` of the step that failed.
    """
    handle, tmp = open_temp(
        path.parent,
        prefix=f".{path.name}." if prefix is None else prefix,
        suffix=suffix,
        mode=mode,
    )
    try:
        with handle:
            handle.write(data)
            sync(handle)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
