"""The backend's own PNG writer: valid files, exact pixels, same bytes for same pixels."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from PIL import Image

from image_skill.local.media.images import encode_image, render_image
from image_skill.local.media.png import SIGNATURE, encode_png


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Walk the chunks, checking every CRC (an independent reader, not Pillow)."""
    assert data.startswith(SIGNATURE)
    pos, out = len(SIGNATURE), []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        out.append((kind, body))
        pos += 12 + length
    return out


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("size", [(1, 1), (1, 7), (7, 1), (33, 17), (300, 200)])
def test_random_pixels_round_trip_exactly(mode: str, size: tuple[int, int]) -> None:
    image = Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))
    data = encode_png(image)
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    assert decoded.mode == mode and decoded.size == size
    assert decoded.tobytes() == image.tobytes()
    kinds = [kind for kind, _ in _chunks(data)]
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]  # no metadata chunk
    width, height, depth, colour = struct.unpack(">IIBB", _chunks(data)[0][1][:10])
    assert (width, height, depth, colour) == (*size, 8, 2 if mode == "RGB" else 6)
    raw = zlib.decompress(_chunks(data)[1][1])
    stride = size[0] * len(mode) + 1
    assert [raw[i] for i in range(0, len(raw), stride)] == [0] + [2] * (size[1] - 1)


def test_same_pixels_same_bytes_and_created_images_use_it() -> None:
    first = render_image("a lighthouse at dusk", seed=3, width=256, height=192)
    again = render_image("a lighthouse at dusk", seed=3, width=256, height=192)
    assert first == again
    decoded = Image.open(io.BytesIO(first))
    decoded.load()
    assert encode_png(decoded.convert("RGB")) == first


def test_other_modes_still_go_through_pillow() -> None:
    grey = Image.linear_gradient("L").resize((40, 30))
    data = encode_image(grey, "png")
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    assert decoded.mode == "L" and decoded.tobytes() == grey.tobytes()
    with pytest.raises(ValueError, match="RGB or RGBA"):
        encode_png(grey)
