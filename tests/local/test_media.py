"""Real media from the local backend: images, masked edits and WAV audio.

GLB and MP4 structure is checked in test_media_containers.py.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from image_skill.files.sniff import image_size, sniff_mime
from image_skill.local.media.images import (
    dimensions_for,
    edit_image,
    probe,
    render_image,
    render_wav,
)

RATIOS = ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21", "4:5", "5:4", "2.39:1"]


def _ratio(text: str) -> float:
    w, h = text.split(":")
    return float(w) / float(h)


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- dimensions -------------------------------------------------------------------------------


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("long_edge", [1024, 512, 256])
def test_dimensions_match_the_ratio(ratio: str, long_edge: int) -> None:
    width, height = dimensions_for(ratio, long_edge=long_edge)
    assert max(width, height) == long_edge
    assert width % 2 == 0 and height % 2 == 0
    assert width / height == pytest.approx(_ratio(ratio), rel=0.01)
    assert (width >= height) == (_ratio(ratio) >= 1)


def test_dimensions_exact_where_integers_allow() -> None:
    assert dimensions_for("1:1") == (1024, 1024)
    assert dimensions_for("16:9") == (1024, 576)
    assert dimensions_for("9:16") == (576, 1024)
    assert dimensions_for("4:3") == (1024, 768)
    assert dimensions_for("3:4", long_edge=512) == (384, 512)
    assert dimensions_for("auto") == (1024, 1024)
    assert dimensions_for(" AUTO ", long_edge=256) == (256, 256)
    assert dimensions_for("3:2", multiple=1) == (1024, 683)
    assert dimensions_for("16:9", long_edge=512, multiple=16) == (512, 288)


@pytest.mark.parametrize(
    "bad", ["", "16", "16:9:1", "16:0", "0:9", "-4:3", "a:b", "16x9", "100:1", "1:100", ":"]
)
def test_invalid_aspect_ratios_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        dimensions_for(bad)


def test_invalid_long_edge_is_rejected() -> None:
    with pytest.raises(ValueError):
        dimensions_for("1:1", long_edge=0)
    with pytest.raises(ValueError):
        dimensions_for("1:1", long_edge=100_000)


# --- generated images -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime", "pil_format"),
    [("png", "image/png", "PNG"), ("jpeg", "image/jpeg", "JPEG"), ("webp", "image/webp", "WEBP")],
)
def test_render_image_is_a_real_file_of_the_requested_size(
    fmt: str, mime: str, pil_format: str
) -> None:
    width, height = dimensions_for("16:9", long_edge=320)
    data = render_image("a lighthouse at dusk", seed=7, width=width, height=height, fmt=fmt)
    image = _open(data)
    assert image.format == pil_format
    assert image.size == (width, height)
    assert sniff_mime(data) == mime
    assert image_size(data) == (width, height)
    assert probe(data)["width"] == width and probe(data)["height"] == height
    # Procedural art, not a flat fill.
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


def test_render_image_is_deterministic_and_depends_on_prompt_and_seed() -> None:
    def render(prompt: str, seed: int, fmt: str = "png") -> bytes:
        return render_image(prompt, seed=seed, width=192, height=128, fmt=fmt)

    for fmt in ("png", "jpeg", "webp"):
        assert render("red fox", 1, fmt) == render("red fox", 1, fmt)
    base = render("red fox", 1)
    assert render("red fox", 2) != base
    assert render("blue whale", 1) != base
    # Different inputs change the picture visibly, not just a byte or two.
    for other in (render("red fox", 2), render("blue whale", 1)):
        diff = ImageChops.difference(_open(base).convert("RGB"), _open(other).convert("RGB"))
        assert sum(ImageStat.Stat(diff).mean) / 3 > 10


def test_render_image_is_deterministic_across_processes() -> None:
    # A fresh interpreter has a different hash seed; output must not depend on it.
    code = (
        "import hashlib, sys\n"
        "from image_skill.local.media.images import render_image\n"
        "data = render_image('hash seed check', seed=99, width=96, height=64)\n"
        "sys.stdout.write(hashlib.sha256(data).hexdigest())\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": src, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    here = render_image("hash seed check", seed=99, width=96, height=64)
    assert out == hashlib.sha256(here).hexdigest()


def test_render_image_rejects_unknown_format_and_bad_size() -> None:
    with pytest.raises(ValueError):
        render_image("x", seed=1, width=10, height=10, fmt="bmp")
    with pytest.raises(ValueError):
        render_image("x", seed=1, width=0, height=10)


# --- edits ------------------------------------------------------------------------------------


def _pixels(data: bytes, mode: str = "RGB") -> list[bytes]:
    """Pixels as byte strings, row-major (avoids getdata(), deprecated in Pillow 13)."""
    raw = _open(data).convert(mode).tobytes()
    n = len(mode)
    return [raw[i : i + n] for i in range(0, len(raw), n)]


def _mask_left_half(size: tuple[int, int]) -> bytes:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((0, 0, size[0] // 2 - 1, size[1] - 1), fill=255)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def _check_masked_edit(source: bytes, edited: bytes, editable: list[bool], mode: str) -> None:
    before, after = _pixels(source, mode), _pixels(edited, mode)
    assert len(before) == len(after) == len(editable)
    inside = [b != a for b, a, e in zip(before, after, editable, strict=True) if e]
    outside = [b == a for b, a, e in zip(before, after, editable, strict=True) if not e]
    assert inside and outside
    assert all(outside), "a pixel outside the mask changed"
    assert sum(inside) / len(inside) > 0.95, "most pixels inside the mask must change"


def test_edit_changes_only_pixels_inside_a_resized_mask() -> None:
    source = render_image("a quiet harbour", seed=3, width=160, height=96)
    mask = _mask_left_half((40, 24))  # a quarter of the size: scaled up by the edit
    edited = edit_image(source, "paint it like a sunset", seed=5, mask=mask)
    image = _open(edited)
    assert image.format == "PNG" and image.size == (160, 96)
    editable = [x < 80 for _y in range(96) for x in range(160)]
    _check_masked_edit(source, edited, editable, "RGB")


def test_edit_reads_alpha_when_the_mask_has_transparency() -> None:
    source = render_image("mountains", seed=11, width=64, height=64)
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    # Opaque *black* square: alpha (not luminance) must decide, so this square is editable.
    ImageDraw.Draw(mask).rectangle((16, 16, 47, 47), fill=(0, 0, 0, 255))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    edited = edit_image(source, "snow", seed=1, mask=buffer.getvalue())
    editable = [16 <= x <= 47 and 16 <= y <= 47 for y in range(64) for x in range(64)]
    _check_masked_edit(source, edited, editable, "RGB")


def test_edit_uses_luminance_for_an_opaque_rgba_mask() -> None:
    source = render_image("forest", seed=2, width=64, height=48)
    mask = Image.new("RGBA", (64, 48), (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((0, 24, 63, 47), fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    edited = edit_image(source, "fog", seed=4, mask=buffer.getvalue())
    editable = [y >= 24 for y in range(48) for _x in range(64)]
    _check_masked_edit(source, edited, editable, "RGB")


def test_edit_of_a_jpeg_source_keeps_decoded_pixels_outside_the_mask() -> None:
    source = render_image("city at night", seed=8, width=96, height=64, fmt="jpeg")
    edited = edit_image(source, "neon", seed=2, mask=_mask_left_half((96, 64)))
    assert sniff_mime(edited) == "image/png"
    editable = [x < 48 for _y in range(64) for x in range(96)]
    _check_masked_edit(source, edited, editable, "RGB")


def test_webp_edit_is_lossless_outside_the_mask() -> None:
    source = render_image("desert", seed=6, width=64, height=64)
    edited = edit_image(source, "rain", seed=6, mask=_mask_left_half((64, 64)), fmt="webp")
    assert sniff_mime(edited) == "image/webp"
    editable = [x < 32 for _y in range(64) for x in range(64)]
    _check_masked_edit(source, edited, editable, "RGB")


def test_edit_keeps_the_alpha_channel_of_a_transparent_source() -> None:
    image = Image.new("RGBA", (48, 48), (10, 120, 200, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 40, 40), fill=(250, 200, 20, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    source = buffer.getvalue()
    edited = edit_image(source, "make it glow", seed=9, mask=_mask_left_half((48, 48)))
    out = _open(edited)
    assert out.mode == "RGBA"
    assert out.getchannel("A").tobytes() == image.getchannel("A").tobytes()
    editable = [x < 24 for _y in range(48) for x in range(48)]
    _check_masked_edit(source, edited, editable, "RGBA")


def test_edit_without_mask_changes_the_whole_image_deterministically() -> None:
    source = render_image("a bowl of fruit", seed=1, width=80, height=80)
    edited = edit_image(source, "cubist style", seed=1)
    before, after = _pixels(source), _pixels(edited)
    changed = sum(b != a for b, a in zip(before, after, strict=True))
    assert changed / len(before) > 0.95
    assert edit_image(source, "cubist style", seed=1) == edited
    assert edit_image(source, "cubist style", seed=2) != edited
    assert edit_image(source, "pointillism", seed=1) != edited
    jpeg = edit_image(source, "cubist style", seed=1, fmt="jpeg")
    assert sniff_mime(jpeg) == "image/jpeg" and _open(jpeg).size == (80, 80)


def test_edit_rejects_undecodable_input() -> None:
    with pytest.raises(ValueError):
        edit_image(b"not an image", "x", seed=1)
    source = render_image("x", seed=1, width=16, height=16)
    with pytest.raises(ValueError):
        edit_image(source, "x", seed=1, mask=b"not a mask")
    with pytest.raises(ValueError):
        edit_image(source, "x", seed=1, fmt="tiff")


# --- audio ------------------------------------------------------------------------------------


def test_wav_is_valid_pcm_with_the_expected_length() -> None:
    data = render_wav("rain on a tin roof", seed=4, duration_seconds=1.5, sample_rate=16000)
    assert sniff_mime(data) == "audio/wav"
    with wave.open(io.BytesIO(data), "rb") as reader:
        assert reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        assert reader.getframerate() == 16000
        assert reader.getnframes() == 24000
        frames = reader.readframes(reader.getnframes())
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    assert max(abs(s) for s in samples) > 5000  # audible, not silence
    info = probe(data)
    assert info["mime_type"] == "audio/wav"
    assert info["duration_seconds"] == pytest.approx(1.5)


def test_wav_is_deterministic_and_depends_on_prompt_and_seed() -> None:
    base = render_wav("birdsong", seed=1, duration_seconds=0.5)
    assert render_wav("birdsong", seed=1, duration_seconds=0.5) == base
    assert render_wav("birdsong", seed=2, duration_seconds=0.5) != base
    assert render_wav("thunder", seed=1, duration_seconds=0.5) != base


def test_wav_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        render_wav("x", seed=1, duration_seconds=0)
    with pytest.raises(ValueError):
        render_wav("x", seed=1, sample_rate=100)


def test_probe_never_raises_on_garbage() -> None:
    info = probe(b"\x00garbage")
    assert info["mime_type"] is None and info["content_length"] == 8
    broken = probe(b"\x89PNG\r\n\x1a\n" + b"\0" * 4)
    assert broken["mime_type"] == "image/png" and broken["width"] is None
