"""What ``POST /v1/upload`` does, free of the web framework: caller-supplied image bytes
become an owned ``uploaded`` asset.

The body is checked in this order, and nothing is written before every check passed:

1. shape of each field (``INVALID_ARGUMENTS``, 400): the types by
   :class:`image_skill.api.requests.UploadRequest`, then the value rules here;
2. declared MIME type on the allow-list and declared size under the cap
   (``INPUT_POLICY_DENIED``, 422, exit 6);
3. base64 decodes, decoded length and sha256 equal the declared ones (400);
4. the bytes really are the declared image type and their dimensions can be read (422).

A success stores the file, a completed ``upload`` job and an ``asset.uploaded`` event in one
transaction. Uploads use neither credits nor the daily job cap, so no usage event exists and
the event's ``usage_event_id`` link is ``null``. The server never fetches URLs: for
``remote_url`` sources the client sends the bytes and only the origin of the URL.
"""

from __future__ import annotations

import base64
import binascii
import re
import sqlite3
from typing import Any
from urllib.parse import urlsplit

from image_skill import _constants as C
from image_skill.api.requests import UploadRequest
from image_skill.local.activity import record_activity
from image_skill.local.errors import ApiError, invalid_arguments
from image_skill.local.media.images import probe
from image_skill.local.settings import LocalSettings
from image_skill.local.store.assets import (
    AssetStorageError,
    artifact_storage_error,
    asset_file_path,
    asset_public,
    store_asset,
)
from image_skill.local.store.db import Actor, dumps, new_id, now_iso, sha256_hex, transaction

UPLOAD_COMMAND = "image-skill upload"

#: The client checks the same types and size before sending (one definition).
ALLOWED_UPLOAD_MIME: tuple[str, ...] = C.UPLOAD_MIME_TYPES
SOURCE_KINDS: tuple[str, ...] = ("local_path", "remote_url")
#: Largest accepted upload (decoded bytes). References for create/edit have their own,
#: smaller limit (10 MB), checked where they are used.
MAX_UPLOAD_BYTES = C.MAX_UPLOAD_BYTES
_MAX_FILENAME = 255
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
#: Upper bound on the base64 text for MAX_UPLOAD_BYTES (checked before decoding).
_MAX_BASE64_CHARS = 4 * ((MAX_UPLOAD_BYTES + 2) // 3)


def _policy_denied(message: str, **recovery: Any) -> ApiError:
    extra = {"allowed_mime_types": list(ALLOWED_UPLOAD_MIME), "max_bytes": MAX_UPLOAD_BYTES}
    return ApiError(422, "INPUT_POLICY_DENIED", message, recovery={**extra, **recovery})


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise invalid_arguments(f"{key} is required and must be a non-empty string")
    return value


def _origin(value: Any, source_kind: str) -> str | None:
    """``scheme://host[:port]`` for remote sources; ``None`` for local files."""
    if source_kind == "local_path":
        if value is not None:
            raise invalid_arguments("remote_origin must be null when source_kind is local_path")
        return None
    if not isinstance(value, str) or not value:
        raise invalid_arguments("remote_origin is required when source_kind is remote_url")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a malformed port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise invalid_arguments(
            "remote_origin must be only the scheme and host of the source URL"
            " (for example https://example.com), never the full URL"
        )
    host = parts.hostname
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def _content_length(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid_arguments("content_length must be a non-negative integer")
    return value


def _decode(value: Any) -> bytes:
    if not isinstance(value, str):
        raise invalid_arguments("bytes_base64 is required and must be a base64 string")
    if len(value) > _MAX_BASE64_CHARS:
        raise _policy_denied(f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid_arguments("bytes_base64 is not valid standard base64") from exc


def validate_upload(body: dict[str, Any]) -> dict[str, Any]:
    """Check an upload body; return ``request``/``data``/``mime``/``width``/``height``."""
    source_kind = body.get("source_kind")
    if source_kind not in SOURCE_KINDS:
        raise invalid_arguments("source_kind must be local_path or remote_url")
    filename = _text(body, "filename")
    if len(filename) > _MAX_FILENAME or "/" in filename or "\\" in filename:
        raise invalid_arguments(
            f"filename must be a base name (no directories) of at most {_MAX_FILENAME} characters"
        )
    remote_origin = _origin(body.get("remote_origin"), source_kind)
    declared_mime = body.get("mime_type")
    if not isinstance(declared_mime, str):
        raise invalid_arguments("mime_type is required and must be a string")
    mime = declared_mime.split(";", 1)[0].strip().lower()
    declared_length = _content_length(body.get("content_length"))
    declared_sha = body.get("sha256")
    if not isinstance(declared_sha, str) or not _SHA256.match(declared_sha):
        raise invalid_arguments("sha256 must be the 64-character hex digest of the bytes")
    if mime not in ALLOWED_UPLOAD_MIME:
        raise _policy_denied(
            f"uploads accept only {', '.join(ALLOWED_UPLOAD_MIME)}; got {mime or 'no type'}"
        )
    if declared_length > MAX_UPLOAD_BYTES:
        raise _policy_denied(f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")
    data = _decode(body.get("bytes_base64"))
    if len(data) != declared_length:
        raise invalid_arguments(
            f"content_length says {declared_length} bytes but bytes_base64 holds {len(data)}"
        )
    actual_sha = sha256_hex(data)
    if actual_sha != declared_sha.lower():
        raise invalid_arguments("sha256 does not match the uploaded bytes")
    info = probe(data)
    if info["mime_type"] != mime:
        found = info["mime_type"] or "unrecognised content"
        raise _policy_denied(f"the bytes are not {mime} (content looks like {found})")
    if not info["width"] or not info["height"]:
        raise _policy_denied(f"the {mime} header could not be read; the image may be truncated")
    return {
        "request": {
            "source_kind": source_kind,
            "filename": filename,
            "remote_origin": remote_origin,
        },
        "data": data,
        "mime": mime,
        "sha256": actual_sha,
        "width": int(info["width"]),
        "height": int(info["height"]),
    }


def record_upload(
    conn: sqlite3.Connection,
    settings: LocalSettings,
    actor: Actor,
    checked: dict[str, Any],
    trace_id: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Store the upload job, asset and event atomically; return (asset row, event)."""
    job_id = new_id("job_")
    now = now_iso()
    params = {
        "source_kind": checked["request"]["source_kind"],
        "remote_origin": checked["request"]["remote_origin"],
        "mime_type": checked["mime"],
        "content_length": len(checked["data"]),
    }
    cost = {"estimated_usd": 0.0, "provider_reported_usd_ticks": None, "credits": 0}
    row: dict[str, Any] | None = None
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO jobs (job_id, organization_id, actor_id, operation, status,"
                " capability_id, trace_id, params_json, cost_json, safety_json,"
                " credits_reserved, credits_debited, counts_daily_cap, created_at, updated_at,"
                " completed_at) VALUES (?, ?, ?, 'upload', 'completed', ?, ?, ?, ?, ?,"
                " 0, 0, 0, ?, ?, ?)",
                (
                    job_id,
                    actor.organization_id,
                    actor.actor_id,
                    "asset.upload",
                    trace_id,
                    dumps(params),
                    dumps(cost),
                    dumps({"status": "allowed"}),
                    now,
                    now,
                    now,
                ),
            )
            row = store_asset(
                conn,
                settings,
                organization_id=actor.organization_id,
                job_id=job_id,
                kind="uploaded",
                data=checked["data"],
                mime_type=checked["mime"],
                width=checked["width"],
                height=checked["height"],
                filename=checked["request"]["filename"],
                trace_id=trace_id,
                source_kind=checked["request"]["source_kind"],
                remote_origin=checked["request"]["remote_origin"],
            )
            event = record_activity(
                conn,
                "asset.uploaded",
                organization_id=actor.organization_id,
                actor_id=actor.actor_id,
                subject_id=row["asset_id"],
                status="completed",
                trace_id=trace_id,
                links={"job_id": job_id, "asset_ids": [row["asset_id"]], "usage_event_id": None},
                estimated_usd=0.0,
            )
    except BaseException:
        if row is not None:  # the row rolled back; do not leave its file behind
            asset_file_path(settings, row).unlink(missing_ok=True)
        raise
    return row, event


def upload_reply(
    conn: sqlite3.Connection,
    settings: LocalSettings,
    actor: Actor,
    body: UploadRequest,
    *,
    trace_id: str,
    media_base: str,
) -> dict[str, Any]:
    """Check and store one upload (the body already validated as ``UploadRequest``): the
    reply's data. Raises :class:`ApiError` for a refusal or a storage failure."""
    checked = validate_upload(body.to_body())
    try:
        row, event = record_upload(conn, settings, actor, checked, trace_id)
    except AssetStorageError as exc:
        raise artifact_storage_error() from exc
    asset = asset_public(row, media_base)
    return {
        "request": checked["request"],
        "asset": asset,
        "upload": {
            "bytes": row["content_length"],
            "mime_type": row["mime_type"],
            "sha256": row["sha256"],
            "policy": {"status": "allowed"},
        },
        "job_id": row["job_id"],
        "event_id": event["event_id"],
    }
