"""Write a download to its file and hash it in two more threads, while the first reads on.

Reading from the socket, hashing and writing each release the GIL for a large buffer, so
with the writing and the hashing each moved to a worker of its own the read loop gets its
next piece while the previous ones are written and hashed (on two cores: about the slowest
of the three instead of their sum). Each piece goes to both workers; they wait in bounded
queues, so memory stays at :data:`PENDING` pieces whatever the file's size. The writer
also starts the disk writes as it goes (:mod:`~image_skill.files.writeback`), so the final
sync of the file has little left to do.

:class:`FileSink` is a context manager: leaving it with an exception (Ctrl-C included) stops
the workers and waits for them, so nothing writes to the file once the caller removes it. A
write error in the writer (disk full) comes back as the ``OSError`` it was, raised by the
next :meth:`FileSink.write` or by :meth:`FileSink.finish`.
"""

from __future__ import annotations

import hashlib
import io
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import BinaryIO

from image_skill.files.writeback import Writeback

__all__ = ["PENDING", "FileSink"]

#: Pieces that may wait for each worker (the reads ask for 512 KiB: at most 4 MiB in flight).
PENDING = 8

_Queue = queue.Queue[bytes | None]


class FileSink:
    """Write pieces of a file and hash them, in order, in two worker threads."""

    def __init__(self, handle: BinaryIO, pending: int = PENDING) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self._writes: _Queue = queue.Queue(maxsize=pending)
        self._hashes: _Queue = queue.Queue(maxsize=pending)
        self._error: OSError | None = None
        self._stopped = threading.Event()
        try:
            fd: int | None = handle.fileno()
        except (OSError, io.UnsupportedOperation):
            fd = None  # not a file of the OS: nothing to start writing to a disk
        #: Starts the disk writes every few MB (see :mod:`~image_skill.files.writeback`).
        self.writeback = Writeback(fd)
        self._workers = [
            _start(self._run_writes, "image-skill-download"),
            _start(self._run_hashes, "image-skill-download-sha256"),
        ]

    def _run_writes(self) -> None:
        while True:
            piece = self._writes.get()
            if piece is None:  # the end
                return
            if self._error is not None or self._stopped.is_set():
                continue  # keep taking pieces so the reader never blocks on a full queue
            try:
                self._handle.write(piece)
                self.writeback.wrote(len(piece))
            except OSError as exc:
                self._error = exc
            except ValueError as exc:  # the file was closed under the worker
                self._error = OSError(str(exc))

    def _run_hashes(self) -> None:
        update = self._digest.update
        while True:
            piece = self._hashes.get()
            if piece is None:
                return
            if not self._stopped.is_set():
                update(piece)

    def write(self, piece: bytes) -> None:
        """Queue ``piece`` for both workers (waits while :data:`PENDING` pieces wait)."""
        if self._error is not None:
            raise self._error
        if piece:
            self._writes.put(piece)
            self._hashes.put(piece)

    def finish(self) -> str:
        """Wait for every queued piece to be written and hashed; the sha256 (hex) of all."""
        self._stop()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()

    def _stop(self) -> None:
        for line, worker in zip((self._writes, self._hashes), self._workers, strict=True):
            if worker.is_alive():
                line.put(None)
        for worker in self._workers:
            worker.join()

    def __enter__(self) -> FileSink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is not None:
            self._stopped.set()  # drop what is still queued: the file is going away
        self._stop()


def _start(target: Callable[[], None], name: str) -> threading.Thread:
    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    return worker
