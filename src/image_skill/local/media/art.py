"""Deterministic procedural art shared by the local media generators.

Everything is derived from a keyed hash of the inputs (never from the clock, the process or a
global random state), so the same inputs always give the same pixels on any machine with the
same Pillow build. A :class:`Scene` is a description (background and shapes); :func:`paint`
draws it at a phase ``t`` in ``[0, 1)``, which still images use at ``t = 0`` and video frames
sweep through.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]

# Colour words that steer the palette so that prompts are visibly reflected in the output.
_COLOUR_WORDS: dict[str, RGB] = {
    "red": (220, 40, 40),
    "orange": (240, 140, 30),
    "yellow": (240, 220, 40),
    "gold": (212, 175, 55),
    "green": (40, 180, 70),
    "teal": (0, 128, 128),
    "cyan": (40, 210, 230),
    "blue": (40, 80, 220),
    "navy": (20, 30, 110),
    "purple": (130, 50, 190),
    "violet": (150, 80, 220),
    "pink": (240, 120, 180),
    "magenta": (220, 40, 200),
    "brown": (130, 80, 40),
    "black": (15, 15, 15),
    "white": (245, 245, 245),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
}


class Stream:
    """A deterministic byte stream (SHAKE-256 of a key) with small helpers."""

    def __init__(self, *parts: object) -> None:
        key = "\x1f".join(str(p) for p in parts).encode("utf-8")
        self._pool = hashlib.shake_256(key).digest(4096)
        self._pos = 0

    def byte(self) -> int:
        if self._pos >= len(self._pool):
            self._pool = hashlib.shake_256(self._pool).digest(4096)
            self._pos = 0
        value = self._pool[self._pos]
        self._pos += 1
        return value

    def unit(self) -> float:
        """A float in ``[0, 1)`` with 24 bits of precision."""
        value = (self.byte() << 16) | (self.byte() << 8) | self.byte()
        return value / float(1 << 24)

    def between(self, low: float, high: float) -> float:
        return low + (high - low) * self.unit()

    def integer(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return low + min(int(self.unit() * (high - low + 1)), high - low)


def prompt_colours(prompt: str) -> list[RGB]:
    """Colours named in the prompt, in order of appearance (whole words only)."""
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in prompt).split()
    return [_COLOUR_WORDS[w] for w in words if w in _COLOUR_WORDS]


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (round(r * 255), round(g * 255), round(b * 255))


@dataclass(frozen=True)
class Shape:
    kind: str  # "ellipse" | "rect" | "triangle" | "ring"
    cx: float  # centre, as a fraction of the width
    cy: float  # centre, as a fraction of the height
    size: float  # radius, as a fraction of the short edge
    colour: RGB
    alpha: int
    dx: float  # drift per unit of phase, fraction of the width
    dy: float
    spin: float  # rotation in radians per unit of phase
    angle: float


@dataclass(frozen=True)
class Scene:
    top: RGB
    bottom: RGB
    gradient: str  # "vertical" | "horizontal" | "radial"
    shapes: tuple[Shape, ...]


def make_scene(prompt: str, seed: int, *, salt: str = "image") -> Scene:
    """Build a scene from the prompt and seed; the palette follows any colour words."""
    rng = Stream("image-skill-local", salt, seed, prompt)
    base_hue = rng.unit()
    palette = [_hsv(base_hue + i * 0.17 + rng.between(-0.05, 0.05), 0.65, 0.9) for i in range(5)]
    named = prompt_colours(prompt)
    for i, colour in enumerate(named[:3]):
        palette[i] = colour
    top = _hsv(base_hue + 0.5, rng.between(0.3, 0.7), rng.between(0.15, 0.45))
    bottom = _hsv(base_hue + 0.6, rng.between(0.4, 0.8), rng.between(0.55, 0.95))
    if named:
        # Tint the background towards the first named colour.
        r, g, b = named[0]
        bottom = ((bottom[0] + r) // 2, (bottom[1] + g) // 2, (bottom[2] + b) // 2)
    gradient = ("vertical", "horizontal", "radial")[rng.integer(0, 2)]
    count = 5 + len(prompt.split()) % 6 + rng.integer(0, 3)
    kinds = ("ellipse", "rect", "triangle", "ring")
    shapes = tuple(
        Shape(
            kind=kinds[rng.integer(0, 3)],
            cx=rng.unit(),
            cy=rng.unit(),
            size=rng.between(0.06, 0.3),
            colour=palette[rng.integer(0, len(palette) - 1)],
            alpha=rng.integer(150, 235),
            dx=rng.between(-0.5, 0.5),
            dy=rng.between(-0.5, 0.5),
            spin=rng.between(-math.pi, math.pi),
            angle=rng.between(0, 2 * math.pi),
        )
        for _ in range(count)
    )
    return Scene(top=top, bottom=bottom, gradient=gradient, shapes=shapes)


def _background(scene: Scene, width: int, height: int) -> Image.Image:
    """The gradient from ``scene.top`` to ``scene.bottom``.

    Each pixel's colour depends only on its ramp value, so the 256 colours are blended once
    (a palette) and the ramp is looked up through it. A linear ramp is constant across its
    rows (or columns), so it is resized as one column (or row) and then stretched, which
    gives the same pixels as resizing the whole square.
    """
    if scene.gradient == "radial":
        ramp = Image.radial_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    elif scene.gradient == "horizontal":
        ramp = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90)
        ramp = ramp.resize((width, 1), Image.Resampling.BILINEAR)
        ramp = ramp.resize((width, height), Image.Resampling.NEAREST)
    else:
        ramp = Image.linear_gradient("L").resize((1, height), Image.Resampling.BILINEAR)
        ramp = ramp.resize((width, height), Image.Resampling.NEAREST)
    levels = Image.frombytes("L", (256, 1), bytes(range(256)))
    top, bottom = Image.new("RGB", (256, 1), scene.top), Image.new("RGB", (256, 1), scene.bottom)
    ramp.putpalette(Image.composite(bottom, top, levels).tobytes())
    return ramp.convert("RGB")


def _polygon(cx: float, cy: float, radius: float, angle: float, sides: int) -> list[float]:
    points: list[float] = []
    for i in range(sides):
        theta = angle + 2 * math.pi * i / sides
        points.extend((cx + radius * math.cos(theta), cy + radius * math.sin(theta)))
    return points


def paint(scene: Scene, width: int, height: int, t: float = 0.0) -> Image.Image:
    """Draw the scene at phase ``t`` as an RGB image of the given size.

    Each shape is drawn as a coverage mask of its own bounding box (clipped to the image)
    and blended onto the background in order with its alpha, so the cost follows the
    shapes' area rather than the whole image's.
    """
    if width < 1 or height < 1:
        raise ValueError("width and height must be positive")
    canvas = _background(scene, width, height)
    short = min(width, height)
    for shape in scene.shapes:
        cx = ((shape.cx + shape.dx * t) % 1.0) * width
        cy = ((shape.cy + shape.dy * t) % 1.0) * height
        radius = max(1.0, shape.size * short)
        left, top = max(0, math.floor(cx - radius) - 1), max(0, math.floor(cy - radius) - 1)
        right = min(width, math.ceil(cx + radius) + 2)
        bottom = min(height, math.ceil(cy + radius) + 2)
        if right <= left or bottom <= top:
            continue
        mask = Image.new("L", (right - left, bottom - top), 0)
        draw = ImageDraw.Draw(mask)
        x, y = cx - left, cy - top  # the centre in mask coordinates
        angle = shape.angle + shape.spin * t
        box = (x - radius, y - radius, x + radius, y + radius)
        if shape.kind == "ellipse":
            draw.ellipse(box, fill=shape.alpha)
        elif shape.kind == "ring":
            draw.ellipse(box, outline=shape.alpha, width=max(1, round(radius / 4)))
        elif shape.kind == "rect":
            draw.polygon(_polygon(x, y, radius, angle, 4), fill=shape.alpha)
        else:
            draw.polygon(_polygon(x, y, radius, angle, 3), fill=shape.alpha)
        canvas.paste(shape.colour, (left, top, right, bottom), mask)
    return canvas
