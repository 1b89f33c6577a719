"""Whether a download's target already holds the asset, byte for byte.

A batch re-run replays a line whose results were lost (or whose outcome was unknown) and
downloads its assets into the same folder again. When the file at the derived name is a
regular file of the asset's declared size and sha256, it *is* that asset: it is kept and
reported instead of writing a second copy as ``name-2.ext``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["existing_copy"]

_CHUNK = 1024 * 1024


def existing_copy(target: Path, asset: Mapping[str, Any]) -> dict[str, Any] | None:
    """The download record of ``target`` when it already holds ``asset`` (a regular file,
    not a link, of the declared ``content_length`` and ``sha256``), else None. An asset
    that declares no size or no sha256 never matches."""
    length = asset.get("content_length")
    expected = asset.get("sha256")
    if type(length) is not int or not isinstance(expected, str) or not expected:
        return None
    try:
        info = os.lstat(target)
        if not stat.S_ISREG(info.st_mode) or info.st_size != length:
            return None
        digest = hashlib.sha256()
        with open(target, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    sha256 = digest.hexdigest()
    if sha256 != expected.lower():
        return None
    mime = asset.get("mime_type")
    return {
        "output_path": str(target),
        "bytes": length,
        "content_type": mime if isinstance(mime, str) else None,
        "content_length_header": None,
        "sha256": sha256,
        "verified": {"length": True, "sha256": True},
        "overwritten": False,
        "already_present": True,
    }
