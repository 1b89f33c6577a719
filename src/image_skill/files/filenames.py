"""Safe file names for downloaded assets (contract §10.8 naming rules). Pure, no I/O.

A derived name is the asset URL's own file name when that is safe and has an extension,
else the asset id (or the id found in the URL, or ``asset``) plus an extension from the
MIME type or the URL. A safe name is exactly one plain path component, so it can never
escape the directory it is written into.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from image_skill.files.refs import asset_id_from_url, url_basename
from image_skill.files.sniff import EXTENSION_FOR_MIME

__all__ = ["derive_file_name", "is_safe_filename"]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_URL_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_safe_filename(name: str) -> bool:
    """One plain path component: 1-220 chars of ``A-Z a-z 0-9 . _ -``, not starting with a dot."""
    return (
        1 <= len(name) <= 220 and name not in (".", "..") and _SAFE_NAME.fullmatch(name) is not None
    )


def _has_extension(name: str) -> bool:
    stem, dot, ext = name.rpartition(".")
    return bool(dot) and bool(stem) and bool(ext)


def _decoded_url_basename(url: str) -> str | None:
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    raw = url_basename(path)
    if _BAD_PERCENT.search(raw):
        return None
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None


def derive_file_name(asset: Mapping[str, Any]) -> str:
    """A safe file name for an asset: the URL's own name, else its id plus a MIME extension."""
    url = asset.get("url")
    url = url if isinstance(url, str) else ""
    basename = _decoded_url_basename(url) if url else None
    if basename is not None and is_safe_filename(basename) and _has_extension(basename):
        return basename
    asset_id = asset.get("asset_id")
    if isinstance(asset_id, str) and is_safe_filename(asset_id):
        base = asset_id
    else:
        from_url = asset_id_from_url(url) if url else None
        base = from_url if from_url is not None and is_safe_filename(from_url) else "asset"
    extension = ""
    mime = asset.get("mime_type")
    if isinstance(mime, str):
        extension = EXTENSION_FOR_MIME.get(mime.split(";", 1)[0].strip().lower(), "")
    if not extension and url:
        _, dot, ext = url_basename(urlsplit(url).path).rpartition(".")
        candidate = f".{ext.lower()}" if dot else ""
        if _URL_EXTENSION.fullmatch(candidate):
            extension = candidate
    name = base + extension
    return name if is_safe_filename(name) else base
