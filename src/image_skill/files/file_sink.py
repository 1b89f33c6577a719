"""Write a download to its file and hash it in a second thread, while the first reads on.

Reading from the socket, hashing and writing each release the GIL for a large buffer, so
with the hashing and writing moved to a worker the read loop gets its next piece while the
previous one is hashed and written (on two cores: the transfer instead of the sum of the
three). The pieces wait in a bounded queue, so memory stays at :data:`PENDING` pieces
whatever the file's size.

:class:`FileSink` is a context manager: leaving it with an exception (Ctrl-C included) stops
the worker and waits for it, so nothing writes to the file once the caller removes it. A
write error in the worker (disk full) comes back as the ``OSError`` it was, raised by the
next :meth:`FileSink.write` or by :meth:`FileSink.finish`.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from types import TracebackType
from typing import BinaryIO

__all__ = ["PENDING", "FileSink"]

#: Pieces that may wait for the worker (64 KiB each from httpx: at most 2 MiB in flight).
PENDING = 32


class FileSink:
    """Hash and write pieces of a file in a worker thread, in order."""

    def __init__(self, handle: BinaryIO, pending: int = PENDING) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=pending)
        self._error: OSError | None = None
        self._stopped = threading.Event()
        self._worker = threading.Thread(target=self._run, name="image-skill-download", daemon=True)
        self._worker.start()

    def _run(self) -> None:
        while True:
            piece = self._queue.get()
            if piece is None:  # the end
                return
            if self._error is not None or self._stopped.is_set():
                continue  # keep taking pieces so the reader never blocks on a full queue
            try:
                self._handle.write(piece)
                self._digest.update(piece)
            except OSError as exc:
                self._error = exc
            except ValueError as exc:  # the file was closed under the worker
                self._error = OSError(str(exc))

    def write(self, piece: bytes) -> None:
        """Queue ``piece`` (waits while :data:`PENDING` pieces are queued)."""
        if self._error is not None:
            raise self._error
        if piece:
            self._queue.put(piece)

    def finish(self) -> str:
        """Wait for every queued piece to be written; the sha256 (hex) of all of them."""
        self._stop()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()

    def _stop(self) -> None:
        if self._worker.is_alive():
            self._queue.put(None)
            self._worker.join()

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
