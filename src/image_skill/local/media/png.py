"""A fast, deterministic PNG writer for 8-bit RGB and RGBA images.

Pillow's PNG encoder tries every row filter on every row, which is most of the time of a
1024×1024 create. Here every row but the first uses the ``Up`` filter (the byte above,
subtracted modulo 256), computed in one C call (``ImageChops.subtract_modulo`` against the
image moved down a row), and the rows go through zlib at :data:`LEVEL`. Level 3 is zlib's
fastest-but-one strategy: for the generated art (gradients and flat shapes) it takes about
half the time of level 6 for files under twice the size (a 1024×1024 create: about 30 to
100 KB). Same pixels always give the same bytes: no metadata, no timestamps.
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image, ImageChops

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour type per Pillow mode (8 bits per sample).
COLOUR_TYPE = {"RGB": 2, "RGBA": 6}
_NONE, _UP = b"\x00", b"\x02"
#: zlib level of every PNG the backend writes (see the module docstring).
LEVEL = 3


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(image: Image.Image, level: int = LEVEL) -> bytes:
    """The PNG file of ``image`` (mode ``RGB`` or ``RGBA``)."""
    if image.mode not in COLOUR_TYPE:
        raise ValueError(f"encode_png takes RGB or RGBA images, not {image.mode}")
    width, height = image.size
    stride = width * len(image.mode)
    above = Image.new(image.mode, image.size)
    above.paste(image.crop((0, 0, width, height - 1)), (0, 1))
    filtered = ImageChops.subtract_modulo(image, above).tobytes()
    rows = [_NONE + filtered[:stride]]  # the first row has nothing above it: unfiltered
    rows += [_UP + filtered[i : i + stride] for i in range(stride, len(filtered), stride)]
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPE[image.mode], 0, 0, 0)
    return b"".join(
        (
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), level)),
            _chunk(b"IEND", b""),
        )
    )
