"""Header parsing at its edges, on hand-built bytes: the shortest input each format accepts
and one byte less, every branch of the JPEG marker walk, and the ISO-BMFF brand rules."""

from __future__ import annotations

import struct

import pytest

from image_skill.files.sniff import image_size, sniff_mime

SOI = b"\xff\xd8"


def sof(width: int, height: int, marker: int = 0xC0) -> bytes:
    """A start-of-frame header cut right after the width (all the parser reads)."""
    return bytes([0xFF, marker]) + struct.pack(">HBHH", 17, 8, height, width)


def segment(marker: int, length: int = 2) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", length) + b"\x00" * max(0, length - 2)


# --- JPEG -----------------------------------------------------------------------------------


def test_the_shortest_jpeg_frame_header_is_read_and_one_byte_less_is_not() -> None:
    data = SOI + sof(640, 480)
    assert image_size(data) == (640, 480)
    assert image_size(data[:-1]) is None


@pytest.mark.parametrize("marker", sorted(set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}))
def test_every_start_of_frame_marker_gives_the_size(marker: int) -> None:
    assert image_size(SOI + sof(33, 17, marker)) == (33, 17)


@pytest.mark.parametrize("marker", [0xC4, 0xC8, 0xCC, 0xE0, 0xFE, 0xDB])
def test_other_segments_are_skipped_by_their_length(marker: int) -> None:
    data = SOI + segment(marker, 6) + sof(33, 17, 0xC2)
    assert image_size(data) == (33, 17)


def test_fill_bytes_before_a_marker_are_skipped() -> None:
    assert image_size(SOI + b"\xff\xff" + sof(9, 7)) == (9, 7)
    assert image_size(SOI + segment(0xE0, 4) + b"\xff\xff\xff" + sof(9, 7)) == (9, 7)


@pytest.mark.parametrize("marker", [0x01, 0xD0, 0xD3, 0xD7])
def test_standalone_markers_have_no_length(marker: int) -> None:
    assert image_size(SOI + bytes([0xFF, marker]) + sof(9, 7)) == (9, 7)


@pytest.mark.parametrize("marker", [0xD9, 0xDA])
def test_end_of_image_or_scan_before_a_frame_header_means_no_size(marker: int) -> None:
    assert image_size(SOI + segment(marker) + sof(9, 7)) is None


def test_a_segment_length_below_two_is_corrupt_and_two_is_empty() -> None:
    assert image_size(SOI + segment(0xE0, 1) + sof(9, 7)) is None
    assert image_size(SOI + b"\xff\xe0\x00\x00" + sof(9, 7)) is None
    assert image_size(SOI + segment(0xE0, 2) + sof(9, 7)) == (9, 7)


def test_a_byte_that_is_not_a_marker_stops_the_walk() -> None:
    assert image_size(SOI + b"\x00\xc0" + sof(9, 7)) is None
    assert image_size(SOI + segment(0xE0, 4) + b"\x00" + sof(9, 7)) is None


def test_a_zero_dimension_is_no_size() -> None:
    assert image_size(SOI + sof(0, 7)) is None
    assert image_size(SOI + sof(9, 0)) is None


# --- PNG, GIF, WebP ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + struct.pack(">II", 300, 200)


def test_png_size_needs_the_whole_ihdr_header() -> None:
    assert len(PNG) == 24
    assert image_size(PNG) == (300, 200)
    assert image_size(PNG[:-1]) is None
    assert image_size(PNG.replace(b"IHDR", b"IHDX")) is None
    assert image_size(PNG[:16] + struct.pack(">II", 0, 5)) is None


def test_gif_size_needs_ten_bytes() -> None:
    gif = b"GIF89a" + struct.pack("<HH", 12, 34)
    assert image_size(gif) == (12, 34)
    assert image_size(gif[:-1]) is None
    assert image_size(b"GIF87a" + struct.pack("<HH", 1, 2)) == (1, 2)


def riff(kind: bytes, body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + kind + body


def test_webp_lossy_size_is_14_bits_after_the_start_code() -> None:
    body = b"VP8 " + b"\x00" * 4 + b"\x00\x00\x00" + b"\x9d\x01\x2a"
    data = riff(b"WEBP", body + struct.pack("<HH", 0xC000 | 320, 0x4000 | 240))
    assert len(data) == 30
    assert image_size(data) == (320, 240)
    assert image_size(data[:-1]) is None
    assert image_size(data.replace(b"\x9d\x01\x2a", b"\x9d\x01\x2b")) is None


def test_webp_lossless_size_is_stored_minus_one() -> None:
    bits = (320 - 1) | ((240 - 1) << 14) | (0b11 << 28)
    body = b"VP8L" + b"\x00" * 4 + b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 5
    data = riff(b"WEBP", body)
    assert len(data) == 30
    assert image_size(data) == (320, 240)
    assert image_size(data.replace(b"\x2f", b"\x2e", 1)) is None


def test_webp_extended_size_is_24_bits_minus_one() -> None:
    sizes = (5000 - 1).to_bytes(3, "little") + (70000 - 1).to_bytes(3, "little")
    data = riff(b"WEBP", b"VP8X" + b"\x00" * 8 + sizes)
    assert len(data) == 30
    assert image_size(data) == (5000, 70000)
    assert image_size(riff(b"WEBP", b"VP8Z" + b"\x00" * 8 + sizes)) is None


# --- signatures -----------------------------------------------------------------------------


def test_riff_and_gltf_need_twelve_bytes() -> None:
    assert sniff_mime(b"glTF" + b"\x02\x00\x00\x00" + b"\x00" * 4) == "model/gltf-binary"
    assert sniff_mime(b"glTF" + b"\x02\x00\x00\x00" + b"\x00" * 3) is None
    assert sniff_mime(b"RIFF\x00\x00\x00\x00WAVE") == "audio/wav"
    assert sniff_mime(b"RIFF\x00\x00\x00\x00WAV") is None
    assert sniff_mime(b"RIFF\x00\x00\x00\x00AVI ") == "video/x-msvideo"
    assert sniff_mime(b"RIFF\x00\x00\x00\x00WEBP") == "image/webp"
    assert sniff_mime(b"RIFF\x00\x00\x00\x00XXXX") is None


def ftyp(major: bytes, *compatible: bytes, size: int | None = None) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    declared = 8 + len(body) if size is None else size
    return struct.pack(">I", declared) + b"ftyp" + body


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (ftyp(b"avif"), "image/avif"),
        (ftyp(b"avis"), "image/avif"),
        (ftyp(b"qt  "), "video/quicktime"),
        (ftyp(b"isom", b"mif1", b"avif"), "image/avif"),
        (ftyp(b"isom", b"avif"), "video/mp4"),  # avif without mif1: not an image
        (ftyp(b"mif1", b"avif"), "image/avif"),  # mif1 as the major brand counts too
        (ftyp(b"isom", b"iso2", b"mp41"), "video/mp4"),
        # A box size past the data (or too small) reads the brands the data holds.
        (ftyp(b"isom", b"mif1", b"avif", size=4096), "image/avif"),
        (ftyp(b"isom", b"mif1", b"avif", size=8), "image/avif"),
    ],
)
def test_iso_bmff_brands(data: bytes, mime: str) -> None:
    assert sniff_mime(data) == mime


def test_the_brand_list_ends_with_the_box() -> None:
    box = ftyp(b"isom", b"mif1")
    after = b"avif" + b"\x00" * 12  # an "avif" right after the box is not one of its brands
    assert sniff_mime(box + after) == "video/mp4"
    assert sniff_mime(ftyp(b"isom", b"mif1", b"avif")) == "image/avif"


def test_an_ftyp_box_needs_sixteen_bytes() -> None:
    assert sniff_mime(ftyp(b"isom")) == "video/mp4"
    assert len(ftyp(b"isom")) == 16
    assert sniff_mime(ftyp(b"isom")[:15]) is None


@pytest.mark.parametrize("box", [b"moov", b"mdat", b"wide", b"free"])
def test_quicktime_without_ftyp(box: bytes) -> None:
    assert sniff_mime(b"\x00\x00\x00\x08" + box) == "video/quicktime"
    assert sniff_mime(b"\x00\x00\x00" + box) is None


def test_a_frame_header_with_a_corrupt_length_gives_no_size() -> None:
    corrupt = bytes([0xFF, 0xC0]) + struct.pack(">HBHH", 1, 8, 7, 9)
    assert image_size(SOI + corrupt) is None


@pytest.mark.parametrize(
    "data",
    [SOI, SOI + b"\xff", SOI + b"\xff\xe0", SOI + b"\xff\xe0\x00", SOI + segment(0xE0, 2)],
)
def test_a_jpeg_cut_short_gives_no_size_without_raising(data: bytes) -> None:
    assert image_size(data) is None


def test_a_riff_file_of_another_kind_is_unknown_whatever_its_size_bytes_say() -> None:
    assert sniff_mime(b"RIFF" + b"free" + b"XXXX") is None
    assert sniff_mime(b"RIFF" + b"moov" + b"AVI ") == "video/x-msvideo"


def test_a_sixteen_byte_ftyp_box_has_no_compatible_brands() -> None:
    data = ftyp(b"isom") + b"mif1avif" + b"\x00" * 8
    assert sniff_mime(data) == "video/mp4"


def test_one_pixel_is_a_size() -> None:
    assert image_size(b"GIF89a" + struct.pack("<HH", 1, 1)) == (1, 1)
    assert image_size(SOI + sof(1, 1)) == (1, 1)


def test_quicktime_box_names_are_read_at_bytes_4_to_8_of_a_longer_file() -> None:
    assert sniff_mime(b"\x00\x00\x10\x00mdat" + b"\x00" * 64) == "video/quicktime"


def test_a_start_of_image_marker_inside_is_a_segment_not_a_standalone_marker() -> None:
    assert image_size(SOI + segment(0xD8, 2) + sof(9, 7)) == (9, 7)
