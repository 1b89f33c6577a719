"""Content sniffing by magic bytes, plus image dimensions parsed from file headers.

Pure standard library and no I/O: the CLI uses it to check a file before uploading it and the
local backend uses it to describe stored media. Nothing here decodes pixels; only headers are
read, so every function is cheap on large inputs and returns ``None`` rather than raising when
the bytes are truncated or unknown.
"""

from __future__ import annotations

import struct

__all__ = [
    "EXTENSION_FOR_MIME",
    "extension_for_mime",
    "image_size",
    "mime_for_extension",
    "sniff_mime",
]

EXTENSION_FOR_MIME: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/avif": ".avif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-msvideo": ".avi",
    "audio/wav": ".wav",
    "model/gltf-binary": ".glb",
}

# Extensions that are spelled differently from the canonical one above.
_EXTRA_EXTENSIONS: dict[str, str] = {
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".m4v": "video/mp4",
    ".wave": "audio/wav",
}

_MIME_FOR_EXTENSION: dict[str, str] = {
    **{ext: mime for mime, ext in EXTENSION_FOR_MIME.items()},
    **_EXTRA_EXTENSIONS,
}

# ISO-BMFF brands (the `ftyp` box) that mean a still image rather than a movie.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_QUICKTIME_BRANDS = frozenset({b"qt  "})


def extension_for_mime(mime: str) -> str | None:
    """Return the canonical file extension (with the dot) for a MIME type, if known."""
    return EXTENSION_FOR_MIME.get(mime.split(";", 1)[0].strip().lower())


def mime_for_extension(extension_or_name: str) -> str | None:
    """Return the MIME type for ``.png``, ``png`` or a file name such as ``cat.PNG``."""
    text = extension_or_name.strip().lower()
    if "." in text:
        text = text[text.rindex(".") :]
    elif text:
        text = "." + text
    return _MIME_FOR_EXTENSION.get(text)


def _ftyp_brands(data: bytes) -> list[bytes] | None:
    """Major and compatible brands of a leading `ftyp` box, or None if there is none."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", data[0:4])[0]
    if size < 16 or size > len(data):
        size = min(len(data), 64)
    brands = [data[8:12]]
    brands.extend(data[i : i + 4] for i in range(16, size - 3, 4))
    return brands


def sniff_mime(data: bytes) -> str | None:
    """Identify media by its leading bytes; ``None`` when the format is not recognised."""
    head = bytes(data[:64])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"glTF") and len(head) >= 12:
        return "model/gltf-binary"
    if head.startswith(b"RIFF") and len(head) >= 12:
        kind = head[8:12]
        if kind == b"WEBP":
            return "image/webp"
        if kind == b"WAVE":
            return "audio/wav"
        if kind == b"AVI ":
            return "video/x-msvideo"
        return None
    brands = _ftyp_brands(head)
    if brands is not None:
        if brands[0] in _AVIF_BRANDS:
            return "image/avif"
        if brands[0] in _QUICKTIME_BRANDS:
            return "video/quicktime"
        if any(b in _AVIF_BRANDS for b in brands[1:]) and b"mif1" in brands:
            return "image/avif"
        return "video/mp4"
    # A QuickTime file may start with `moov`/`mdat`/`wide` instead of `ftyp`.
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "video/quicktime"
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return (width, height)


# JPEG start-of-frame markers: C0..CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    end = len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            return None
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if length < 2:
            return None
        if marker in _SOF_MARKERS:
            if pos + 9 > end:
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return (width, height)
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8 ":
        # Frame tag (3 bytes) then start code 9d 01 2a, then 14-bit width and height.
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack("<HH", data[26:30])
        return (width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return (width, height)
    return None


def _gif_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 10:
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return (width, height)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return ``(width, height)`` for PNG, JPEG, WebP and GIF data, read from headers only."""
    mime = sniff_mime(data)
    size: tuple[int, int] | None
    if mime == "image/png":
        size = _png_size(data)
    elif mime == "image/jpeg":
        size = _jpeg_size(data)
    elif mime == "image/webp":
        size = _webp_size(data)
    elif mime == "image/gif":
        size = _gif_size(data)
    else:
        size = None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size
