"""The procedural art's fast paths draw what the plain way draws: the gradient looked up
through a 256-colour palette (linear ramps resized as one column or row) equals blending
the two colours through the full-size ramp, and shapes land where the scene puts them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PIL import Image

from image_skill.local.media.art import Scene, Shape, _background, make_scene, paint


def _plain_background(scene: Scene, width: int, height: int) -> Image.Image:
    """The straightforward gradient: resize the whole ramp, blend two full-size images."""
    if scene.gradient == "radial":
        ramp = Image.radial_gradient("L")
    else:
        ramp = Image.linear_gradient("L")
        if scene.gradient == "horizontal":
            ramp = ramp.transpose(Image.Transpose.ROTATE_90)
    ramp = ramp.resize((width, height), Image.Resampling.BILINEAR)
    top = Image.new("RGB", (width, height), scene.top)
    bottom = Image.new("RGB", (width, height), scene.bottom)
    return Image.composite(bottom, top, ramp)


@pytest.mark.parametrize("gradient", ["vertical", "horizontal", "radial"])
@pytest.mark.parametrize("size", [(1024, 1024), (1024, 576), (576, 1024), (7, 3), (1, 1)])
@pytest.mark.parametrize("prompt", ["a lighthouse at dusk", "red fox", "navy and gold"])
def test_gradient_is_pixel_for_pixel_the_plain_blend(
    gradient: str, size: tuple[int, int], prompt: str
) -> None:
    scene = replace(make_scene(prompt, 5), gradient=gradient)
    fast = _background(scene, *size)
    assert fast.mode == "RGB" and fast.size == size
    assert fast.tobytes() == _plain_background(scene, *size).tobytes()


def _shape(kind: str, cx: float, cy: float, colour: tuple[int, int, int]) -> Shape:
    return Shape(kind, cx, cy, 0.1, colour, 255, 0.0, 0.0, 0.0, 0.0)


def test_shapes_are_drawn_at_their_place_with_their_alpha_and_clipped_at_the_edges() -> None:
    red, green = (250, 10, 10), (10, 250, 10)
    scene = Scene(
        top=(0, 0, 0),
        bottom=(0, 0, 0),
        gradient="vertical",
        shapes=(
            _shape("ellipse", 0.25, 0.25, red),
            replace(_shape("rect", 0.75, 0.75, green), alpha=128),
            _shape("ellipse", 0.0, 0.0, red),  # three quarters outside the image
            _shape("ring", 0.75, 0.25, green),
        ),
    )
    image = paint(scene, 200, 100)
    assert image.mode == "RGB" and image.size == (200, 100)
    assert image.getpixel((50, 25)) == red  # opaque ellipse centre
    g = image.getpixel((150, 75))
    assert isinstance(g, tuple) and g[0] == 5 and 120 <= g[1] <= 130  # half of green on black
    assert image.getpixel((1, 1)) == red  # the clipped one still drew its visible quarter
    assert image.getpixel((150, 25)) == (0, 0, 0)  # a ring's centre stays empty
    assert image.getpixel((100, 50)) == (0, 0, 0)  # nothing where no shape is
    # Later shapes blend over earlier ones: a half-transparent shape over an opaque one.
    over = replace(scene, shapes=(scene.shapes[0], replace(scene.shapes[1], cx=0.25, cy=0.25)))
    mixed = paint(over, 200, 100).getpixel((50, 25))
    assert isinstance(mixed, tuple) and 120 <= mixed[0] <= 130 and 120 <= mixed[1] <= 130
