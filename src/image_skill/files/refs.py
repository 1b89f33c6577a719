"""Asset reference recognition (contract §10.5): is a string an asset id or an owned media URL?

Pure standard library, no I/O. Used by `assets show|get` (anything else is invalid) and by
`create`/`edit` (anything else is a file or URL to upload first).

Recognised:

* an asset id: ``(asset|image|video|audio|mask|thumb|file)_`` followed by 1-128 of
  ``A-Z a-z 0-9 . _ -``;
* a hosted media URL: ``https://media.image-skill.com/a/<asset id>.<ext>`` (any port,
  query and fragment ignored);
* our addition: a URL served by the configured backend (the caller's ``is_own_url``
  predicate decides) whose path is ``/a/<asset id>.<ext>``, so the local backend's media URLs
  work the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "ASSET_ID_PATTERN",
    "HOSTED_MEDIA_HOST",
    "AssetReference",
    "is_asset_id",
    "recognize_asset_reference",
    "url_basename",
]

ASSET_ID_PATTERN = re.compile(r"(?:asset|image|video|audio|mask|thumb|file)_[A-Za-z0-9._-]{1,128}")
HOSTED_MEDIA_HOST = "media.image-skill.com"
_EXTENSION = re.compile(r"\.[A-Za-z0-9]+$")


@dataclass(frozen=True)
class AssetReference:
    """A recognised reference: the asset id to look up and how it was given."""

    asset_id: str
    reference_type: str  # "asset_id" or "url"


def is_asset_id(value: str) -> bool:
    return ASSET_ID_PATTERN.fullmatch(value) is not None


def url_basename(path: str) -> str:
    """The last path segment, ignoring trailing slashes (like Node's ``path.basename``)."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def _asset_id_from_path(path: str) -> str | None:
    if not path.startswith("/a/"):
        return None
    candidate = _EXTENSION.sub("", url_basename(path), count=1)
    return candidate if is_asset_id(candidate) else None


def asset_id_from_url(url: str, is_own_url: Callable[[str], bool] | None = None) -> str | None:
    """The asset id named by a hosted media URL or, with ``is_own_url``, an owned backend URL."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() == "https" and hostname == HOSTED_MEDIA_HOST:
        return _asset_id_from_path(parts.path)
    if is_own_url is not None and parts.scheme.lower() in ("http", "https") and hostname:
        try:
            owned = is_own_url(url)
        except Exception:  # a predicate that cannot parse the URL means "not ours"
            return None
        if owned:
            return _asset_id_from_path(parts.path)
    return None


def recognize_asset_reference(
    reference: str, is_own_url: Callable[[str], bool] | None = None
) -> AssetReference | None:
    """Classify ``reference``; ``None`` means it is neither an asset id nor an owned URL."""
    if is_asset_id(reference):
        return AssetReference(reference, "asset_id")
    asset_id = asset_id_from_url(reference, is_own_url)
    if asset_id is not None:
        return AssetReference(asset_id, "url")
    return None
