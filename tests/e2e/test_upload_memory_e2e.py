"""A 20 MB ``image-skill upload`` keeps the client's memory flat (issue 11's target).

The body is streamed from the file, so the client's peak RSS stays under 2.5 × the file
size, interpreter included (it was 6.8 × while the file, its base64 text and the JSON text
were all built in memory). ``benchmarks/upload_memory.py`` measures the same thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from e2etools import run, script

#: Spawns the command from a small interpreter and prints its peak RSS (kB) and exit code.
#: Linux keeps the RSS high-water mark of the process image an exec replaces, so spawning
#: straight from this (large) test process would report the test's own size.
LAUNCHER = """
import os, sys
err = os.open(os.devnull, os.O_WRONLY)
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ,
                      file_actions=[(os.POSIX_SPAWN_DUP2, err, 2)])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""
SIDE = 2580  # 2580 × 2580 RGB, stored uncompressed: just under the 20 MiB upload limit

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in kB on Linux")


def test_a_20_mb_upload_peaks_under_two_and_a_half_times_the_file(
    served: str, e2e_env: dict[str, str], tmp_path: Path
) -> None:
    png = tmp_path / "noise.png"
    Image.frombytes("RGB", (SIDE, SIDE), os.urandom(SIDE * SIDE * 3)).save(
        png, format="PNG", compress_level=0
    )
    size = png.stat().st_size
    env = {**e2e_env, "IMAGE_SKILL_API_BASE_URL": served}
    signed = run(
        "signup", "--agent", "--agent-contact", "a@example.com", "--agent-name", "m",
        "--runtime", "t", env=env,
    )  # fmt: skip
    assert signed.exit_code == 0, signed.stdout
    child = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, script(), "upload", str(png)],
        env=env,
        capture_output=True,
        timeout=60,
    )
    peak_kb, code = (int(n) for n in child.stderr.decode().split())
    assert code == 0, child.stdout
    envelope = json.loads(child.stdout)
    assert envelope["data"]["upload"]["bytes"] == size
    peak = peak_kb * 1024
    assert peak < 2.5 * size, f"client peak RSS {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
