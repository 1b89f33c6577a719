"""Owned asset storage of the local backend: bytes on disk, metadata in SQLite.

Files live in ``settings.media_dir`` (``<data_dir>/media``) as ``<asset_id><ext>``. A file is
written completely (temp file + ``os.replace``) *before* its row is inserted, so a row never
points at a partial file; a row whose insert fails has its file removed again. The row keeps
the byte length and sha256, which the media route sends back so clients can verify.

Used by uploads (``kind="uploaded"``) and by create/edit jobs (``kind="generated"``); the job
row must exist first (``assets.job_id`` references ``jobs``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from image_skill._atomic import write_atomic
from image_skill.files.sniff import extension_for_mime
from image_skill.local.errors import ApiError
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import new_id, now_iso, sha256_hex, transaction

#: Asset id prefix per exact MIME type (see :func:`asset_prefix` for the general rule).
PREFIX_FOR_MIME: dict[str, str] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/webp": "image",
    "image/gif": "image",
    "image/avif": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/x-msvideo": "video",
    "audio/wav": "audio",
    "model/gltf-binary": "file",
}
#: Asset id prefix per top-level MIME type (``image/*`` …); anything else is a ``file_``.
_PREFIX_FOR_MAJOR: dict[str, str] = {"image": "image", "video": "video", "audio": "audio"}
ASSET_KINDS = frozenset({"generated", "uploaded"})
#: Extension used when a MIME type has no known one.
FALLBACK_EXTENSION = ".bin"


class AssetStorageError(Exception):
    """Writing an asset's bytes failed (disk error or the ``storage_write_failure`` fault)."""


def _bare_mime(mime_type: str) -> str:
    return mime_type.split(";", 1)[0].strip().lower()


def asset_prefix(mime_type: str) -> str:
    """``image`` / ``video`` / ``audio`` for those families, ``file`` otherwise (GLB …)."""
    mime = _bare_mime(mime_type)
    if mime in PREFIX_FOR_MIME:
        return PREFIX_FOR_MIME[mime]
    return _PREFIX_FOR_MAJOR.get(mime.partition("/")[0], "file")


def asset_extension(mime_type: str) -> str:
    """Canonical extension with its dot (``.png``); ``.bin`` for unknown types."""
    return extension_for_mime(mime_type) or FALLBACK_EXTENSION


def artifact_storage_error() -> ApiError:
    """The reply for a failed output write (``507 ARTIFACT_STORAGE_WRITE_FAILED``, exit 9).

    Not retryable (server digest §2.6): a blind retry could repeat provider spend.
    """
    return ApiError(
        507,
        "ARTIFACT_STORAGE_WRITE_FAILED",
        "the output was produced but could not be stored; nothing was charged",
        retryable=False,
    )


def _write_atomically(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    write_atomic(target, data, prefix=".tmp-", suffix=".part")
    return target


def store_asset(
    conn: sqlite3.Connection,
    settings: LocalSettings,
    *,
    organization_id: str,
    job_id: str | None,
    kind: str,
    data: bytes,
    mime_type: str,
    width: int | None = None,
    height: int | None = None,
    duration_seconds: float | None = None,
    filename: str | None = None,
    trace_id: str | None = None,
    source_kind: str | None = None,
    remote_origin: str | None = None,
) -> dict[str, Any]:
    """Write ``data`` to the media dir, insert its row and return the row as a dict.

    Joins the caller's transaction when there is one (the row then commits with it).
    ``filename`` and ``trace_id`` are accepted for the callers' convenience but not stored:
    the original file name may be private and the trace lives on the job/event rows.
    Raises :class:`AssetStorageError` when the bytes cannot be written; for generated
    outputs the ``storage_write_failure`` fault triggers the same error.
    """
    del filename, trace_id
    if kind not in ASSET_KINDS:
        raise ValueError(f"unknown asset kind: {kind!r}")
    mime = _bare_mime(mime_type)
    asset_id = new_id(asset_prefix(mime) + "_")
    storage_filename = asset_id + asset_extension(mime)
    if kind == "generated" and settings.fault("storage_write_failure"):
        raise AssetStorageError("injected storage_write_failure fault")
    try:
        path = _write_atomically(settings.media_dir, storage_filename, data)
    except OSError as exc:
        raise AssetStorageError(f"could not write {storage_filename}: {exc}") from exc
    row = {
        "asset_id": asset_id,
        "organization_id": organization_id,
        "job_id": job_id,
        "kind": kind,
        "mime_type": mime,
        "content_length": len(data),
        "sha256": sha256_hex(data),
        "width": width,
        "height": height,
        "duration_seconds": duration_seconds,
        "storage_filename": storage_filename,
        "source_kind": source_kind,
        "remote_origin": remote_origin,
        "created_at": now_iso(),
    }
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    try:
        with transaction(conn):
            conn.execute(f"INSERT INTO assets ({columns}) VALUES ({marks})", tuple(row.values()))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return row


def asset_public(row: dict[str, Any] | sqlite3.Row, media_base: str) -> dict[str, Any]:
    """The wire form of an asset (``data.asset`` of upload/assets, job outputs)."""
    item = dict(row)
    ext = Path(item["storage_filename"]).suffix or asset_extension(item["mime_type"])
    out: dict[str, Any] = {
        "asset_id": item["asset_id"],
        "job_id": item["job_id"],
        "kind": item["kind"],
        "url": f"{media_base.rstrip('/')}/a/{item['asset_id']}{ext}",
        "mime_type": item["mime_type"],
        "content_length": item["content_length"],
        "width": item["width"],
        "height": item["height"],
        "sha256": item["sha256"],
        "created_at": item["created_at"],
        "source": "hosted_metadata",
    }
    if item.get("duration_seconds") is not None:
        out["duration_seconds"] = item["duration_seconds"]
    return out


def get_asset(
    conn: sqlite3.Connection, organization_id: str, asset_id: str
) -> dict[str, Any] | None:
    """The asset row when it belongs to ``organization_id``; ``None`` otherwise."""
    row = conn.execute(
        "SELECT * FROM assets WHERE asset_id = ? AND organization_id = ?",
        (asset_id, organization_id),
    ).fetchone()
    return None if row is None else dict(row)


def get_asset_any_org(conn: sqlite3.Connection, asset_id: str) -> dict[str, Any] | None:
    """The asset row regardless of owner (only for the capability-URL media route)."""
    row = conn.execute("SELECT * FROM assets WHERE asset_id = ?", (asset_id,)).fetchone()
    return None if row is None else dict(row)


def assets_for_job(conn: sqlite3.Connection, job_id: str) -> list[dict[str, Any]]:
    """The assets a job produced or uploaded, oldest first."""
    rows = conn.execute(
        "SELECT * FROM assets WHERE job_id = ? ORDER BY created_at, rowid", (job_id,)
    ).fetchall()
    return [dict(r) for r in rows]


def asset_file_path(settings: LocalSettings, row: dict[str, Any] | sqlite3.Row) -> Path:
    """Where the asset's bytes live (the stored name is never trusted as a path)."""
    return settings.media_dir / Path(str(row["storage_filename"])).name


def read_asset_bytes(settings: LocalSettings, row: dict[str, Any] | sqlite3.Row) -> bytes:
    return asset_file_path(settings, row).read_bytes()
