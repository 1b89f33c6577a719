"""Put a finished temporary file at its target name without replacing what must stay.

Three ways to place a file (all take a temporary file in the target's own directory):

* :func:`place_exclusive`: the name must be free. The move is atomic and never replaces
  anything, not even a file or symbolic link that appeared a moment earlier: Linux
  ``renameat2(RENAME_NOREPLACE)``; elsewhere a hard link (``link(2)`` fails with ``EEXIST``
  atomically and never follows a link at the destination) followed by removing the
  temporary name; ``os.rename`` on Windows (it refuses an existing name). Filesystems with
  none of these get an ``O_CREAT | O_EXCL`` copy. A taken name raises ``FileExistsError``.
* :func:`place_unique`: like exclusive, but a taken name moves on to ``name-2.ext``,
  ``name-3.ext``, ...
* :func:`place_replacing`: ``os.replace`` over a regular file only; anything else at the
  name (directory, symbolic link, device, FIFO, socket) raises :class:`NotRegularFile`.

:func:`non_regular_kind` names what is at a path when it is not a regular file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "NotRegularFile",
    "candidate_names",
    "non_regular_kind",
    "place_exclusive",
    "place_replacing",
    "place_unique",
]

#: How many ``name-N`` candidates :func:`place_unique` tries before giving up.
MAX_CANDIDATES = 1000

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)
#: errno values meaning "this filesystem cannot do that", as opposed to a real refusal.
_UNSUPPORTED = {
    errno.ENOSYS,
    errno.EINVAL,
    errno.EPERM,
    errno.EXDEV,
    errno.EMLINK,
    getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
    errno.EOPNOTSUPP,
}


class NotRegularFile(Exception):
    """Something other than a regular file is at the target name."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}")
        self.path = path
        self.kind = kind


def non_regular_kind(path: Path) -> str | None:
    """``"a directory"``, ``"a symbolic link"``, ... for what is at ``path`` (not followed);
    None when nothing is there or it is a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def candidate_names(target: Path) -> Iterator[Path]:
    """``target``, then ``stem-2.ext``, ``stem-3.ext``, ... in the same directory."""
    yield target
    for number in range(2, MAX_CANDIDATES + 1):
        yield target.with_name(f"{target.stem}-{number}{target.suffix}")


def place_exclusive(tmp: str, target: Path) -> None:
    """Move ``tmp`` to ``target`` only if no name ``target`` exists; atomic where possible."""
    if os.name == "nt":  # pragma: no cover - Windows' rename never replaces
        os.rename(tmp, target)
        return
    if _renameat2_noreplace(tmp, target):
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
        _copy_exclusive(tmp, target)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def place_unique(tmp: str, target: Path) -> Path:
    """:func:`place_exclusive` at the first free name of :func:`candidate_names`."""
    for candidate in candidate_names(target):
        try:
            place_exclusive(tmp, candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(errno.EEXIST, "no free file name", str(target))


def place_replacing(tmp: str, target: Path) -> bool:
    """Move ``tmp`` over the regular file at ``target`` (or to a free name); return whether a
    file was replaced. Raise :class:`NotRegularFile` when anything else is there."""
    kind = non_regular_kind(target)
    if kind is not None:
        raise NotRegularFile(target, kind)
    existed = os.path.lexists(target)
    os.replace(tmp, target)
    return existed


# -- platform pieces -----------------------------------------------------------------------


def _renameat2_noreplace(tmp: str, target: Path) -> bool:
    """``renameat2(..., RENAME_NOREPLACE)``: True when done, False when not available here.

    Raises the call's own error (``FileExistsError`` for a taken name) otherwise.
    """
    libc = _libc()
    func = getattr(libc, "renameat2", None) if libc is not None else None
    if func is None:
        return False
    import ctypes

    at_fdcwd, rename_noreplace = -100, 1
    if func(at_fdcwd, os.fsencode(tmp), at_fdcwd, os.fsencode(target), rename_noreplace) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(target))


_LIBC: list[object] = []


def _libc() -> object | None:
    """The C library (Linux only; cached), or None."""
    if not _LIBC:
        found: object | None = None
        if sys.platform.startswith("linux"):
            import ctypes

            with contextlib.suppress(OSError):
                found = ctypes.CDLL(None, use_errno=True)
        _LIBC.append(found)
    return _LIBC[0]


def _copy_exclusive(tmp: str, target: Path) -> None:
    """Last resort: create ``target`` with ``O_EXCL`` (never through a link) and copy."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, stat.S_IMODE(os.stat(tmp).st_mode))
    try:
        with os.fdopen(fd, "wb") as out, open(tmp, "rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
