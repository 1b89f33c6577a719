"""Size arithmetic for images, shared by request validation and rendering (no Pillow here)."""

from __future__ import annotations


def crop_box(width: int, height: int, aspect_ratio: str | None) -> tuple[int, int, int, int]:
    """The centered box of ``width``x``height`` with ``aspect_ratio`` (whole when ``auto``)."""
    if not aspect_ratio or aspect_ratio == "auto" or ":" not in aspect_ratio:
        return (0, 0, width, height)
    a, b = (int(part) for part in aspect_ratio.split(":", 1))
    if width * b > height * a:  # too wide: trim the sides
        w, h = max(1, round(height * a / b)), height
    else:
        w, h = width, max(1, round(width * b / a))
    left, top = (width - w) // 2, (height - h) // 2
    return (left, top, left + w, top + h)
