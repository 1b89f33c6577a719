"""The download sink: pieces are written in order by one worker thread and hashed by another;
a write error comes back to the reader; leaving early stops both workers before the file goes
away; the disk writes start every few MB (Writeback), and only where the OS can do that."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import threading
from pathlib import Path

import pytest

from image_skill.files.file_sink import PENDING, FileSink
from image_skill.files.writeback import STEP, Writeback

LINUX = sys.platform.startswith("linux")


def _sink_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("image-skill-download")}


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


def test_leaving_with_an_exception_stops_the_workers_and_drops_the_rest(tmp_path: Path) -> None:
    before = _sink_threads()
    path = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt), open(path, "wb") as handle, FileSink(handle) as sink:
        assert len(_sink_threads() - before) == 2  # the writer and the hasher
        for _ in range(PENDING):
            sink.write(b"y" * 65536)
        raise KeyboardInterrupt
    assert _sink_threads() - before == set()
    assert path.stat().st_size <= PENDING * 65536 and path.stat().st_size % 65536 == 0
    os.unlink(path)  # nothing writes to it any more
    assert not path.exists()


def test_a_file_written_through_the_sink_starts_its_writeback_as_it_goes(tmp_path: Path) -> None:
    piece = os.urandom(1 << 20)
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle, FileSink(handle) as sink:
        for _ in range(2 * STEP // len(piece) + 1):
            sink.write(piece)
        digest = sink.finish()
    assert sink.writeback.requests == (2 if LINUX else 0)
    assert path.stat().st_size == 2 * STEP + len(piece)
    assert digest == hashlib.sha256(piece * (2 * STEP // len(piece) + 1)).hexdigest()


def test_writeback_asks_once_per_step_of_bytes_written(tmp_path: Path) -> None:
    with open(tmp_path / "f.bin", "wb", buffering=0) as handle:
        writeback = Writeback(handle.fileno(), step=1000)
        for _ in range(9):
            handle.write(b"z" * 300)
            writeback.wrote(300)
    assert writeback.requests == (2 if LINUX else 0)  # at 1200 and 2400 bytes, not 2700


def test_writeback_switches_itself_off_where_the_kernel_refuses() -> None:
    read_end, write_end = os.pipe()  # sync_file_range on a pipe fails (ESPIPE)
    try:
        writeback = Writeback(write_end, step=10)
        for _ in range(5):
            os.write(write_end, b"p" * 10)
            writeback.wrote(10)
        assert writeback.requests == 0
        assert os.read(read_end, 100) == b"p" * 50
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_sink_on_a_file_without_a_descriptor_still_writes_and_hashes() -> None:
    buffer = io.BytesIO()
    with FileSink(buffer) as sink:  # type: ignore[arg-type] - any binary file object
        sink.write(b"abc" * 1000)
        digest = sink.finish()
    assert buffer.getvalue() == b"abc" * 1000 and sink.writeback.requests == 0
    assert digest == hashlib.sha256(b"abc" * 1000).hexdigest()
