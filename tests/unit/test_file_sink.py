"""The download sink: pieces are written in order and hashed in a worker thread; a write
error comes back to the reader; leaving early stops the worker before the file goes away."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest

from image_skill.files.file_sink import PENDING, FileSink


def test_pieces_are_written_in_order_and_hashed(tmp_path: Path) -> None:
    pieces = [os.urandom(n) for n in (1, 65536, 0, 7, 300_000, 65536)] * 20
    path = tmp_path / "out.bin"
    with open(path, "wb") as handle, FileSink(handle) as sink:
        for piece in pieces:
            sink.write(piece)
        digest = sink.finish()
    data = path.read_bytes()
    assert data == b"".join(pieces)
    assert digest == hashlib.sha256(data).hexdigest()


class _FailingFile(io.BytesIO):
    def __init__(self, fail_after: int) -> None:
        super().__init__()
        self.fail_after = fail_after

    def write(self, data: object) -> int:
        if self.tell() >= self.fail_after:
            raise OSError(28, "No space left on device")
        return super().write(data)  # type: ignore[arg-type]


def test_a_write_error_reaches_the_reader_as_the_same_oserror() -> None:
    sink = FileSink(_FailingFile(fail_after=10))  # type: ignore[arg-type]
    with pytest.raises(OSError, match="No space left") as info, sink:
        for _ in range(10 * PENDING):  # more than the queue holds: the reader never hangs
            sink.write(b"x" * 100)
        sink.finish()
    assert info.value.errno == 28


def test_leaving_with_an_exception_stops_the_worker_and_drops_the_rest(tmp_path: Path) -> None:
    before = {t.name for t in threading.enumerate()}
    path = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt), open(path, "wb") as handle, FileSink(handle) as sink:
        for _ in range(PENDING):
            sink.write(b"y" * 65536)
        raise KeyboardInterrupt
    assert "image-skill-download" not in {t.name for t in threading.enumerate()} - before
    assert path.stat().st_size <= PENDING * 65536 and path.stat().st_size % 65536 == 0
    os.unlink(path)  # nothing writes to it any more
    assert not path.exists()
