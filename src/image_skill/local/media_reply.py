"""Which file ``/a/{name}`` names and the headers its bytes go out with (no web framework).

The FastAPI route (:mod:`image_skill.local.routes.media`) and the in-process fast path
(:mod:`image_skill.local.direct`, for a plain ``GET``: what ``create --output`` and
``assets get`` send) both use these, so their replies cannot differ.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from image_skill.local.settings import LocalSettings
from image_skill.local.store.assets import asset_file_path, get_asset_any_org

SHA256_HEADER = "x-image-skill-sha256"
CACHE_CONTROL = "private, max-age=31536000, immutable"
#: Longer names are refused without a lookup.
MAX_NAME = 300


def find_media(
    conn: sqlite3.Connection, settings: LocalSettings, name: str
) -> tuple[dict[str, Any], Path] | None:
    """The asset row and file of ``name`` (``ID.EXT``, the extension the asset's own), or
    None when there is no such media."""
    asset_id, dot, ext = name.rpartition(".")
    row = get_asset_any_org(conn, asset_id) if dot and len(name) <= MAX_NAME else None
    if row is None:
        return None
    path = asset_file_path(settings, row)
    if path.suffix.lower() != "." + ext.lower():
        return None
    return row, path


def media_headers(row: dict[str, Any], path: Path) -> dict[str, str]:
    """The headers of a whole-file reply, in the order they are sent (the content type is
    added after them)."""
    return {
        "content-length": str(int(row["content_length"])),
        SHA256_HEADER: row["sha256"],
        "etag": f'"{row["sha256"]}"',
        "cache-control": CACHE_CONTROL,
        "x-content-type-options": "nosniff",
        "content-disposition": f'inline; filename="{path.name}"',
        "accept-ranges": "bytes",
    }
