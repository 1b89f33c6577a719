"""Container structure of local media: GLB (binary glTF 2.0) and MP4 (Motion-JPEG).

Both are checked with strict, independent parsers written here from the specs, so a wrong
length, offset or count fails the test rather than being tolerated by a lenient reader.
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import pytest
from PIL import Image

from image_skill.files.sniff import sniff_mime
from image_skill.local.media.images import probe, render_glb, render_image, render_video

# --- GLB --------------------------------------------------------------------------------------

_COMPONENT_SIZE = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_STRUCT_CODE = {5121: "B", 5123: "H", 5125: "I", 5126: "f"}


def parse_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Strict GLB reader: returns (json document, BIN chunk); asserts on any violation."""
    assert len(data) >= 28 and len(data) % 4 == 0
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_len, json_type = struct.unpack("<II", data[12:20])
    assert json_type == 0x4E4F534A and json_len % 4 == 0
    raw_json = data[20 : 20 + json_len]
    assert raw_json.rstrip(b" ") == raw_json.rstrip()  # padded with spaces only
    document = json.loads(raw_json)
    pos = 20 + json_len
    bin_len, bin_type = struct.unpack("<II", data[pos : pos + 8])
    assert bin_type == 0x004E4942 and bin_len % 4 == 0
    binary = data[pos + 8 : pos + 8 + bin_len]
    assert pos + 8 + bin_len == len(data), "trailing bytes after the BIN chunk"

    assert document["asset"]["version"] == "2.0"
    assert len(document["buffers"]) == 1 and "uri" not in document["buffers"][0]
    assert (
        document["buffers"][0]["byteLength"] <= bin_len < document["buffers"][0]["byteLength"] + 4
    )
    for view in document["bufferViews"]:
        assert view["buffer"] == 0 and view.get("byteOffset", 0) % 4 == 0
        assert (
            view.get("byteOffset", 0) + view["byteLength"] <= document["buffers"][0]["byteLength"]
        )
    for accessor in document["accessors"]:
        view = document["bufferViews"][accessor["bufferView"]]
        need = (
            accessor["count"]
            * _COMPONENT_SIZE[accessor["componentType"]]
            * _TYPE_WIDTH[accessor["type"]]
        )
        assert accessor.get("byteOffset", 0) + need <= view["byteLength"]
        assert view["byteLength"] == need  # tightly packed, one accessor per view here
    scene = document["scenes"][document.get("scene", 0)]
    for node_index in scene["nodes"]:
        mesh = document["meshes"][document["nodes"][node_index]["mesh"]]
        for primitive in mesh["primitives"]:
            position = document["accessors"][primitive["attributes"]["POSITION"]]
            assert position["type"] == "VEC3" and position["componentType"] == 5126
            assert "min" in position and "max" in position
    return document, binary


def read_accessor(document: dict[str, Any], binary: bytes, index: int) -> list[tuple[Any, ...]]:
    accessor = document["accessors"][index]
    view = document["bufferViews"][accessor["bufferView"]]
    width = _TYPE_WIDTH[accessor["type"]]
    fmt = "<" + _STRUCT_CODE[accessor["componentType"]] * width
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    step = struct.calcsize(fmt)
    return [
        struct.unpack(fmt, binary[start + i * step : start + (i + 1) * step])
        for i in range(accessor["count"])
    ]


def test_glb_is_a_valid_height_field_mesh() -> None:
    source = render_image("a volcano", seed=2, width=120, height=80)
    data = render_glb(source, "a volcano", seed=2)
    assert sniff_mime(data) == "model/gltf-binary"
    document, binary = parse_glb(data)
    primitive = document["meshes"][0]["primitives"][0]
    positions = read_accessor(document, binary, primitive["attributes"]["POSITION"])
    normals = read_accessor(document, binary, primitive["attributes"]["NORMAL"])
    colours = read_accessor(document, binary, primitive["attributes"]["COLOR_0"])
    indices = [i for (i,) in read_accessor(document, binary, primitive["indices"])]
    assert len(positions) == len(normals) == len(colours) > 100
    assert len(indices) % 3 == 0 and max(indices) < len(positions)
    accessor = document["accessors"][primitive["attributes"]["POSITION"]]
    for axis in range(3):
        assert accessor["min"][axis] == min(p[axis] for p in positions)
        assert accessor["max"][axis] == max(p[axis] for p in positions)
    # The footprint follows the 3:2 source, and the relief is not flat.
    width = accessor["max"][0] - accessor["min"][0]
    depth = accessor["max"][2] - accessor["min"][2]
    assert width / depth == pytest.approx(1.5, rel=0.01)
    assert accessor["max"][1] > accessor["min"][1]
    for n in normals:
        assert sum(c * c for c in n) == pytest.approx(1.0, abs=1e-5) and n[1] > 0
    assert all(0.0 <= c <= 1.0 for colour in colours for c in colour)
    info = probe(data)
    assert info["mime_type"] == "model/gltf-binary" and info["vertex_count"] == len(positions)


def test_glb_is_deterministic_and_follows_its_inputs() -> None:
    source = render_image("a volcano", seed=2, width=64, height=64)
    other = render_image("a glacier", seed=2, width=64, height=64)
    base = render_glb(source, "", seed=1)
    assert render_glb(source, "", seed=1) == base
    assert render_glb(other, "", seed=1) != base
    assert render_glb(source, "", seed=2) != base
    promptless = render_glb(None, "a teapot", seed=3)
    parse_glb(promptless)
    assert promptless != render_glb(None, "a kettle", seed=3)


def test_glb_rejects_an_undecodable_source() -> None:
    with pytest.raises(ValueError):
        render_glb(b"not an image", "x", seed=1)


def test_glb_loads_in_pygltflib() -> None:
    pygltflib = pytest.importorskip("pygltflib")
    data = render_glb(render_image("a tree", seed=1, width=48, height=48), "a tree", seed=1)
    gltf = pygltflib.GLTF2.load_from_bytes(data)
    assert gltf.asset.version == "2.0"
    assert len(gltf.meshes) == 1 and gltf.accessors[0].count == probe(data)["vertex_count"]
    assert len(gltf.binary_blob()) == gltf.buffers[0].byteLength


# --- MP4 --------------------------------------------------------------------------------------

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"dinf", b"stbl"}


def parse_boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, box end) for boxes that must tile [start, end) exactly."""
    boxes = []
    pos = start
    while pos < end:
        assert pos + 8 <= end, "truncated box header"
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        assert size >= 8 and pos + size <= end, f"bad size for {kind!r}"
        boxes.append((kind, pos + 8, pos + size))
        pos += size
    assert pos == end, "child boxes do not add up to the parent size"
    return boxes


def box_tree(data: bytes, start: int = 0, end: int | None = None) -> dict[bytes, Any]:
    tree: dict[bytes, Any] = {}
    for kind, payload, box_end in parse_boxes(data, start, len(data) if end is None else end):
        assert kind not in tree, f"duplicate {kind!r}"
        tree[kind] = box_tree(data, payload, box_end) if kind in _CONTAINERS else (payload, box_end)
    return tree


def test_video_is_a_well_formed_mp4_of_jpeg_frames() -> None:
    width, height, frames, fps = 160, 90, 10, 5
    data, mime = render_video(
        "waves on a beach", seed=3, width=width, height=height, frames=frames, fps=fps
    )
    assert mime == "video/mp4" and sniff_mime(data) == "video/mp4"
    top = box_tree(data)
    assert list(top) == [b"ftyp", b"moov", b"mdat"]
    ftyp_start, ftyp_end = top[b"ftyp"]
    assert data[ftyp_start : ftyp_start + 4] == b"isom"
    moov = top[b"moov"]
    assert set(moov) == {b"mvhd", b"trak"}
    trak = moov[b"trak"]
    assert set(trak) == {b"tkhd", b"mdia"}
    mdia = trak[b"mdia"]
    assert set(mdia) == {b"mdhd", b"hdlr", b"minf"}
    hdlr = mdia[b"hdlr"][0]
    assert data[hdlr + 8 : hdlr + 12] == b"vide"
    minf = mdia[b"minf"]
    assert set(minf) == {b"vmhd", b"dinf", b"stbl"}
    assert set(minf[b"dinf"]) == {b"dref"}
    stbl = minf[b"stbl"]
    assert set(stbl) == {b"stsd", b"stts", b"stsc", b"stsz", b"stco"}

    # Sample description: one 'jpeg' visual entry with the frame size.
    stsd = stbl[b"stsd"][0]
    assert struct.unpack(">II", data[stsd : stsd + 8]) == (0, 1)
    entry_size, entry_type = struct.unpack(">I4s", data[stsd + 8 : stsd + 16])
    assert entry_type == b"jpeg" and stsd + 8 + entry_size == stbl[b"stsd"][1]
    assert struct.unpack(">HH", data[stsd + 8 + 32 : stsd + 8 + 36]) == (width, height)

    # Timing: mvhd/mdhd durations agree with frames / fps.
    mvhd = moov[b"mvhd"][0]
    timescale, duration = struct.unpack(">II", data[mvhd + 12 : mvhd + 20])
    assert duration / timescale == pytest.approx(frames / fps)
    mdhd = mdia[b"mdhd"][0]
    m_scale, m_duration = struct.unpack(">II", data[mdhd + 12 : mdhd + 20])
    stts = stbl[b"stts"][0]
    _flags, entries, count, delta = struct.unpack(">IIII", data[stts : stts + 16])
    assert (entries, count) == (1, frames) and count * delta == m_duration
    assert m_scale / delta == pytest.approx(fps)

    # Sample table: one chunk holding every sample, offsets inside mdat.
    stsz = stbl[b"stsz"][0]
    _flags, uniform, sample_count = struct.unpack(">III", data[stsz : stsz + 12])
    assert uniform == 0 and sample_count == frames
    sizes = struct.unpack(f">{frames}I", data[stsz + 12 : stsz + 12 + 4 * frames])
    stsc = stbl[b"stsc"][0]
    assert struct.unpack(">IIIII", data[stsc : stsc + 20]) == (0, 1, 1, frames, 1)
    stco = stbl[b"stco"][0]
    _flags, chunks, offset = struct.unpack(">III", data[stco : stco + 12])
    mdat_start, mdat_end = top[b"mdat"]
    assert chunks == 1 and offset == mdat_start and offset + sum(sizes) == mdat_end

    decoded = []
    for size in sizes:
        frame = data[offset : offset + size]
        offset += size
        assert sniff_mime(frame) == "image/jpeg"
        image = Image.open(io.BytesIO(frame))
        image.load()
        assert image.format == "JPEG" and image.size == (width, height)
        decoded.append(image.tobytes())
    assert len(set(decoded)) == frames, "frames should animate"

    info = probe(data)
    assert (info["width"], info["height"]) == (width, height)
    assert info["duration_seconds"] == pytest.approx(frames / fps)


def test_video_is_deterministic_and_follows_prompt_and_seed() -> None:
    def render(prompt: str, seed: int) -> bytes:
        return render_video(prompt, seed=seed, width=64, height=36, frames=4, fps=4)[0]

    base = render("a comet", 1)
    assert render("a comet", 1) == base
    assert render("a comet", 2) != base
    assert render("a meteor", 1) != base


def test_video_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        render_video("x", seed=1, width=64, height=36, frames=0)
    with pytest.raises(ValueError):
        render_video("x", seed=1, width=64, height=36, fps=0)
    with pytest.raises(ValueError):
        render_video("x", seed=1, width=0, height=36)


def test_video_decodes_with_ffmpeg_through_pyav() -> None:
    av = pytest.importorskip("av")
    data, _mime = render_video("a kite", seed=5, width=96, height=64, frames=6, fps=6)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "mjpeg"
        frames = [frame for frame in container.decode(video=0)]
    assert len(frames) == 6 and (frames[0].width, frames[0].height) == (96, 64)
