"""The body of ``POST /v1/upload`` (contract §10.1), streamed from the file while it is sent.

The body is one JSON object whose last member, ``bytes_base64``, holds the whole file. Built
in memory that costs the file several times over (the bytes, their base64 text, the JSON
text, its UTF-8 encoding). :class:`UploadBody` produces the same bytes as
:func:`image_skill.api.wire.json_body` of the payload, key order included, without holding
them: the members before ``bytes_base64`` are encoded once, then the file is read in chunks
of :data:`CHUNK` bytes (a multiple of 3, so the base64 of consecutive chunks is the base64
of the whole) and each chunk is encoded as it is sent. Its length is known in advance, so
the request carries a ``Content-Length`` rather than chunked framing.

``sha256`` precedes the bytes in the body, so the file is read twice: once by
:func:`scan_file` (size, digest and the leading bytes used to sniff the type) and once while
sending. The second read is hashed as well; a file that got shorter or changed in between
raises :class:`SourceChanged` before the body is complete, so the server never receives a
finished body whose bytes differ from what it declares.

Iterating the body again starts over from the first byte: a retried or redirected request
re-reads the file. ``progress(done, total)`` is called with the file bytes handed to the
connection so far (the client layer never prints; the CLI draws the bar).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from image_skill.api.wire import StreamedJson, json_body

__all__ = ["CHUNK", "Progress", "SourceChanged", "UploadBody", "scan_file"]

#: File bytes read and encoded at a time (3 × 64 KiB: base64 needs no padding in between).
CHUNK = 3 * 64 * 1024
#: Leading bytes kept by :func:`scan_file` for content sniffing.
HEAD_BYTES = 64

#: ``progress(bytes_done, bytes_total)`` while an upload is sent.
Progress = Callable[[int, "int | None"], None]


class SourceChanged(Exception):
    """The file could not be read again, or changed, while its upload was being sent."""


def scan_file(path: Path, limit: int) -> tuple[int, str, bytes]:
    """``(size, sha256 hex, leading bytes)`` of ``path``, reading at most ``limit`` bytes
    (a size equal to ``limit`` means the file is at least that long). Raises OSError."""
    digest = hashlib.sha256()
    head = b""
    size = 0
    with path.open("rb") as handle:
        while size < limit:
            chunk = handle.read(min(CHUNK, limit - size))
            if not chunk:
                break
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest(), head


class UploadBody(StreamedJson):
    """The upload request body: ``fields`` (every member but ``bytes_base64``, in contract
    order; ``content_length`` and ``sha256`` describe the bytes) followed by the bytes of
    ``path`` or of ``data``, base64-encoded while they are sent."""

    def __init__(
        self,
        fields: dict[str, Any],
        *,
        path: Path | None = None,
        data: bytes | None = None,
        progress: Progress | None = None,
    ) -> None:
        if (path is None) == (data is None):
            raise ValueError("an upload body reads either a path or data")
        self.fields = fields
        self.path = path
        self.data = data
        self.progress = progress
        self.size: int = fields["content_length"]
        self.sha256: str = fields["sha256"]
        whole = json_body({**fields, "bytes_base64": ""})
        self._prefix, self._suffix = whole[:-2], whole[-2:]  # ... "bytes_base64":"  |  "}

    @property
    def length(self) -> int:
        return len(self._prefix) + 4 * ((self.size + 2) // 3) + len(self._suffix)

    def payload(self) -> dict[str, Any]:
        """The whole body as a dict, bytes included (reads the file; small inputs and tests)."""
        return {**self.fields, "bytes_base64": b"".join(self._encoded()).decode("ascii")}

    def __iter__(self) -> Iterator[bytes]:
        yield self._prefix
        yield from self._encoded()
        yield self._suffix

    def _encoded(self) -> Iterator[bytes]:
        digest = hashlib.sha256()
        done = 0
        self._report(0)
        for chunk in self._chunks():
            digest.update(chunk)
            done += len(chunk)
            yield base64.b64encode(chunk)
            self._report(done)
        if done != self.size:
            raise SourceChanged(f"it has {done} bytes now, not {self.size}")
        if digest.hexdigest() != self.sha256:
            raise SourceChanged("its content changed")

    def _chunks(self) -> Iterator[bytes | memoryview]:
        if self.data is not None:
            view = memoryview(self.data)[: self.size]
            for start in range(0, len(view), CHUNK):
                yield view[start : start + CHUNK]
            return
        assert self.path is not None
        try:
            with self.path.open("rb") as handle:
                left = self.size
                while left > 0:
                    chunk = handle.read(min(CHUNK, left))
                    if not chunk:
                        return
                    left -= len(chunk)
                    yield chunk
        except OSError as exc:
            raise SourceChanged(exc.strerror or exc.__class__.__name__) from exc

    def _report(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done, self.size)
