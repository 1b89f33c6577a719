"""Start writing a file's new bytes to the disk while the rest of it is still arriving.

A download is synced (``fsync``) before it is moved into place, so a crash can never leave a
named but incomplete file. Left alone, the kernel keeps the whole body in the page cache and
that final sync then writes all of it while the caller waits (about 0.1 s per 200 MB on a
fast disk, far longer on a slow one). :class:`Writeback` asks the kernel, every
:data:`STEP` bytes, to start writing what was written so far (Linux
``sync_file_range(SYNC_FILE_RANGE_WRITE)``: it starts the writes and does not wait for
them), so the disk works during the transfer and the final sync has only the tail left.

It is only a head start: the final ``fsync`` still gives the guarantee. Where the call does
not exist (not Linux, no C library) or fails in any way, it switches itself off and the
final sync does everything, as before.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

__all__ = ["STEP", "Writeback"]

#: Bytes written between two requests to start writing them to the disk.
STEP = 8 * 1024 * 1024

_SYNC_FILE_RANGE_WRITE = 2
_FUNC: list[Any] = []


def _sync_file_range() -> Any:
    """libc's ``sync_file_range`` with its argument types set (cached), or None."""
    if not _FUNC:
        found: Any = None
        if sys.platform.startswith("linux"):
            import ctypes

            with contextlib.suppress(OSError, AttributeError):
                found = ctypes.CDLL(None, use_errno=True).sync_file_range
                found.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
                found.restype = ctypes.c_int
        _FUNC.append(found)
    return _FUNC[0]


class Writeback:
    """Track the bytes written to file descriptor ``fd`` and start their writeback every
    :data:`STEP` bytes (``fd`` None: do nothing)."""

    def __init__(self, fd: int | None, step: int = STEP) -> None:
        self._func = _sync_file_range() if fd is not None else None
        self._fd = fd if fd is not None else -1
        self._step = step
        self._written = 0
        self._started = 0
        #: How many ranges were handed to the kernel (for tests and benchmarks).
        self.requests = 0

    def wrote(self, count: int) -> None:
        """``count`` more bytes were written (the file is written in order, from 0)."""
        self._written += count
        if self._func is None or self._written - self._started < self._step:
            return
        length = self._written - self._started
        if self._func(self._fd, self._started, length, _SYNC_FILE_RANGE_WRITE) != 0:
            self._func = None  # not possible here (a pipe, a filesystem that refuses)
            return
        self.requests += 1
        self._started = self._written
