"""``GET|HEAD /a/{asset_id}.{ext}``: the bytes of an owned asset.

No authentication: asset ids carry 96 random bits, so the URL itself is the capability
(the hosted media host works the same way and the client downloads without a token). The
extension must be the asset's own; anything else is a JSON ``404``. Replies carry the exact
length, the MIME type, the sha256 (``x-image-skill-sha256`` and a strong ``etag``) and a
long ``cache-control`` since an asset's bytes never change.

The bytes are streamed from the file in chunks (:mod:`.streaming`), never read whole, and
one ``Range: bytes=...`` is honoured (``206`` with ``content-range``; ``416`` with
``content-range: bytes */SIZE`` when it starts past the end; ``If-Range`` with another
validator than the etag sends the whole file). ``accept-ranges: bytes`` says so.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Any

from fastapi import APIRouter, Request, Response

from image_skill.local.deps import Conn, Settings, command
from image_skill.local.errors import ApiError, envelope_doc
from image_skill.local.media_reply import find_media, media_headers
from image_skill.local.routes.streaming import FileStream, Unsatisfiable, parse_range
from image_skill.local.settings import LocalSettings
from image_skill.local.store.assets import PREFIX_FOR_MIME

router = APIRouter()
logger = logging.getLogger("image_skill.local")


def _not_found(name: str) -> ApiError:
    shown = name if len(name) <= 80 else name[:80] + "…"
    return ApiError(404, "ASSET_NOT_FOUND", f"no media at /a/{shown}")


_BYTES = {"schema": {"type": "string", "format": "binary"}}
_DOC = {
    **envelope_doc("The asset's bytes", errors={404: "ASSET_NOT_FOUND envelope"}),
    200: {
        "description": "The asset's bytes, with its own content-type",
        "content": {mime: _BYTES for mime in PREFIX_FOR_MIME},
    },
    206: {
        "description": "One byte range of the asset (Range: bytes=...), with content-range",
        "content": {mime: _BYTES for mime in PREFIX_FOR_MIME},
    },
    304: {"description": "Not modified: If-None-Match named the asset's etag"},
    416: {"description": "The range starts past the end; content-range gives the size"},
}
_ROUTE: dict[str, Any] = {
    "openapi_extra": command("image-skill assets get"),
    "responses": _DOC,
    "response_class": Response,
}


@router.get("/a/{name}", **_ROUTE)
def media(request: Request, name: str, conn: Conn, settings: Settings) -> Response:
    return _serve(request, name, conn, settings)


@router.head("/a/{name}", **_ROUTE)
def media_head(request: Request, name: str, conn: Conn, settings: Settings) -> Response:
    """Same headers as ``GET``, no body."""
    return _serve(request, name, conn, settings)


def _serve(
    request: Request, name: str, conn: sqlite3.Connection, settings: LocalSettings
) -> Response:
    found = find_media(conn, settings, name)
    if found is None:
        raise _not_found(name)
    row, path = found
    size = int(row["content_length"])
    headers = media_headers(row, path)
    if request.headers.get("if-none-match") == headers["etag"]:
        del headers["content-length"]
        return Response(status_code=304, headers=headers)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        logger.warning("asset %s has a row but no file", row["asset_id"])
        raise _not_found(name) from None
    if stat.st_size != size:
        logger.error("asset %s changed on disk (size differs from its row)", row["asset_id"])
        raise ApiError(500, "LOCAL_BACKEND_FAILED", "the stored media does not match its record")
    if_range = request.headers.get("if-range")
    wanted = request.headers.get("range") if if_range in (None, headers["etag"]) else None
    try:
        span = parse_range(wanted, size)
    except Unsatisfiable:
        raise ApiError(
            416,
            "INVALID_ARGUMENTS",
            f"range {wanted} is outside the asset's {size} bytes",
            headers={"content-range": f"bytes */{size}", "accept-ranges": "bytes"},
        ) from None
    start, end, status = 0, size, 200
    if span is not None:
        (start, end), status = span, 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
        headers["content-length"] = str(end - start)
    return FileStream(
        path,
        start=start,
        length=end - start,
        status_code=status,
        headers=headers,
        media_type=row["mime_type"],
        send_body=request.method != "HEAD",
    )
