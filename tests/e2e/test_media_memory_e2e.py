"""A big download from ``image-skill local serve`` does not grow the server's memory.

The media route streams the file in chunks; reading it whole (the old behaviour) raised the
server's peak RSS by at least the file size. The asset is put into the served data dir
through the backend's own store API (uploads stop at 20 MB).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clitools import free_port
from e2etools import script
from image_skill.local.settings import LocalSettings
from image_skill.local.store.assets import store_asset
from image_skill.local.store.db import Store

MB = 1024 * 1024
SIZE = 48 * MB

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the server's peak RSS from /proc"
)


def _status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert found, field
    return int(found.group(1))


@pytest.fixture
def server(e2e_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    data_dir = tmp_path / "served-data"
    proc = subprocess.Popen(
        [script(), "local", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=e2e_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
    try:
        yield proc, base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_48_mb_download_keeps_the_server_peak_rss_flat(
    server: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    proc, base = server
    body = {"agent_contact": "big@example.com", "agent_name": "big", "runtime": "pytest"}
    signed = httpx.post(base + "/v1/agent-signups", json={**body, "return_token": True}).json()
    org = signed["data"]["organization_id"]
    settings = LocalSettings(data_dir=tmp_path / "served-data")
    data = os.urandom(SIZE)
    with Store(settings).connection() as conn:
        row = store_asset(
            conn,
            settings,
            organization_id=org,
            job_id=None,
            kind="uploaded",
            data=data,
            mime_type="video/mp4",
        )
    digest = hashlib.sha256(data).hexdigest()
    del data
    url = f"{base}/a/{row['asset_id']}.mp4"
    assert httpx.head(url).status_code == 200  # warm the route

    before = _status_kb(proc.pid, "VmRSS")
    try:
        Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # reset the peak mark
    except OSError:
        before = max(before, _status_kb(proc.pid, "VmHWM"))
    hasher, received = hashlib.sha256(), 0
    with httpx.stream("GET", url, timeout=60) as reply:
        assert reply.status_code == 200
        for chunk in reply.iter_raw():
            hasher.update(chunk)
            received += len(chunk)
    growth_mb = (_status_kb(proc.pid, "VmHWM") - before) / 1024
    assert received == SIZE and hasher.hexdigest() == digest
    assert growth_mb < 16, f"the server's peak RSS grew by {growth_mb:.1f} MB"
