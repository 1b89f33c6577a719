"""Upload memory: client peak RSS of ``image-skill upload`` of a 20 MB PNG.

    python benchmarks/upload_memory.py [--runs 3] [--json OUT]

The PNG is random noise stored uncompressed (Pillow, ``compress_level=0``), just under the
backend's 20 MiB upload limit, so the file really is about 20 MB of image. The upload goes
to ``local serve`` on loopback; the figure is the child's peak RSS (``wait4``) against the
target of 2.5 × the file size. ``assets show`` of the uploaded asset (same start-up, no
file) is measured too: it is the floor the interpreter and the CLI's imports set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from _bench import Figure, cli, emit_json, envelope, header, run_child, served, show, signup

SIDE = 2580  # 2580 × 2580 RGB ≈ 19.97 MB uncompressed


def make_png(path: Path) -> int:
    from PIL import Image

    image = Image.frombytes("RGB", (SIDE, SIDE), os.urandom(SIDE * SIDE * 3))
    image.save(path, format="PNG", compress_level=0)
    return path.stat().st_size


def measure(runs: int) -> list[Figure]:
    with served() as (box, server):
        agent = signup(server.base)
        env = box.env(IMAGE_SKILL_API_BASE_URL=server.base, IMAGE_SKILL_TOKEN=agent["token"])
        png = box.work / "noise.png"
        size = make_png(png)
        rss: list[int] = []
        times: list[float] = []
        asset_id = ""
        for _ in range(runs + 1):
            child = run_child([*cli(), "upload", str(png)], env)
            data = envelope(child).get("data") or {}
            if child.returncode != 0 or not data.get("asset"):
                raise RuntimeError(f"upload failed with exit {child.returncode}")
            asset_id = data["asset"]["asset_id"]
            rss.append(child.max_rss_kb)
            times.append(child.seconds)
        rss, times = rss[1:], times[1:]  # the first run warms the bytecode cache
        floor = run_child([*cli(), "assets", "show", asset_id], env).max_rss_kb
    show("upload 20 MB (wall)", times)
    mb = [r * 1024 / size for r in rss]  # peak RSS in units of the file size
    peak = statistics.median(rss) * 1024
    peaks = ", ".join(f"{r / 1024:.1f}" for r in rss)
    print(f"  file {size / 1e6:.2f} MB; client peak RSS {peaks} MB")
    return [
        Figure(
            key="upload.client_rss",
            figure="20 MB `upload`: client peak RSS",
            target="< 2.5 × file size",
            unit="× file",
            samples=mb,
            passed=peak < 2.5 * size,
            measured=(
                f"{peak / 2**20:.1f} MB = {peak / size:.2f} × the {size / 1e6:.1f} MB file "
                f"(assets show alone: {floor / 1024:.1f} MB)"
            ),
            bound=(
                f"the CLI process without any file (assets show) peaks at {floor / 1024:.1f} MB; "
                f"the upload adds {(peak - floor * 1024) / size:.2f} × the file"
            ),
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    opts = parser.parse_args()
    header("upload memory")
    figures = measure(opts.runs)
    for figure in figures:
        print(f"  {figure.figure}: {figure.measured}: {'pass' if figure.passed else 'MISS'}")
    emit_json(figures, opts.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
