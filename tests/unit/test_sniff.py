"""Magic-byte sniffing and header-only image sizes, checked against files Pillow writes."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from PIL import Image, features

from image_skill.files.sniff import (
    EXTENSION_FOR_MIME,
    extension_for_mime,
    image_size,
    mime_for_extension,
    sniff_mime,
)


def _encode(fmt: str, size: tuple[int, int] = (37, 21), mode: str = "RGB", **kw: object) -> bytes:
    image = Image.new(mode, size, (200, 30, 90, 128)[: len(mode)] if mode != "P" else 3)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kw)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kwargs", "mode", "mime"),
    [
        ("PNG", {}, "RGB", "image/png"),
        ("PNG", {}, "RGBA", "image/png"),
        ("JPEG", {}, "RGB", "image/jpeg"),
        ("JPEG", {"progressive": True}, "RGB", "image/jpeg"),
        ("WEBP", {"quality": 80}, "RGB", "image/webp"),  # VP8 (lossy)
        ("WEBP", {"lossless": True}, "RGB", "image/webp"),  # VP8L
        ("WEBP", {"quality": 80}, "RGBA", "image/webp"),  # VP8X (alpha)
        ("GIF", {}, "P", "image/gif"),
    ],
)
def test_sniff_and_size_of_pillow_images(
    fmt: str, kwargs: dict[str, object], mode: str, mime: str
) -> None:
    data = _encode(fmt, mode=mode, **kwargs)
    assert sniff_mime(data) == mime
    assert image_size(data) == (37, 21)


def test_webp_variants_really_cover_each_chunk_type() -> None:
    assert _encode("WEBP", quality=80)[12:16] == b"VP8 "
    assert _encode("WEBP", lossless=True)[12:16] == b"VP8L"
    assert _encode("WEBP", mode="RGBA", quality=80)[12:16] == b"VP8X"


def test_jpeg_size_skips_exif_and_other_segments_before_the_frame_header() -> None:
    image = Image.new("RGB", (640, 480), (1, 2, 3))
    exif = Image.Exif()
    exif[0x010E] = "x" * 300  # ImageDescription, to make APP1 sizeable
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 500)
    data = buffer.getvalue()
    sof = data.index(b"\xff\xc0")
    assert data.index(b"Exif") < sof and data.index(b"ICC_PROFILE") < sof
    assert image_size(data) == (640, 480)


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_is_recognised_by_its_ftyp_brand() -> None:
    data = _encode("AVIF")
    assert sniff_mime(data) == "image/avif"
    assert image_size(data) is None  # sizes are only parsed for png/jpeg/webp/gif


def test_wav_glb_and_mp4_signatures() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\0\0" * 10)
    assert sniff_mime(buffer.getvalue()) == "audio/wav"
    assert image_size(buffer.getvalue()) is None

    glb = struct.pack("<4sII", b"glTF", 2, 20) + struct.pack("<II", 0, 0x4E4F534A)
    assert sniff_mime(glb) == "model/gltf-binary"

    def ftyp(major: bytes, *compatible: bytes) -> bytes:
        body = major + b"\0\0\0\0" + b"".join(compatible)
        return struct.pack(">I4s", 8 + len(body), b"ftyp") + body + b"\0\0\0\x08mdat"

    assert sniff_mime(ftyp(b"isom", b"isom", b"mp41")) == "video/mp4"
    assert sniff_mime(ftyp(b"mp42", b"mp42")) == "video/mp4"
    assert sniff_mime(ftyp(b"qt  ", b"qt  ")) == "video/quicktime"
    assert sniff_mime(ftyp(b"avif", b"avif", b"mif1")) == "image/avif"
    assert sniff_mime(ftyp(b"mif1", b"mif1", b"avif")) == "image/avif"
    assert sniff_mime(b"RIFF\x04\0\0\0AVI LIST") == "video/x-msvideo"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PN", b"hello world, this is text", b"RIFF\0\0\0\0ABCD", b"\0" * 64, b"GIF8"],
)
def test_unknown_or_truncated_input_is_none(data: bytes) -> None:
    assert sniff_mime(data) is None
    assert image_size(data) is None


def test_truncated_headers_give_no_size_instead_of_raising() -> None:
    png = _encode("PNG")
    jpeg = _encode("JPEG")
    webp = _encode("WEBP", quality=80)
    assert image_size(png[:20]) is None
    assert image_size(jpeg[:30]) is None
    assert image_size(webp[:25]) is None
    # A JPEG whose scan starts before any frame header has no size.
    assert image_size(b"\xff\xd8\xff\xda\x00\x02") is None


def test_extension_map_round_trips() -> None:
    assert EXTENSION_FOR_MIME["image/png"] == ".png"
    assert EXTENSION_FOR_MIME["image/jpeg"] == ".jpg"
    assert EXTENSION_FOR_MIME["image/webp"] == ".webp"
    assert EXTENSION_FOR_MIME["image/gif"] == ".gif"
    assert EXTENSION_FOR_MIME["image/avif"] == ".avif"
    assert EXTENSION_FOR_MIME["video/mp4"] == ".mp4"
    assert EXTENSION_FOR_MIME["audio/wav"] == ".wav"
    assert EXTENSION_FOR_MIME["model/gltf-binary"] == ".glb"
    for mime, ext in EXTENSION_FOR_MIME.items():
        assert mime_for_extension(ext) == mime
        assert extension_for_mime(mime) == ext


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("png", "image/png"),
        (".JPG", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("/tmp/a.b/clip.MP4", "video/mp4"),
        ("mesh.glb", "model/gltf-binary"),
        ("sound.wav", "audio/wav"),
        ("notes.txt", None),
        ("", None),
    ],
)
def test_mime_for_extension_accepts_names_and_bare_extensions(name: str, mime: str | None) -> None:
    assert mime_for_extension(name) == mime


def test_extension_for_mime_ignores_parameters_and_case() -> None:
    assert extension_for_mime("Image/PNG; charset=binary") == ".png"
    assert extension_for_mime("application/json") is None


def test_sniff_module_does_not_import_pillow() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    code = "import sys, image_skill.files.sniff; sys.exit('PIL' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(src)}, check=False)
    assert result.returncode == 0
