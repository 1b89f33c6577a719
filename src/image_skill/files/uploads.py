"""Upload payloads (contract §10.1) and input asset resolution (§10.2).

:func:`build_payload` turns a local path or an ``http(s)://`` URL into the body of
``POST /v1/upload``::

    {source_kind, filename, remote_origin, mime_type, content_length, sha256, bytes_base64}

A local file is not held in memory: it is scanned once (size, sha256, leading bytes) and
read again in chunks while the request is sent, base64-encoded on the way
(:mod:`image_skill.files.upload_body`), which also reports progress to the caller.

How the MIME type is chosen (this differs from the npm client, which trusts the extension
or the ``content-type`` header alone):

1. the bytes are sniffed (:func:`image_skill.files.sniff.sniff_mime`); a recognised type is sent
   as is, even when the file name or header says otherwise (a warning names the mismatch).
   A recognised type that is not an allowed image (a WAV, an MP4) is sent too, so the
   server's policy answers ``INPUT_POLICY_DENIED`` (exit 6);
2. when the bytes are not recognised but the name (or, for URLs, the ``content-type``
   header) claims a type, the upload is **not** sent under that claim: an image claim is
   replaced by ``application/octet-stream`` and any other claim is sent unchanged, so the
   server refuses it with ``INPUT_POLICY_DENIED`` (exit 6). A text file renamed ``x.png``
   therefore never travels as ``image/png``;
3. when nothing at all says what the file is, the client refuses it itself with
   ``UPLOAD_MIME_TYPE_UNKNOWN`` (exit 2), as the npm client does for unknown extensions.

Limits: local files larger than :data:`~image_skill._constants.MAX_UPLOAD_BYTES` are refused
with ``UPLOAD_TOO_LARGE`` (exit 2) from their size on disk, before reading. Remote URLs are
fetched here, client-side, by :mod:`image_skill.files.remote` under the network policy of
:mod:`image_skill.api.netpolicy`: http/https only, public addresses only (checked after
resolving, on every redirect hop, before connecting; the API's own origin and
``--allow-private-network`` are the exceptions), no Authorization header, a total time
limit, a redirect limit and the same byte cap (checked against ``Content-Length`` and while
streaming). A refused destination is ``INVALID_ARGUMENTS`` (exit 2) naming the opt-in; a
non-2xx reply or a network error is ``REMOTE_UPLOAD_FETCH_FAILED`` (exit 7). A missing or
unreadable local file is ``INPUT_FILE_UNREADABLE`` (exit 9).

Failures are raised as :class:`UploadError`, which carries the ready failure
:class:`~image_skill.envelope.Result` (label ``image-skill upload``).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill._constants import ALLOW_PRIVATE_NETWORK_ENV, ALLOW_PRIVATE_NETWORK_FLAG
from image_skill.api.netpolicy import DestinationRefused, NetworkPolicy
from image_skill.api.requests import UploadMetadata
from image_skill.envelope import Result
from image_skill.files.refusals import refusal_recovery
from image_skill.files.sniff import mime_for_extension, sniff_mime
from image_skill.files.upload_body import Progress, SourceChanged, UploadBody, scan_file

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from image_skill.api.client import ImageSkillClient
    from image_skill.api.reply import Reply

    #: Turns the upload request's reply into the result to report (the caller's labels and
    #: exit codes: the client knows none).
    Finish = Callable[[Reply], Result]

__all__ = [
    "ALLOWED_UPLOAD_MIME",
    "UPLOAD_LABEL",
    "PreparedUpload",
    "UploadError",
    "build_payload",
    "choose_mime",
    "is_remote",
    "resolve_input_asset",
    "send",
    "upload",
]

UPLOAD_LABEL = "image-skill upload"
ALLOWED_UPLOAD_MIME: tuple[str, ...] = C.UPLOAD_MIME_TYPES
UNKNOWN_BYTES_MIME = "application/octet-stream"
MIME_UNKNOWN_MESSAGE = "could not infer MIME type; use png, jpg, jpeg, webp, gif, or avif"
_REMOTE = re.compile(r"^https?://", re.IGNORECASE)


class UploadError(Exception):
    """An upload could not be prepared or sent; ``result`` is the failure to report."""

    def __init__(self, result: Result) -> None:
        error = result.error or {}
        super().__init__(error.get("message", "upload failed"))
        self.result = result


@dataclass
class PreparedUpload:
    """The request body (streamed from the file when it is sent) plus warnings about how
    it was built."""

    body: UploadBody
    warnings: list[str] = field(default_factory=list)

    @property
    def payload(self) -> dict[str, Any]:
        """The body as a dict with ``bytes_base64`` filled in (reads the whole file)."""
        return self.body.payload()


def is_remote(value: str) -> bool:
    return _REMOTE.match(value) is not None


def _fail(code: str, message: str, *, retryable: bool = False, **recovery: Any) -> UploadError:
    return UploadError(
        E.error_result(
            UPLOAD_LABEL,
            code,
            message,
            retryable=retryable,
            recovery=dict(recovery) if recovery else None,
        )
    )


def _too_large(size: int) -> UploadError:
    return _fail(
        E.UPLOAD_TOO_LARGE,
        f"upload is {size} bytes; the limit is {C.MAX_UPLOAD_BYTES} bytes",
        max_bytes=C.MAX_UPLOAD_BYTES,
        docs_url=f"{C.DOCS_URL}#image-skill-upload",
    )


def choose_mime(data: bytes, claimed: str | None) -> tuple[str, list[str]]:
    """Pick the MIME type to declare for ``data``; ``claimed`` comes from a name or header.

    Returns ``(mime_type, warnings)``; raises :class:`UploadError` when nothing is known.
    """
    sniffed = sniff_mime(data)
    claim = claimed.split(";", 1)[0].strip().lower() if claimed else ""
    if sniffed is not None:
        warnings = []
        if claim and claim != sniffed:
            warnings.append(
                f"upload content is {sniffed} although its name or header says {claim}; "
                f"sending {sniffed}"
            )
        return sniffed, warnings
    if not claim:
        raise _fail(
            E.UPLOAD_MIME_TYPE_UNKNOWN,
            MIME_UNKNOWN_MESSAGE,
            allowed_mime_types=list(ALLOWED_UPLOAD_MIME),
            docs_url=f"{C.DOCS_URL}#image-skill-upload",
        )
    if claim in ALLOWED_UPLOAD_MIME:
        return UNKNOWN_BYTES_MIME, [
            f"upload content is not a recognised image although its name or header says "
            f"{claim}; sending it as {UNKNOWN_BYTES_MIME} for the server's policy to decide"
        ]
    return claim, []


def _fields(
    source_kind: str, filename: str, origin: str | None, mime: str, size: int, sha256: str
) -> dict[str, Any]:
    """Every body member but ``bytes_base64``, which follows them (contract order)."""
    return UploadMetadata(
        source_kind=source_kind,
        filename=filename,
        remote_origin=origin,
        mime_type=mime,
        content_length=size,
        sha256=sha256,
    ).to_body()


def _unreadable(path: Path, exc: OSError) -> UploadError:
    reason = exc.strerror or exc.__class__.__name__
    return _fail(
        E.INPUT_FILE_UNREADABLE,
        f"could not read upload file {path}: {reason}",
        path=str(path),
    )


def _read_local(value: str) -> PreparedUpload:
    path = Path(os.path.abspath(value))
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        if size > C.MAX_UPLOAD_BYTES:
            raise _too_large(size)
        # Size, digest and leading bytes only: the bytes themselves are read again, in
        # chunks, while the request is sent (files.upload_body).
        size, sha256, head = scan_file(path, C.MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if size > C.MAX_UPLOAD_BYTES:  # the file grew after stat()
        raise _too_large(size)
    mime, warnings = choose_mime(head, mime_for_extension(path.name))
    fields = _fields("local_path", path.name, None, mime, size, sha256)
    return PreparedUpload(UploadBody(fields, path=path), warnings)


def _remote_filename(path: str) -> str:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name or "remote-upload"


def _fetch_failed(message: str, *, retryable: bool = True) -> UploadError:
    return _fail(
        E.REMOTE_UPLOAD_FETCH_FAILED,
        f"could not fetch remote upload URL: {message}",
        retryable=retryable,
        docs_url=f"{C.DOCS_URL}#image-skill-upload",
    )


def _fetch_remote(
    value: str, policy: NetworkPolicy, *, transport: httpx.BaseTransport | None = None
) -> tuple[bytes, str | None, httpx.URL]:
    import httpx

    from image_skill.files.remote import FetchFailed, FetchTooLarge, fetch

    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise _invalid_url(str(exc)) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise _invalid_url("only http and https URLs with a host are accepted")
    try:
        fetched = fetch(url, policy, max_bytes=C.MAX_UPLOAD_BYTES, transport=transport)
    except DestinationRefused as exc:
        raise UploadError(refused(UPLOAD_LABEL, exc)) from None
    except FetchTooLarge as exc:
        raise _too_large(exc.size) from None
    except FetchFailed as exc:
        raise _fetch_failed(exc.message, retryable=exc.retryable) from None
    return fetched.data, fetched.content_type, url


def refused(label: str, exc: DestinationRefused) -> Result:
    """INVALID_ARGUMENTS for a URL input the network policy refuses (nothing was sent)."""
    recovery = refusal_recovery(
        exc,
        opt_in_fix=(
            "to fetch from your own machine or private network on purpose, add "
            f"{ALLOW_PRIVATE_NETWORK_FLAG} (or set {ALLOW_PRIVATE_NETWORK_ENV}=1)"
        ),
        refused_fix=(
            f"this destination is refused even with {ALLOW_PRIVATE_NETWORK_FLAG}; download "
            "the image yourself and pass the local file instead"
        ),
    )
    recovery["docs_url"] = f"{C.DOCS_URL}#image-skill-upload"
    return E.invalid(
        label,
        f"refused to fetch the URL input: {exc.reason}; URL inputs are fetched only from "
        "public internet addresses",
        recovery=recovery,
    )


def _invalid_url(reason: str) -> UploadError:
    return UploadError(E.invalid(UPLOAD_LABEL, f"upload URL is not valid: {reason}"))


def _read_remote(
    value: str, policy: NetworkPolicy, *, transport: httpx.BaseTransport | None = None
) -> PreparedUpload:
    data, content_type, url = _fetch_remote(value, policy, transport=transport)
    filename = _remote_filename(url.raw_path.decode("ascii").split("?", 1)[0])
    # The content-type header is the claim when it says anything, else the file name.
    claimed = (content_type or "").split(";", 1)[0].strip() or mime_for_extension(filename)
    mime, warnings = choose_mime(data, claimed)
    port = f":{url.port}" if url.port is not None else ""
    origin = f"{url.scheme}://{url.host}{port}"
    sha256 = hashlib.sha256(data).hexdigest()
    fields = _fields("remote_url", filename, origin, mime, len(data), sha256)
    return PreparedUpload(UploadBody(fields, data=data), warnings)


def build_payload(
    value: str,
    *,
    policy: NetworkPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PreparedUpload:
    """Build the ``POST /v1/upload`` body for a local path or an http(s) URL.

    URLs are fetched under ``policy`` (default: public addresses only; the client's
    :meth:`~image_skill.api.client.ImageSkillClient.network_policy` also allows the API's own
    origin and the private-network opt-in). ``transport`` replaces the network (tests only).
    """
    if is_remote(value):
        return _read_remote(value, policy or NetworkPolicy(), transport=transport)
    return _read_local(value)


def send(client: ImageSkillClient, prepared: PreparedUpload, progress: Progress | None) -> Reply:
    """``POST /v1/upload`` with the body streamed from its source; ``progress(done, total)``
    follows the bytes sent. A file that cannot be read again, or changed, while it is sent
    is INPUT_FILE_UNREADABLE (the server never receives a complete body then)."""
    prepared.body.progress = progress
    try:
        return client.upload(prepared.body)
    except SourceChanged as exc:
        path = prepared.body.path
        raise _fail(
            E.INPUT_FILE_UNREADABLE,
            f"upload file {path} changed or could not be read while it was sent: {exc}",
            path=str(path),
        ) from None
    finally:
        prepared.body.progress = None


def upload(
    client: ImageSkillClient, value: str, *, finish: Finish, progress: Progress | None = None
) -> Result:
    """Prepare and send one upload; payload problems come back as the failure result.
    ``progress(done, total)`` is told how many of the file's bytes are sent so far."""
    try:
        prepared = build_payload(value, policy=client.network_policy())
        reply = send(client, prepared, progress)
    except UploadError as exc:
        return exc.result
    result = finish(reply)
    if prepared.warnings:
        warnings = result.envelope.get("warnings")
        if isinstance(warnings, list):
            warnings.extend(prepared.warnings)
    return result


def resolve_input_asset(
    client: ImageSkillClient,
    value: str,
    *,
    finish: Finish,
    warnings: list[str] | None = None,
    progress: Progress | None = None,
) -> str:
    """The asset id for an edit input, mask or reference (contract §10.2).

    Asset ids and owned media URLs (hosted ``media.image-skill.com/a/...`` or the configured
    backend's ``/a/<asset id>.<ext>``) are used as they are; anything else is uploaded first.
    ``finish`` turns the upload's reply into a result (the contract keeps the label
    ``image-skill upload`` for uploads made on behalf of create/edit). Warnings about how
    the payload was built are appended to ``warnings``. Raises :class:`UploadError` carrying
    the failed result (the server's envelope unchanged, or ``UPLOAD_ASSET_ID_MISSING``).
    ``progress`` follows the upload's bytes, as for :func:`upload`.
    """
    from image_skill.files.refs import recognize_asset_reference

    recognised = recognize_asset_reference(value, client.is_own_url)
    if recognised is not None:
        return recognised.asset_id
    prepared = build_payload(value, policy=client.network_policy())
    result = finish(send(client, prepared, progress))
    if not result.ok:
        raise UploadError(result)
    data = result.data if isinstance(result.data, dict) else {}
    asset = data.get("asset")
    asset_id = asset.get("asset_id") if isinstance(asset, dict) else None
    if not isinstance(asset_id, str):
        raise _fail(
            E.UPLOAD_ASSET_ID_MISSING,
            "hosted upload did not return an asset id",
            retryable=True,
        )
    if warnings is not None:
        warnings.extend(prepared.warnings)
    return asset_id
