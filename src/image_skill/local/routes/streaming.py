"""Serving a file in chunks, whole or one byte range (helper of :mod:`.media`, no router).

:func:`parse_range` reads a ``Range`` header against a file size (RFC 9110 §14): one
``bytes=`` range is honoured; a header this server does not use (another unit, a list of
ranges, bad syntax) is ignored and the whole file is sent, as the RFC allows; a range that
starts past the end is unsatisfiable (the route answers ``416``). :class:`FileStream` sends
``length`` bytes of a file from ``start`` in :data:`CHUNK` pieces, so a download costs the
server one chunk of memory whatever the file's size.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

#: Bytes read and sent per step.
CHUNK = 512 * 1024

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The range does not overlap the file (``416 Range Not Satisfiable``)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of a usable single range, or ``None`` for the whole
    file. Raises :class:`Unsatisfiable` for a well-formed range outside ``size`` bytes."""
    if header is None or len(header) > 200:
        return None
    found = _RANGE.match(header)
    if found is None:
        return None  # another unit, several ranges or bad syntax: send everything
    first, last = found.group(1), found.group(2)
    if not first and not last:
        return None
    if not first:  # bytes=-N: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range is ignored, not refused
    if start >= size:
        raise Unsatisfiable
    end = size if not last else min(int(last) + 1, size)
    return start, end


class FileStream(Response):
    """``length`` bytes of ``path`` from ``start``; headers only when ``send_body`` is off.

    The caller sets every header (``content-length`` included). The file is read in a
    worker thread a chunk at a time; a client that goes away ends the transfer.
    """

    def __init__(
        self,
        path: Path,
        *,
        start: int,
        length: int,
        status_code: int,
        headers: dict[str, str],
        media_type: str,
        send_body: bool,
    ) -> None:
        super().__init__(status_code=status_code, headers=headers, media_type=media_type)
        self.path, self.start, self.length, self.send_body = path, start, length, send_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        del scope, receive  # the route decided everything already
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if not self.send_body or self.length == 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        handle: Any = await anyio.open_file(self.path, "rb")
        try:
            await handle.seek(self.start)
            left = self.length
            while left > 0:
                chunk = await handle.read(min(CHUNK, left))
                if not chunk:
                    raise RuntimeError(f"{self.path.name} ended {left} bytes early")
                left -= len(chunk)
                try:
                    await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
                except OSError:  # the client disconnected (ASGI 2.4)
                    return
        finally:
            with anyio.CancelScope(shield=True):
                await handle.aclose()
