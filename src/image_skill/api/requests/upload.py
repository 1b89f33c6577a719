"""The upload body: its metadata members, then the bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from image_skill.api.requests._body import CONFIG, RequestBody


@dataclass(frozen=True, kw_only=True)
class UploadMetadata(RequestBody):
    """Every member of the upload body but the bytes, in contract order (§10.1). A streamed
    upload sends these first and then ``bytes_base64`` as it reads the file."""

    __pydantic_config__: ClassVar[dict[str, Any]] = CONFIG
    _KEEP_NONE: ClassVar[frozenset[str]] = frozenset({"remote_origin"})

    source_kind: str
    """``local_path`` or ``remote_url``."""
    filename: str
    """Base name of the file or URL path."""
    remote_origin: str | None = None
    """``scheme://host[:port]`` of a fetched URL, null for a local file (always sent)."""
    mime_type: str
    """Declared media type."""
    content_length: int
    """Number of bytes."""
    sha256: str
    """Lowercase hex SHA-256 of the bytes."""


@dataclass(frozen=True, kw_only=True)
class UploadRequest(UploadMetadata):
    """Body of ``POST /v1/upload``: :class:`UploadMetadata` followed by the bytes."""

    bytes_base64: str
    """The bytes, standard base64 with padding."""
