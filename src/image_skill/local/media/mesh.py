"""Binary glTF 2.0 (GLB) meshes for the local image-to-3D model.

The mesh is a coloured height field: the source image is scaled down to a small grid, each
grid point becomes a vertex whose height follows the pixel's luminance (plus a gentle ripple
derived from prompt and seed) and whose vertex colour is the pixel colour. Without a source
image, the procedural art for the prompt is used as the source.

Layout: 12-byte header (``glTF``, version 2, total length), a JSON chunk padded with spaces
and a BIN chunk padded with zeros, both 4-byte aligned. The buffer holds float32 POSITION,
NORMAL and COLOR_0 (RGB) arrays and uint16 indices; POSITION carries min/max as the spec
requires.
"""

from __future__ import annotations

import io
import json
import math
import struct
from typing import Any

from PIL import Image

from image_skill.local.media.art import Stream, make_scene, paint

__all__ = ["GLB_MAGIC", "glb_info", "render_glb"]

GLB_MAGIC = b"glTF"
_JSON_CHUNK = 0x4E4F534A
_BIN_CHUNK = 0x004E4942
_FLOAT = 5126
_UNSIGNED_SHORT = 5123
_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_GRID = 24  # vertices per side; 576 vertices, 1058 triangles


def _f32(value: float) -> float:
    """Round to the nearest float32 so JSON min/max equal the stored values exactly."""
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result


def _source_pixels(source_image: bytes | None, prompt: str, seed: int) -> Image.Image:
    if source_image is None:
        return paint(make_scene(prompt, seed, salt="mesh"), 64, 64)
    try:
        image = Image.open(io.BytesIO(source_image))
        image.load()
    except Exception as exc:  # Pillow raises many types for bad input
        raise ValueError(f"source image is not decodable: {exc}") from None
    return image.convert("RGB")


def render_glb(source_image: bytes | None, prompt: str, *, seed: int) -> bytes:
    """Build a GLB height-field mesh coloured by ``source_image`` (or by procedural art)."""
    picture = _source_pixels(source_image, prompt, seed)
    width, height = picture.size
    aspect = width / height if height else 1.0
    span_x, span_z = (1.0, 1.0 / aspect) if aspect >= 1 else (aspect, 1.0)
    grid = picture.resize((_GRID, _GRID), Image.Resampling.BILINEAR)
    raw = grid.tobytes()  # RGB triples, row-major
    colours = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
    rng = Stream("image-skill-local-mesh", seed, prompt)
    relief = rng.between(0.12, 0.3)
    ripple = rng.between(0.0, 0.04)
    waves = rng.between(1.0, 4.0)
    phase = rng.between(0.0, 2 * math.pi)

    heights: list[float] = []
    positions: list[tuple[float, float, float]] = []
    for row in range(_GRID):
        for col in range(_GRID):
            r, g, b = colours[row * _GRID + col]
            lum = (0.299 * r + 0.587 * g + 0.114 * b) / 255.0
            u, v = col / (_GRID - 1), row / (_GRID - 1)
            y = relief * lum + ripple * math.sin(2 * math.pi * waves * (u + v) + phase)
            heights.append(y)
            positions.append((_f32((u - 0.5) * span_x), _f32(y), _f32((v - 0.5) * span_z)))

    normals: list[tuple[float, float, float]] = []
    dx, dz = span_x / (_GRID - 1), span_z / (_GRID - 1)
    for row in range(_GRID):
        for col in range(_GRID):
            left = heights[row * _GRID + max(col - 1, 0)]
            right = heights[row * _GRID + min(col + 1, _GRID - 1)]
            up = heights[max(row - 1, 0) * _GRID + col]
            down = heights[min(row + 1, _GRID - 1) * _GRID + col]
            nx, ny, nz = -(right - left) / (2 * dx), 1.0, -(down - up) / (2 * dz)
            norm = math.sqrt(nx * nx + ny * ny + nz * nz)
            normals.append((nx / norm, ny / norm, nz / norm))

    indices: list[int] = []
    for row in range(_GRID - 1):
        for col in range(_GRID - 1):
            a = row * _GRID + col
            b, c, d = a + 1, a + _GRID, a + _GRID + 1
            # Counter-clockwise seen from +Y, so the front faces point up.
            indices.extend((a, c, b, b, c, d))

    position_bytes = b"".join(struct.pack("<3f", *p) for p in positions)
    normal_bytes = b"".join(struct.pack("<3f", *n) for n in normals)
    colour_bytes = b"".join(struct.pack("<3f", r / 255, g / 255, b / 255) for r, g, b in colours)
    index_bytes = struct.pack(f"<{len(indices)}H", *indices)
    blobs = [position_bytes, normal_bytes, colour_bytes, index_bytes]
    views: list[dict[str, Any]] = []
    offset = 0
    for i, blob in enumerate(blobs):
        views.append(
            {
                "buffer": 0,
                "byteOffset": offset,
                "byteLength": len(blob),
                "target": _ELEMENT_ARRAY_BUFFER if i == 3 else _ARRAY_BUFFER,
            }
        )
        offset += len(blob) + (-len(blob) % 4)
    binary = b"".join(blob + b"\x00" * (-len(blob) % 4) for blob in blobs)
    count = len(positions)
    mins = [min(p[k] for p in positions) for k in range(3)]
    maxs = [max(p[k] for p in positions) for k in range(3)]
    document: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "image-skill local backend"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "height_field"}],
        "meshes": [
            {
                "name": "height_field",
                "primitives": [
                    {
                        "attributes": {"POSITION": 0, "NORMAL": 1, "COLOR_0": 2},
                        "indices": 3,
                        "material": 0,
                        "mode": 4,
                    }
                ],
            }
        ],
        "materials": [
            {
                "name": "vertex_colour",
                "pbrMetallicRoughness": {"metallicFactor": 0.0, "roughnessFactor": 0.8},
                "doubleSided": True,
            }
        ],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": views,
        "accessors": [
            {
                "bufferView": 0,
                "componentType": _FLOAT,
                "count": count,
                "type": "VEC3",
                "min": mins,
                "max": maxs,
            },
            {"bufferView": 1, "componentType": _FLOAT, "count": count, "type": "VEC3"},
            {"bufferView": 2, "componentType": _FLOAT, "count": count, "type": "VEC3"},
            {
                "bufferView": 3,
                "componentType": _UNSIGNED_SHORT,
                "count": len(indices),
                "type": "SCALAR",
            },
        ],
    }
    json_bytes = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    json_bytes += b" " * (-len(json_bytes) % 4)
    total = 12 + 8 + len(json_bytes) + 8 + len(binary)
    return b"".join(
        [
            struct.pack("<4sII", GLB_MAGIC, 2, total),
            struct.pack("<II", len(json_bytes), _JSON_CHUNK),
            json_bytes,
            struct.pack("<II", len(binary), _BIN_CHUNK),
            binary,
        ]
    )


def glb_info(data: bytes) -> dict[str, Any]:
    """Facts about a GLB file: glTF version, mesh count and vertex count of its first mesh."""
    magic, version, length = struct.unpack("<4sII", data[:12])
    if magic != GLB_MAGIC or length != len(data):
        raise ValueError("not a complete GLB file")
    chunk_length, chunk_type = struct.unpack("<II", data[12:20])
    if chunk_type != _JSON_CHUNK:
        raise ValueError("GLB does not start with a JSON chunk")
    document = json.loads(data[20 : 20 + chunk_length])
    meshes = document.get("meshes", [])
    vertices = None
    if meshes:
        attributes = meshes[0]["primitives"][0]["attributes"]
        vertices = document["accessors"][attributes["POSITION"]]["count"]
    return {"gltf_version": version, "mesh_count": len(meshes), "vertex_count": vertices}
