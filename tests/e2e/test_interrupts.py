"""Ctrl-C and SIGTERM at the moments that used to go wrong (issue 8, point 8).

Every case runs the installed entry point as a subprocess and checks the one envelope on
stdout and the exit code. The moments are made exact instead of guessed:

* during start-up imports: a ``sitecustomize`` on PYTHONPATH holds the import of click
  (the first heavy import) and writes a marker, so the signal lands while importing;
* mid-envelope: the envelope is larger than a pipe (64 KiB) and the test does not read
  stdout until the pipe is full, so the CLI is blocked in the middle of writing it when the
  next signal arrives.
"""

from __future__ import annotations

import array
import fcntl
import os
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2etools import script
from envelopetools import envelope_problems, parse_one_envelope
from faults import Fault, FaultServer

pytestmark = pytest.mark.timeout(120)

#: Held while importing click; the test signals during the hold.
_SLOW_IMPORT = """
import os, sys, time

class _HoldClick:
    def find_spec(self, name, path=None, target=None):
        if name == "click" and os.environ.get("HOLD_CLICK_MARKER"):
            open(os.environ["HOLD_CLICK_MARKER"], "w").close()
            time.sleep(20)
        return None

sys.meta_path.insert(0, _HoldClick())
"""


def _pythonpath(*extra: Path) -> str:
    parts = [str(p) for p in extra] + [p for p in [os.environ.get("PYTHONPATH")] if p]
    return os.pathsep.join(parts)


def _wait_for(condition, limit: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def _pipe_bytes(stream) -> int:  # type: ignore[no-untyped-def]
    """Bytes waiting in a pipe (Linux FIONREAD)."""
    count = array.array("i", [0])
    fcntl.ioctl(stream.fileno(), termios.FIONREAD, count)
    return count[0]


def _hand_over(proc: subprocess.Popen[bytes], token: bytes) -> None:
    """Pipe the token for --token-stdin and close stdin."""
    assert proc.stdin is not None
    proc.stdin.write(token)
    proc.stdin.close()
    proc.stdin = None


def _assert_one_envelope(stdout: bytes, stderr: bytes, code: int) -> dict:  # type: ignore[type-arg]
    text, err = stdout.decode("utf-8"), stderr.decode("utf-8", "replace")
    assert envelope_problems(text, err, code) == [], (code, text[-500:], err[-2000:])
    envelope, _ = parse_one_envelope(text)
    assert envelope is not None
    return envelope


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_start_up_imports_gives_the_interrupted_envelope(
    e2e_env: dict[str, str], tmp_path: Path, signum: int
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_SLOW_IMPORT)
    marker = tmp_path / "importing-click"
    env = {**e2e_env, "PYTHONPATH": _pythonpath(hook), "HOLD_CLICK_MARKER": str(marker)}
    proc = subprocess.Popen(
        [script(), "whoami", "--api-base-url", "local"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(marker.exists)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    envelope = _assert_one_envelope(out, err, proc.returncode)
    assert proc.returncode == 130
    assert envelope["error"]["code"] == "INTERRUPTED"
    assert envelope["command"] == "image-skill whoami"
    assert b"Traceback" not in err


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A loopback port that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield srv.getsockname()[1], held
    finally:
        srv.close()
        for conn in held:
            conn.close()


def test_sigterm_outside_a_spend_is_reported_like_ctrl_c(
    e2e_env: dict[str, str], silent_server: tuple[int, list[socket.socket]]
) -> None:
    port, held = silent_server
    proc = subprocess.Popen(
        [script(), "whoami", "--token-stdin", "--api-base-url", f"http://127.0.0.1:{port}"],
        env=e2e_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _hand_over(proc, b"isk_r_sigterm-test-token\n")
        _wait_for(lambda: bool(held))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    envelope = _assert_one_envelope(out, err, proc.returncode)
    assert proc.returncode == 130
    assert envelope["error"]["code"] == "INTERRUPTED"


@pytest.mark.parametrize(
    ("first", "second"),
    [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM, signal.SIGINT)],
    ids=["SIGINTx2", "SIGTERM-then-SIGINT"],
)
def test_a_second_signal_cannot_cut_the_interrupted_envelope(
    e2e_env: dict[str, str],
    silent_server: tuple[int, list[socket.socket]],
    first: int,
    second: int,
) -> None:
    port, held = silent_server
    # The recovery command repeats the prompt, so the envelope is bigger than the pipe.
    prompt = "a lighthouse at dusk " * 5000
    proc = subprocess.Popen(
        [script(), "create", "--prompt", prompt, "--token-stdin"]
        + ["--api-base-url", f"http://127.0.0.1:{port}"],
        env=e2e_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        _hand_over(proc, b"isk_r_double-signal-token\n")
        _wait_for(lambda: bool(held))  # the spend request is on its way
        proc.send_signal(first)
        _wait_for(lambda: _pipe_bytes(proc.stdout) >= 65536)  # blocked mid-envelope
        for _ in range(5):  # a user hammering Ctrl-C while the report is printed
            proc.send_signal(second)
            time.sleep(0.02)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    envelope = _assert_one_envelope(out, err, proc.returncode)
    assert proc.returncode == 130
    assert envelope["error"]["code"] == "INTERRUPTED"
    assert prompt.strip() in envelope["error"]["recovery"]["suggested_command"]


def test_a_signal_after_the_reply_arrived_keeps_the_real_outcome(
    e2e_env: dict[str, str],
) -> None:
    reply = {
        "ok": True,
        "command": "image-skill create",
        "trace_id": "trace_after_reply",
        "data": {"job_id": "job_after_reply", "status": "completed", "assets": []},
        # Bigger than a pipe, so the CLI is still writing when the signals arrive.
        "warnings": [f"note {i}: " + "w" * 1000 for i in range(200)],
    }
    with FaultServer() as fs:
        fs.script("POST", "/v1/create", Fault.json(reply))
        proc = subprocess.Popen(
            [script(), "create", "--prompt", "a kite", "--token-stdin"]
            + ["--api-base-url", fs.url, "--idempotency-key", "after-reply-1"],
            env=e2e_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            _hand_over(proc, b"isk_r_after-reply-token\n")
            _wait_for(lambda: _pipe_bytes(proc.stdout) >= 65536)
            proc.send_signal(signal.SIGINT)
            time.sleep(0.005)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    envelope = _assert_one_envelope(out, err, proc.returncode)
    # The outcome was known before the signals: it is reported, and the exit code matches.
    assert envelope["ok"] is True and proc.returncode == 0
    assert envelope["data"]["job_id"] == "job_after_reply"
    assert len(envelope["warnings"]) >= 200
    config = Path(e2e_env["IMAGE_SKILL_CONFIG_PATH"])
    assert not list((config.parent / "in-flight").glob("*.json"))


def test_python_dash_m_installs_the_same_policy(e2e_env: dict[str, str], tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_SLOW_IMPORT)
    marker = tmp_path / "importing-click"
    env = {**e2e_env, "PYTHONPATH": _pythonpath(hook), "HOLD_CLICK_MARKER": str(marker)}
    proc = subprocess.Popen(
        # (not `version`: the start-up fast path answers it without importing click)
        [sys.executable, "-m", "image_skill", "whoami", "--api-base-url", "local"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(marker.exists)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    envelope = _assert_one_envelope(out, err, proc.returncode)
    assert proc.returncode == 130 and envelope["error"]["code"] == "INTERRUPTED"
