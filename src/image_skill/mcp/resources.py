"""Assets as MCP resources.

Two URIs per asset:

* ``image-skill://assets/{asset_id}``: its metadata, the ``GET /v1/assets/{id}`` envelope
  as JSON (the same data ``assets show`` prints);
* ``image-skill://assets/{asset_id}/content``: its bytes, for images only and only up to
  the cap (:data:`image_skill.mcp.session.DEFAULT_BYTES_CAP`, 8 MiB), downloaded and
  verified against the declared size and sha256 as ``assets get`` does. A larger asset, or
  one that is not an image, is refused with a message that points at ``assets_get``
  (which writes it to a file instead).

Both are URI templates, so any owned asset can be read; the listing names the assets this
server has seen (created, edited, uploaded or fetched in this session).
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path
from typing import Any

PREFIX = "image-skill://assets/"
CONTENT_SUFFIX = "/content"
METADATA_TEMPLATE = PREFIX + "{asset_id}"
CONTENT_TEMPLATE = PREFIX + "{asset_id}" + CONTENT_SUFFIX


class ResourceProblem(Exception):
    """A resource cannot be read; ``envelope`` says why (as a failed tool reply would)."""

    def __init__(self, message: str, envelope: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.envelope = envelope


def parse_uri(uri: str) -> tuple[str, bool]:
    """``(asset_id, wants_content)`` for one of our URIs; ResourceProblem otherwise."""
    if not uri.startswith(PREFIX):
        raise ResourceProblem(f"unknown resource {uri!r}; asset resources start with {PREFIX}")
    rest = uri[len(PREFIX) :]
    content = rest.endswith(CONTENT_SUFFIX)
    if content:
        rest = rest[: -len(CONTENT_SUFFIX)]
    if not rest or "/" in rest:
        raise ResourceProblem(f"unknown resource {uri!r}")
    return rest, content


def is_image(asset: dict[str, Any]) -> bool:
    mime = asset.get("mime_type")
    return isinstance(mime, str) and mime.startswith("image/")


def under_cap(asset: dict[str, Any], cap: int) -> bool:
    size = asset.get("content_length")
    return type(size) is int and 0 <= size <= cap


def listing(assets: list[dict[str, Any]], cap: int) -> list[dict[str, Any]]:
    """Resource rows (``uri``, ``name``, ``mime_type``, ``size``, ``description``)."""
    rows: list[dict[str, Any]] = []
    for asset in assets:
        asset_id = asset["asset_id"]
        rows.append(
            {
                "uri": PREFIX + asset_id,
                "name": f"{asset_id} (metadata)",
                "mime_type": "application/json",
                "description": "Asset metadata: URL, MIME type, size, dimensions, sha256.",
            }
        )
        if is_image(asset) and under_cap(asset, cap):
            rows.append(
                {
                    "uri": PREFIX + asset_id + CONTENT_SUFFIX,
                    "name": f"{asset_id} ({asset.get('mime_type')})",
                    "mime_type": asset.get("mime_type"),
                    "size": asset.get("content_length"),
                    "description": "The image bytes, verified against the asset's sha256.",
                }
            )
    return rows


def read(session: Any, uri: str) -> tuple[str | None, bytes | None, str]:
    """``(text, blob, mime_type)`` of a resource: exactly one of text and blob is set."""
    from image_skill.mcp.readonly import asset_metadata
    from image_skill.mcp.session import ToolFailure

    asset_id, content = parse_uri(uri)
    label = "image-skill assets get" if content else "image-skill assets show"
    try:
        envelope = asset_metadata(session, asset_id, label)
    except ToolFailure as exc:
        raise ResourceProblem(_message(exc.envelope), exc.envelope) from None
    if not content:
        return json.dumps(envelope, ensure_ascii=False), None, "application/json"
    data = envelope.get("data")
    asset = data.get("asset", data) if isinstance(data, dict) else {}
    cap = session.options.bytes_cap
    if not isinstance(asset, dict) or not is_image(asset) or not under_cap(asset, cap):
        raise ResourceProblem(
            f"the bytes of {asset_id} are offered only for images of at most {cap} bytes; "
            "use the assets_get tool with output to download it to a file"
        )
    return None, _download(session, asset, cap), str(asset["mime_type"])


def _download(session: Any, asset: dict[str, Any], cap: int) -> bytes:
    from image_skill.files.downloads import DownloadError, download_asset

    with tempfile.TemporaryDirectory(prefix="image-skill-mcp-") as folder:
        target = Path(folder) / "asset"
        try:
            download_asset(
                session.client(),
                asset,
                str(asset.get("url")),
                target,
                overwrite=False,
                timeout=session.options.timeout,
            )
        except DownloadError as exc:
            envelope = exc.to_result("image-skill assets get").envelope
            raise ResourceProblem(_message(envelope), envelope) from None
        data = target.read_bytes()
    if len(data) > cap:  # the metadata understated the size; the cap still holds
        raise ResourceProblem(f"the asset is larger than the {cap}-byte cap")
    return data


def encode(blob: bytes) -> str:
    return base64.b64encode(blob).decode("ascii")


def _message(envelope: dict[str, Any]) -> str:
    error = envelope.get("error")
    if isinstance(error, dict):
        return f"{error.get('code')}: {error.get('message')}"
    return "the asset could not be read"
