"""Real media for the offline local backend: images, edits, and a probe for stored files.

The local backend is an honest test double, so its outputs are genuine files that open in
ordinary tools, and their content is a pure function of the inputs (prompt, seed, source
bytes, mask): same inputs give the same bytes. No clocks, no metadata chunks, fixed encoder
settings. Audio, 3D and video live in :mod:`.audio`, :mod:`.mesh` and :mod:`.video` and are
re-exported here so callers need one import.

Determinism holds for a given Pillow/libjpeg/libwebp/zlib build; different builds may encode
the same pixels to different bytes, which is why tests compare files produced in one process.
"""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

from PIL import Image, ImageChops, ImageOps

from image_skill.files.sniff import image_size, sniff_mime
from image_skill.local.media.art import Stream, make_scene, paint
from image_skill.local.media.audio import render_wav, wav_info
from image_skill.local.media.mesh import glb_info, render_glb
from image_skill.local.media.png import COLOUR_TYPE, LEVEL, encode_png
from image_skill.local.media.video import mp4_info, render_video

__all__ = [
    "IMAGE_FORMATS",
    "dimensions_for",
    "edit_image",
    "encode_image",
    "probe",
    "render_glb",
    "render_image",
    "render_video",
    "render_wav",
]

# Output format name -> (Pillow format, MIME type).
IMAGE_FORMATS: dict[str, tuple[str, str]] = {
    "png": ("PNG", "image/png"),
    "jpeg": ("JPEG", "image/jpeg"),
    "jpg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
}

MAX_ASPECT = 32.0
MAX_EDGE = 8192


def _parse_ratio(aspect_ratio: str) -> Fraction:
    text = aspect_ratio.strip()
    parts = text.split(":")
    if len(parts) != 2:
        raise ValueError(f"aspect ratio must look like W:H or 'auto', got {aspect_ratio!r}")
    try:
        w = Fraction(parts[0].strip())
        h = Fraction(parts[1].strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"aspect ratio must use positive numbers, got {aspect_ratio!r}") from None
    if w <= 0 or h <= 0:
        raise ValueError(f"aspect ratio must use positive numbers, got {aspect_ratio!r}")
    ratio = w / h
    if ratio > MAX_ASPECT or ratio < 1 / Fraction(MAX_ASPECT):
        raise ValueError(f"aspect ratio {aspect_ratio!r} is more extreme than 1:{MAX_ASPECT:g}")
    return ratio


def dimensions_for(
    aspect_ratio: str, *, long_edge: int = 1024, multiple: int = 2
) -> tuple[int, int]:
    """Return ``(width, height)`` whose ratio matches ``aspect_ratio`` (``"W:H"`` or ``"auto"``).

    The long edge is ``long_edge``; the short edge is rounded to the nearest multiple of
    ``multiple`` (even by default, which video encoders like). ``"auto"`` means square here;
    callers that keep a source image's shape should use the source size instead.
    """
    if not isinstance(long_edge, int) or not 8 <= long_edge <= MAX_EDGE:
        raise ValueError(f"long_edge must be an integer in [8, {MAX_EDGE}]")
    if not isinstance(multiple, int) or not 1 <= multiple <= long_edge:
        raise ValueError("multiple must be a positive integer no larger than long_edge")
    if long_edge % multiple:
        long_edge -= long_edge % multiple
    if aspect_ratio.strip().lower() == "auto":
        return (long_edge, long_edge)
    ratio = _parse_ratio(aspect_ratio)
    if ratio >= 1:
        short = round(long_edge / ratio / multiple) * multiple
        return (long_edge, max(multiple, short))
    short = round(long_edge * ratio / multiple) * multiple
    return (max(multiple, short), long_edge)


def _format(fmt: str) -> tuple[str, str]:
    try:
        return IMAGE_FORMATS[fmt.lower()]
    except KeyError:
        raise ValueError(f"unsupported image format {fmt!r}; use png, jpeg or webp") from None


def encode_image(image: Image.Image, fmt: str = "png", *, lossless: bool = False) -> bytes:
    """Encode with fixed settings and no metadata, so equal pixels give equal bytes.

    ``lossless`` only matters for WebP (PNG is always lossless, JPEG never is).
    """
    pil_format, _mime = _format(fmt)
    buffer = io.BytesIO()
    if pil_format == "PNG":
        if image.mode in COLOUR_TYPE:
            return encode_png(image)  # same pixels, about half Pillow's time
        image.save(buffer, format="PNG", optimize=False, compress_level=LEVEL)
    elif pil_format == "JPEG":
        rgb = image.convert("RGB") if image.mode != "RGB" else image
        rgb.save(
            buffer, format="JPEG", quality=88, optimize=False, progressive=False, subsampling=2
        )
    elif lossless:
        image.save(buffer, format="WEBP", lossless=True, quality=100, method=4, exact=True)
    else:
        image.save(buffer, format="WEBP", quality=85, method=4)
    return buffer.getvalue()


def render_image(prompt: str, *, seed: int, width: int, height: int, fmt: str = "png") -> bytes:
    """Procedural art (gradient and shapes) derived from ``prompt`` and ``seed``."""
    _format(fmt)
    if not 1 <= width <= MAX_EDGE or not 1 <= height <= MAX_EDGE:
        raise ValueError(f"width and height must be in [1, {MAX_EDGE}]")
    return encode_image(paint(make_scene(prompt, seed), width, height), fmt)


def _decode(data: bytes, what: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:  # Pillow raises many types for bad input
        raise ValueError(f"{what} is not a decodable image: {exc}") from None
    return ImageOps.exif_transpose(image) or image


def _mask_region(mask: bytes, size: tuple[int, int]) -> Image.Image:
    """An ``L`` image at ``size``: 255 where editing is allowed, 0 elsewhere.

    A mask with a real alpha channel (not fully opaque) is read by alpha; otherwise by
    luminance. In both cases a value above 127 marks an editable pixel.
    """
    image = _decode(mask, "mask")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    channel: Image.Image | None = None
    if image.mode in ("RGBA", "LA", "PA"):
        alpha = image.getchannel("A")
        if alpha.getextrema() != (255, 255):
            channel = alpha
    if channel is None:
        channel = image.convert("L")
    if channel.size != size:
        channel = channel.resize(size, Image.Resampling.NEAREST)
    return channel.point(lambda v: 255 if v > 127 else 0)


def _edited_pixels(source: Image.Image, prompt: str, seed: int) -> Image.Image:
    """The fully edited version of ``source`` (same mode and size)."""
    rng = Stream("image-skill-local-edit", seed, prompt)
    overlay = paint(make_scene(prompt, seed, salt="edit"), *source.size)
    strength = rng.between(0.45, 0.7)
    base = source.convert("RGB")
    if rng.unit() < 0.5:
        base = ImageOps.posterize(base, 3)
    else:
        base = ImageOps.solarize(base, threshold=rng.integer(96, 192))
    edited = Image.blend(base, overlay, strength)
    # Guarantee that every pixel differs from the source: where the blend happened to land
    # on the original colour, use the inverse colour instead.
    unchanged = ImageChops.difference(edited, source.convert("RGB")).convert("L")
    unchanged = unchanged.point(lambda v: 255 if v == 0 else 0)
    edited.paste(ImageOps.invert(source.convert("RGB")), (0, 0), unchanged)
    if source.mode == "RGBA":
        edited.putalpha(source.getchannel("A"))
    return edited


def edit_image(
    source: bytes, prompt: str, *, seed: int, mask: bytes | None = None, fmt: str = "png"
) -> bytes:
    """Apply a prompt- and seed-derived edit to ``source``, only inside ``mask`` if given.

    Pixels outside the mask keep their decoded source values exactly (compared in 8-bit RGB,
    or RGBA when the source has alpha) as long as ``fmt`` is lossless: PNG, or WebP, which is
    written losslessly for edits. JPEG output re-encodes the whole image, so it only keeps
    those pixels approximately. The mask is scaled to the source size (nearest neighbour).
    """
    _format(fmt)
    image = _decode(source, "source image")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    keep_alpha = has_alpha and fmt.lower() in ("png", "webp")
    image = image.convert("RGBA" if keep_alpha else "RGB")
    edited = _edited_pixels(image, prompt, seed)
    if mask is not None:
        result = image.copy()
        result.paste(edited, (0, 0), _mask_region(mask, image.size))
    else:
        result = edited
    return encode_image(result, fmt, lossless=True)


def probe(data: bytes) -> dict[str, Any]:
    """Describe media for asset metadata: MIME, size in bytes, dimensions, duration.

    Unknown values are ``None``. Never raises on malformed input.
    """
    mime = sniff_mime(data)
    info: dict[str, Any] = {
        "mime_type": mime,
        "content_length": len(data),
        "width": None,
        "height": None,
        "duration_seconds": None,
    }
    try:
        if mime is not None and mime.startswith("image/"):
            size = image_size(data)
            if size is None:
                with Image.open(io.BytesIO(data)) as image:
                    size = image.size
            info["width"], info["height"] = size
        elif mime == "audio/wav":
            info.update(wav_info(data))
        elif mime in ("video/mp4", "video/quicktime"):
            info.update(mp4_info(data))
        elif mime == "model/gltf-binary":
            info.update(glb_info(data))
    except Exception:  # a probe reports what it can; corrupt media just yields fewer facts
        pass
    return info
