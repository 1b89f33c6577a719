"""Verified, atomic asset downloads (contract §10.8, with our deliberate differences).

* :func:`derive_output_path` picks the target file: ``--output`` as given, a derived file name
  inside ``--output`` when it is a directory (or ends with a separator), or a derived name in the
  working directory. A derived name is always one safe path component, so it never escapes the
  target directory.
* :func:`download` refuses an existing target unless ``overwrite`` (checked before fetching),
  and anything but a regular file even with it; streams into a temporary file next to the
  target; checks the byte count against ``Content-Length`` and the expected length and the
  sha256 against the ``x-image-skill-sha256`` header and the expected hash; and only then
  moves the file into place (:mod:`image_skill.files.placement`): without ``overwrite`` by a
  no-replace move, so a file or link that appeared at the target during the download is
  kept, or under the next free ``name-N`` with ``unique_name``; with ``overwrite`` by an
  atomic rename over a regular file only. On any failure, Ctrl-C included, the temporary
  file is removed and the target is left as it was. A timeout is ``TIMEOUT`` (exit 8).
* The URL and every redirect from it are vetted by the client's download policy before
  anything connects (:meth:`~image_skill.api.client.ImageSkillClient.stream`): a refused
  destination is ``INVALID_ARGUMENTS`` (exit 2), as for a refused URL input.

Failures raise :class:`DownloadError`, which carries the envelope error fields.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image_skill._atomic import open_new, sync
from image_skill.files.download_errors import (
    DownloadError,
    exists_error,
    failed,
    not_regular_error,
    refused,
    timed_out,
)
from image_skill.files.file_sink import FileSink
from image_skill.files.filenames import derive_file_name, is_safe_filename
from image_skill.files.placement import (
    NotRegularFile,
    non_regular_kind,
    place_exclusive,
    place_replacing,
    place_unique,
)

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient

__all__ = [
    "SHA256_HEADER",
    "DownloadError",
    "check_target",
    "derive_file_name",
    "derive_output_path",
    "download",
    "is_safe_filename",
]

SHA256_HEADER = "x-image-skill-sha256"
Progress = Callable[[int, int | None], None]


# -- output path --------------------------------------------------------------------


def derive_output_path(asset: Mapping[str, Any], output: str | None, cwd: Path) -> Path:
    """The absolute target path for ``asset``.

    ``output`` (relative paths resolve against ``cwd``) is used as the file path, unless it is
    an existing directory or ends with a path separator: then the derived file name goes inside
    it. With no ``output`` the derived name goes in ``cwd``.
    """
    if output:
        given = Path(os.path.expanduser(output))
        target = given if given.is_absolute() else cwd / given
        separators = ("/", os.sep) + ((os.altsep,) if os.altsep else ())
        if not (output.endswith(separators) or target.is_dir()):
            return Path(os.path.abspath(target))
        directory = Path(os.path.abspath(target))
    else:
        directory = Path(os.path.abspath(cwd))
    name = derive_file_name(asset)
    path = directory / name
    # Belt and braces: a derived name is exactly one component of the target directory.
    if path.parent != directory or path.name != name:  # pragma: no cover - guarded by the regex
        raise ValueError(f"derived file name escapes the output directory: {name!r}")
    return path


# -- download -------------------------------------------------------------------------


def _parse_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def check_target(target: Path, overwrite: bool) -> bool:
    """Whether a regular file is at ``target`` to be replaced; raise when nothing may be
    written there: anything at all without ``overwrite`` (``OUTPUT_EXISTS``), anything but a
    regular file with it (``OUTPUT_NOT_WRITABLE``). A symbolic link is never followed."""
    if not os.path.lexists(target):
        return False
    kind = non_regular_kind(target)
    if not overwrite:
        raise exists_error(target, kind)
    if kind is not None:
        raise not_regular_error(target, kind)
    return True


def download(
    client: ImageSkillClient,
    url: str,
    target: Path,
    *,
    overwrite: bool,
    unique_name: bool = False,
    expected_length: int | None = None,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Download ``url`` to ``target`` and verify it before it appears there.

    Without ``overwrite`` the name must be free both before the fetch and when the verified
    file is moved into place (a file or link that appeared meanwhile is kept, and the download
    fails with ``OUTPUT_EXISTS``); ``unique_name`` instead moves on to ``name-2.ext``, ... for
    a taken name. With ``overwrite`` only a regular file is replaced.

    Returns ``{output_path, bytes, content_type, content_length_header, sha256,
    verified: {length, sha256}, overwritten}``; a ``verified`` entry is ``None`` when nothing
    was known to check against. Raises :class:`DownloadError`.
    """
    import httpx

    from image_skill.api.netpolicy import DestinationRefused, ResolveFailed
    from image_skill.api.vetted import RedirectFailed

    if not unique_name:
        check_target(target, overwrite)
    created = _missing_dirs(target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise failed(
            f"cannot create the output directory {target.parent}: {exc.strerror or exc}",
            retryable=False,
            exit_code=9,
        ) from None
    tmp_name: str | None = None
    placed = False
    try:
        with client.stream(url, timeout=timeout) as response:
            status = response.status_code
            if not 200 <= status < 300:
                raise failed(f"asset download failed: HTTP {status}")
            length_header = _parse_length(response.headers.get("content-length"))
            sha_header = response.headers.get(SHA256_HEADER)
            content_type = response.headers.get("content-type")
            try:
                # The name is known before the file exists, so an interrupt at any moment
                # still lets the `finally` below remove what was created.
                for _ in range(8):
                    tmp_name = str(target.parent / f".{target.name}.{os.urandom(4).hex()}.part")
                    try:
                        handle = open_new(tmp_name)
                        break
                    except FileExistsError:
                        tmp_name = None
                else:
                    raise FileExistsError(f"no free temporary name next to {target}")
            except OSError as exc:
                raise failed(
                    f"cannot write in {target.parent}: {exc.strerror or exc}",
                    retryable=False,
                    exit_code=9,
                ) from None
            size = 0
            total = expected_length if expected_length is not None else length_header
            try:
                with handle:
                    with FileSink(handle) as sink:
                        for chunk in _pieces(response):
                            sink.write(chunk)
                            size += len(chunk)
                            if progress is not None:
                                progress(size, total)
                        sha256 = sink.finish()
                    sync(handle)
            except httpx.TimeoutException as exc:
                raise timed_out(
                    f"asset download timed out after {response.num_bytes_downloaded} bytes: "
                    f"{exc.__class__.__name__}: {exc}"
                ) from None
            except httpx.HTTPError as exc:
                raise failed(
                    f"asset download failed after {response.num_bytes_downloaded} bytes: "
                    f"{exc.__class__.__name__}: {exc}"
                ) from None
            except OSError as exc:
                raise failed(
                    f"cannot write the download next to {target}: {exc.strerror or exc}",
                    retryable=False,
                    exit_code=9,
                ) from None
            raw_size = _wire_size(response, size)
        verified_length = _verify_length(size, raw_size, length_header, expected_length)
        verified_sha = _verify_sha(sha256, sha_header, expected_sha256)
        target, replaced = _place(tmp_name, target, overwrite=overwrite, unique_name=unique_name)
        placed = True
    except DestinationRefused as exc:  # raised before anything connected to that hop
        raise refused(exc) from None
    except ResolveFailed as exc:
        raise failed(f"asset download failed: {exc}") from None
    except RedirectFailed as exc:
        raise failed(f"asset download failed: {exc.message}", retryable=False) from None
    except httpx.TimeoutException as exc:
        raise timed_out(f"asset download timed out: {exc.__class__.__name__}: {exc}") from None
    except httpx.HTTPError as exc:
        raise failed(f"asset download failed: {exc.__class__.__name__}: {exc}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        if not placed:
            # A failed download leaves no trace: drop the folders it created (empty only).
            for folder in created:
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return {
        "output_path": str(target),
        "bytes": size,
        "content_type": content_type,
        "content_length_header": length_header,
        "sha256": sha256,
        "verified": {"length": verified_length, "sha256": verified_sha},
        "overwritten": replaced,
    }


def _place(tmp: str, target: Path, *, overwrite: bool, unique_name: bool) -> tuple[Path, bool]:
    """Move the verified temporary file into place; return the final path and whether a file
    was replaced."""
    try:
        os.chmod(tmp, _file_mode())
        if overwrite:
            return target, place_replacing(tmp, target)
        if unique_name:
            return place_unique(tmp, target), False
        place_exclusive(tmp, target)
        return target, False
    except NotRegularFile as exc:
        raise not_regular_error(target, exc.kind) from None
    except FileExistsError:
        raise exists_error(target, non_regular_kind(target), during=True) from None
    except OSError as exc:
        raise failed(
            f"cannot move the download into place at {target}: {exc.strerror or exc}",
            retryable=False,
            exit_code=9,
        ) from None


def _missing_dirs(folder: Path) -> list[Path]:
    """The folders ``mkdir -p folder`` would create, deepest first."""
    missing: list[Path] = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    return missing


def download_asset(
    client: ImageSkillClient,
    asset: Mapping[str, Any],
    url: str,
    target: Path,
    *,
    overwrite: bool,
    unique_name: bool = False,
    progress: Progress | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """:func:`download` checked against the size and sha256 the asset's metadata declares."""
    length = asset.get("content_length")
    sha256 = asset.get("sha256")
    return download(
        client,
        url,
        target,
        overwrite=overwrite,
        unique_name=unique_name,
        expected_length=length if type(length) is int else None,
        expected_sha256=sha256 if isinstance(sha256, str) else None,
        progress=progress,
        timeout=timeout,
    )


def _pieces(response: Any) -> Any:
    """The body as it arrives: the raw pieces when nothing decodes them (no copy, no
    re-chunking), else the decoded ones (also for a body a transport had read already)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity") and not response.is_stream_consumed:
        return response.iter_raw()
    return response.iter_bytes()


def _wire_size(response: Any, size: int) -> int | None:
    """Bytes as sent on the wire (what Content-Length counts); None when unknowable."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return size
    # A compressed body: count raw bytes. A transport that hands over the content already read
    # (no streaming) leaves the counter at zero; then the wire size is unknown.
    raw = int(response.num_bytes_downloaded)
    return raw if raw > 0 or size == 0 else None


def _verify_length(
    size: int, raw_size: int | None, length_header: int | None, expected: int | None
) -> bool | None:
    checked = False
    if length_header is not None and raw_size is not None:
        checked = True
        if raw_size != length_header:
            raise failed(
                f"asset download truncated or corrupt: got {raw_size} bytes, "
                f"Content-Length says {length_header}"
            )
    if expected is not None:
        checked = True
        if size != expected:
            raise failed(
                f"asset download truncated or corrupt: got {size} bytes, "
                f"the asset record says {expected}"
            )
    return True if checked else None


def _verify_sha(sha256: str, header: str | None, expected: str | None) -> bool | None:
    checked = False
    for source, value in (("the server's sha256 header", header), ("the asset record", expected)):
        if value is None or not value.strip():
            continue
        checked = True
        if value.strip().lower() != sha256:
            raise failed(
                f"asset download corrupt: sha256 {sha256} does not match {source} "
                f"({value.strip().lower()})"
            )
    return True if checked else None
