"""The offline "provider call": turn a validated plan into media bytes.

Deterministic: output ``i`` of a job uses ``seed + i``, so a single output with seed ``s``
is the same bytes as any other single-output job with the same prompt, seed and size.
Edits keep the input's size (center-cropped when a ratio other than ``auto`` is asked
for, with the mask cropped the same way) and change pixels only inside the mask.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from image_skill.local.media import images as media
from image_skill.local.media.geometry import crop_box
from image_skill.local.registry.data import SEED_MAX
from image_skill.local.settings import LocalSettings

if TYPE_CHECKING:
    from image_skill.local.jobs.validation import Plan

VIDEO_FPS = 12


@dataclass(frozen=True)
class Output:
    data: bytes
    mime_type: str
    width: int | None
    height: int | None
    duration_seconds: float | None


def _crop(source: bytes, mask: bytes | None, ratio: str | None) -> tuple[bytes, bytes | None]:
    if not ratio or ratio == "auto":
        return source, mask
    from PIL import Image

    with Image.open(io.BytesIO(source)) as image:
        image.load()
        box = crop_box(image.width, image.height, ratio)
        if box == (0, 0, image.width, image.height):
            return source, mask
        size = image.size
        cropped = media.encode_image(image.crop(box), "png")
    if mask is not None:
        with Image.open(io.BytesIO(mask)) as mask_image:
            mask_image.load()
            scaled = mask_image.resize(size, Image.Resampling.NEAREST)
            mask = media.encode_image(scaled.crop(box), "png")
    return cropped, mask


def _seed(base: int, index: int) -> int:
    return (base + index) % (SEED_MAX + 1)


def _edit_material(plan: Plan) -> str:
    """What drives an edit's look: the prompt plus the reference images' digests."""
    parts = [plan.prompt or ""]
    parts += [str(asset["sha256"]) for asset in plan.reference_assets]
    return "\x00".join(parts)


def _described(data: bytes, fallback_mime: str) -> Output:
    info: dict[str, Any] = media.probe(data)
    return Output(
        data=data,
        mime_type=info.get("mime_type") or fallback_mime,
        width=info.get("width"),
        height=info.get("height"),
        duration_seconds=info.get("duration_seconds"),
    )


def produce(plan: Plan, settings: LocalSettings) -> list[Output]:
    """Render every output of ``plan`` (reads input/mask assets from owned storage)."""
    from image_skill.local.store.assets import read_asset_bytes

    row = plan.row
    modality = row["modality"]
    prompt = plan.prompt or ""
    params = plan.params.accepted
    outputs: list[Output] = []
    source = read_asset_bytes(settings, plan.input_asset) if plan.input_asset else None
    mask = read_asset_bytes(settings, plan.mask_asset) if plan.mask_asset else None
    for index in range(plan.output_count):
        seed = _seed(plan.seed, index)
        if modality == "3d":
            data = media.render_glb(source, prompt, seed=seed)
            outputs.append(_described(data, "model/gltf-binary"))
        elif modality == "audio":
            seconds = float(params.get("duration_seconds", 3))
            outputs.append(
                _described(
                    media.render_wav(prompt, seed=seed, duration_seconds=seconds), "audio/wav"
                )
            )
        elif modality == "video":
            seconds = int(params.get("duration_seconds", 2))
            width, height = plan.output["expected_width"], plan.output["expected_height"]
            data, mime = media.render_video(
                prompt,
                seed=seed,
                width=int(width or 640),
                height=int(height or 640),
                frames=max(1, seconds * VIDEO_FPS),
                fps=VIDEO_FPS,
            )
            outputs.append(_described(data, mime))
        elif source is not None:
            image, region = _crop(source, mask, plan.aspect_ratio)
            data = media.edit_image(image, _edit_material(plan), seed=seed, mask=region)
            outputs.append(_described(data, "image/png"))
        else:
            width, height = plan.output["expected_width"], plan.output["expected_height"]
            if not width or not height:
                width, height = media.dimensions_for(plan.aspect_ratio or "1:1")
            data = media.render_image(prompt, seed=seed, width=int(width), height=int(height))
            outputs.append(_described(data, "image/png"))
    return outputs
