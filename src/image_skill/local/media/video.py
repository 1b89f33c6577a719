"""Motion-JPEG in an MP4 container, written by a tiny ISO-BMFF muxer (stdlib + Pillow).

Why this format: the contract names ``video/mp4`` for video assets, there is no ffmpeg and no
network here, and H.264 cannot reasonably be encoded in pure Python. Each frame is therefore a
baseline JPEG (encoded by Pillow) stored as one sample of a single video track whose sample
entry is ``jpeg`` (Photo-JPEG). ffmpeg/ffprobe, VLC, mpv, GStreamer and QuickTime decode it;
the box layout is plain ISO-BMFF with ``moov`` before ``mdat`` so it streams progressively.

Limits, stated plainly:

- Web browsers do not play Motion-JPEG in MP4 (they expect H.264/VP9/AV1), so an HTML
  ``<video>`` element will not show it, although downloads open in desktop players.
- No audio track, no edit list, constant frame rate, 32-bit chunk offsets (files < 4 GiB).
- Every frame is a key frame (no ``stss`` box, which means "all samples are sync samples").
- Files are larger than an inter-frame codec would produce; keep sizes small.

Layout::

    ftyp
    moov
      mvhd
      trak
        tkhd
        mdia
          mdhd
          hdlr (vide)
          minf
            vmhd
            dinf / dref / url
            stbl / stsd (jpeg) / stts / stsc / stsz / stco
    mdat  (the JPEG frames back to back, one chunk)
"""

from __future__ import annotations

import struct
from typing import Any

from image_skill.local.media.art import make_scene, paint

__all__ = ["VIDEO_MIME", "mp4_info", "mux_mjpeg_mp4", "render_video"]

VIDEO_MIME = "video/mp4"
_MOVIE_TIMESCALE = 1000
_UNITY_MATRIX = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def _sample_entry(width: int, height: int) -> bytes:
    name = b"Photo - JPEG"
    compressor = bytes([len(name)]) + name + b"\x00" * (31 - len(name))
    return _box(
        b"jpeg",
        b"\x00" * 6,  # reserved
        struct.pack(">H", 1),  # data_reference_index
        struct.pack(">HH", 0, 0),  # pre_defined, reserved (QT: version, revision)
        b"\x00" * 4,  # pre_defined (QT: vendor)
        struct.pack(">II", 0, 512),  # pre_defined (QT: temporal and spatial quality)
        struct.pack(">HH", width, height),
        struct.pack(">II", 0x00480000, 0x00480000),  # 72 dpi
        struct.pack(">I", 0),  # reserved (data size)
        struct.pack(">H", 1),  # frame_count per sample
        compressor,
        struct.pack(">Hh", 0x0018, -1),  # depth, pre_defined
    )


def _moov(sizes: list[int], width: int, height: int, fps: int, chunk_offset: int) -> bytes:
    frames = len(sizes)
    media_timescale = fps * 100
    media_duration = frames * 100
    movie_duration = round(frames * _MOVIE_TIMESCALE / fps)
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, _MOVIE_TIMESCALE, movie_duration),
        struct.pack(">iH", 0x00010000, 0x0100),  # rate 1.0, volume 1.0
        b"\x00" * 10,
        _UNITY_MATRIX,
        b"\x00" * 24,  # pre_defined
        struct.pack(">I", 2),  # next_track_ID
    )
    tkhd = _full_box(
        b"tkhd",
        0,
        0x3,  # enabled, in movie
        struct.pack(">IIII", 0, 0, 1, 0),  # times, track_ID, reserved
        struct.pack(">I", movie_duration),
        b"\x00" * 8,
        struct.pack(">hhhH", 0, 0, 0, 0),  # layer, alternate group, volume, reserved
        _UNITY_MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )
    mdhd = _full_box(
        b"mdhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, media_timescale, media_duration),
        struct.pack(">HH", 0x55C4, 0),  # language "und", pre_defined
    )
    hdlr = _full_box(
        b"hdlr", 0, 0, struct.pack(">I4s", 0, b"vide"), b"\x00" * 12, b"VideoHandler\x00"
    )
    vmhd = _full_box(b"vmhd", 0, 1, struct.pack(">HHHH", 0, 0, 0, 0))
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    stsd = _full_box(b"stsd", 0, 0, struct.pack(">I", 1), _sample_entry(width, height))
    stts = _full_box(b"stts", 0, 0, struct.pack(">III", 1, frames, 100))
    stsc = _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, frames, 1))
    stsz = _full_box(
        b"stsz", 0, 0, struct.pack(">II", 0, frames), struct.pack(f">{frames}I", *sizes)
    )
    stco = _full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset))
    stbl = _box(b"stbl", stsd, stts, stsc, stsz, stco)
    minf = _box(b"minf", vmhd, dinf, stbl)
    mdia = _box(b"mdia", mdhd, hdlr, minf)
    return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))


def mux_mjpeg_mp4(frames: list[bytes], *, width: int, height: int, fps: int) -> bytes:
    """Wrap JPEG frames (all ``width`` x ``height``) into an MP4 file at ``fps``."""
    if not frames:
        raise ValueError("at least one frame is required")
    if not 1 <= fps <= 120:
        raise ValueError("fps must be in [1, 120]")
    if not (1 <= width <= 0xFFFF and 1 <= height <= 0xFFFF):
        raise ValueError("frame size out of range")
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"mp41")
    sizes = [len(f) for f in frames]
    # The moov size does not depend on the offset value, so measure it with a placeholder.
    moov_size = len(_moov(sizes, width, height, fps, 0))
    mdat_header = struct.pack(">I4s", 8 + sum(sizes), b"mdat")
    offset = len(ftyp) + moov_size + len(mdat_header)
    moov = _moov(sizes, width, height, fps, offset)
    return b"".join([ftyp, moov, mdat_header, *frames])


def render_video(
    prompt: str, *, seed: int, width: int, height: int, frames: int = 24, fps: int = 12
) -> tuple[bytes, str]:
    """Render an animation of the prompt's scene; returns ``(mp4_bytes, "video/mp4")``."""
    import io

    if not 1 <= frames <= 1000:
        raise ValueError("frames must be in [1, 1000]")
    if not (2 <= width <= 4096 and 2 <= height <= 4096):
        raise ValueError("width and height must be in [2, 4096]")
    scene = make_scene(prompt, seed, salt="video")
    encoded: list[bytes] = []
    for index in range(frames):
        buffer = io.BytesIO()
        image = paint(scene, width, height, t=index / frames)
        image.save(buffer, format="JPEG", quality=85, optimize=False, progressive=False)
        encoded.append(buffer.getvalue())
    return mux_mjpeg_mp4(encoded, width=width, height=height, fps=fps), VIDEO_MIME


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """Map box type -> (payload start, box end) for the boxes directly inside a range."""
    found: dict[bytes, tuple[int, int]] = {}
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"box {kind!r} at {pos} has an invalid size")
        found.setdefault(kind, (pos + header, pos + size))
        pos += size
    return found


def mp4_info(data: bytes) -> dict[str, Any]:
    """Duration (from ``mvhd``) and frame size (from the first video ``tkhd``) of an MP4."""
    top = _children(data, 0, len(data))
    moov_start, moov_end = top[b"moov"]
    moov = _children(data, moov_start, moov_end)
    mvhd = moov[b"mvhd"][0]
    if data[mvhd] == 1:
        timescale, duration = struct.unpack(">IQ", data[mvhd + 20 : mvhd + 32])
    else:
        timescale, duration = struct.unpack(">II", data[mvhd + 12 : mvhd + 20])
    info: dict[str, Any] = {"duration_seconds": duration / timescale if timescale else None}
    if b"trak" in moov:
        trak = _children(data, *moov[b"trak"])
        tkhd_start, tkhd_end = trak[b"tkhd"]
        width, height = struct.unpack(">II", data[tkhd_end - 8 : tkhd_end])
        if width or height:
            info["width"], info["height"] = width >> 16, height >> 16
    return info
