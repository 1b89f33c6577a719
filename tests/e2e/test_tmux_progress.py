"""Progress bars in a real terminal: ``--human`` ``assets get`` and ``upload`` against
``local serve``, run in a tmux pane whose stdout goes to a file, show a transfer bar (bytes,
rate, time left) on stderr while the bytes move; the same commands in JSON mode, without a
terminal, write nothing on stderr but the documented notices.

The link is slowed by the fault server (``tests/faults.py``) in front of the backend: media
bytes are dripped to the client, or the upload body is read at a capped rate, so the bar is
on screen long enough to be captured.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from e2etools import run, script
from faults import Fault, FaultServer
from image_skill._constants import LOCAL_MEDIA_BASE_URL_ENV
from tmuxtools import BYTES, ETA, RATE, Tmux, notices_only, serve, tmux_session

SIGNUP = ("signup", "--agent", "--agent-contact", "a@example.com", "--agent-name", "tty",
          "--runtime", "t")  # fmt: skip


def noise_png(path: Path, side: int) -> bytes:
    """Random pixels stored uncompressed: about ``3 * side * side`` bytes."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        buffer, format="PNG", compress_level=0
    )
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    """A private tmux server (first, so a missing tmux fails the test before anything runs)."""
    with tmux_session(tmp_path / "tty") as session:
        yield session


@contextmanager
def slowed_backend(
    e2e_env: dict[str, str], tmp_path: Path, *, read_rate: int | None = None
) -> Iterator[tuple[FaultServer, dict[str, str]]]:
    """``local serve`` behind a fault server (its media URLs point at the fault server too);
    yields the fault server and a CLI environment signed up through it."""
    with FaultServer(read_rate=read_rate) as proxy:
        served_env = {**e2e_env, LOCAL_MEDIA_BASE_URL_ENV: proxy.url}
        with serve(served_env, tmp_path / "serve.log") as base:
            proxy.upstream = base
            env = {**e2e_env, "IMAGE_SKILL_API_BASE_URL": proxy.url}
            signed = run(*SIGNUP, env=env)
            assert signed.exit_code == 0, signed.stdout
            yield proxy, env


def _live(frames: list[str]) -> list[tuple[float, float]]:
    """Every ``done/total`` the bar showed before it reached its total."""
    seen = []
    for frame in frames:
        for found in BYTES.finditer(frame):
            done, total = (float(n) for n in found.group(0).split(" ")[0].split("/"))
            if done < total:
                seen.append((done, total))
    return seen


def test_assets_get_shows_a_download_bar_on_stderr_in_a_terminal(
    tmux: Tmux, e2e_env: dict[str, str], tmp_path: Path
) -> None:
    data = noise_png(tmp_path / "noise.png", 900)  # ~2.4 MB
    with slowed_backend(e2e_env, tmp_path) as (proxy, env):
        made = run("upload", str(tmp_path / "noise.png"), env=env)
        assert made.exit_code == 0, made.stdout
        asset_id = made.data["asset"]["asset_id"]
        drip = Fault(proxy=True, drip_interval=0.02, drip_size=48 * 1024)
        proxy.script("GET", "/a/", drip, repeat=True)
        argv = [script(), "--human", "assets", "get", asset_id, "--output"]
        shown = tmux.run([*argv, "f.png"], {**env, "NO_COLOR": "1"})
        dumb = tmux.run([*argv, "d.png"], env, term="dumb")
        proxy.clear()  # JSON mode needs no slow link
        quiet = run("assets", "get", asset_id, "--output", "g.png", env=env, cwd=tmp_path / "tty")
    assert shown.exit_code == 0, shown.stdout
    assert (tmp_path / "tty" / "f.png").read_bytes() == data
    bars = shown.frames_matching(BYTES, RATE)
    assert bars, f"no progress bar in {len(shown.frames)} frames: {shown.frames[-3:]}"
    assert "downloading f.png" in bars[0]
    assert any(ETA.search(frame) for frame in bars)
    assert _live(shown.frames), "the bar never showed a transfer in progress"
    assert not BYTES.search(shown.frames[-1])  # the bar is gone once the download is done
    assert not RATE.search(shown.stdout) and asset_id in shown.stdout  # stdout: the view only
    assert not shown.coloured()  # NO_COLOR: the bar is drawn without colour
    # TERM=dumb: no bar at all, the same file.
    assert dumb.exit_code == 0, dumb.stdout
    assert not any(BYTES.search(frame) or RATE.search(frame) for frame in dumb.frames)
    assert (tmp_path / "tty" / "d.png").read_bytes() == data
    # JSON mode with no terminal: the envelope on stdout, no bar and no other stderr line.
    assert quiet.exit_code == 0, quiet.stdout
    assert (tmp_path / "tty" / "g.png").read_bytes() == data
    assert notices_only(quiet.stderr) == []


def test_upload_shows_an_upload_bar_on_stderr_in_a_terminal(
    tmux: Tmux, e2e_env: dict[str, str], tmp_path: Path
) -> None:
    # ~5 MB, ~6.8 MB of base64 read at 3 MB/s: the socket buffers on the way take the
    # first few MB at once, the rest moves at the capped rate while the pane is captured.
    noise_png(tmp_path / "noise.png", 1300)
    with slowed_backend(e2e_env, tmp_path, read_rate=3_000_000) as (proxy, env):
        coloured = {k: v for k, v in env.items() if k != "NO_COLOR"}
        shown = tmux.run([script(), "--human", "upload", str(tmp_path / "noise.png")], coloured)
        # An edit input given as a path is uploaded first, with the same bar.
        edit_argv = [script(), "--human", "edit", "--dry-run", "--prompt", "p", "--input"]
        edited = tmux.run([*edit_argv, str(tmp_path / "noise.png")], env)
        proxy.read_rate = None  # JSON mode needs no slow link
        quiet = run("upload", str(tmp_path / "noise.png"), env=env)
        uploads = proxy.requests_to("/v1/upload", "POST")
    assert shown.exit_code == 0, shown.stdout
    bars = shown.frames_matching(BYTES, RATE)
    assert bars, f"no progress bar in {len(shown.frames)} frames: {shown.frames[-3:]}"
    assert "uploading noise.png" in bars[0]
    assert any(ETA.search(frame) for frame in bars)
    live = _live(shown.frames)
    assert len({done for done, _ in live}) >= 2, f"the bar did not move: {live}"
    assert not BYTES.search(shown.frames[-1])
    assert not RATE.search(shown.stdout) and "upload" in shown.stdout
    assert shown.coloured()  # a colour terminal and no NO_COLOR: the bar has colour
    assert edited.exit_code == 0, edited.stdout
    edit_bars = edited.frames_matching(BYTES, RATE)
    assert edit_bars, f"no bar for the edit's input in {len(edited.frames)} frames"
    assert "uploading noise.png" in edit_bars[0]
    assert len(uploads) == 3, uploads  # the upload, the edit input, the JSON-mode upload
    assert quiet.exit_code == 0, quiet.stdout
    assert quiet.data["upload"]["sha256"] == uploads[0].json()["sha256"]
    assert notices_only(quiet.stderr) == []
