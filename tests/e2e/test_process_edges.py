"""Process-level edges: Ctrl-C mid-request, --token-stdin on a TTY, crashes."""

from __future__ import annotations

import json
import os
import pty
import signal
import socket
import subprocess
import threading
import time

from e2etools import script


def _silent_server() -> tuple[socket.socket, int]:
    """A loopback socket that accepts connections and never answers."""
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
    return srv, srv.getsockname()[1]


def test_ctrl_c_mid_request_prints_interrupted_envelope(e2e_env):
    srv, port = _silent_server()
    try:
        proc = subprocess.Popen(
            [script(), "whoami", "--token", "x", "--api-base-url", f"http://127.0.0.1:{port}"],
            env=e2e_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        srv.close()
    assert proc.returncode == 130
    env = json.loads(out)
    assert env["ok"] is False and env["error"]["code"] == "INTERRUPTED"
    assert "Traceback" not in out


def test_token_stdin_refused_on_a_tty(e2e_env):
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [script(), "whoami", "--token-stdin", "--api-base-url", "local"],
            env=e2e_env,
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    env = json.loads(proc.stdout)
    assert proc.returncode == 2
    assert env["error"]["code"] == "INVALID_ARGUMENTS"
    assert "--token-stdin" in env["error"]["message"]


def test_json_output_is_the_same_under_a_pty(e2e_env):
    """No format switch on TTY detection: agents run commands under PTYs."""
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            [script(), "version"], env=e2e_env, stdout=secondary, stderr=secondary
        )
        proc.wait(timeout=30)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    assert "\x1b[" not in text
    assert json.loads(text)["data"]["version"] == "0.1.30"


def test_non_utf8_argument_is_invalid_arguments(e2e_env):
    proc = subprocess.run(
        [script().encode(), b"create", b"--prompt", b"\xff\xfe", b"--dry-run"],
        env=e2e_env,
        capture_output=True,
        timeout=30,
    )
    env = json.loads(proc.stdout)
    assert proc.returncode == 2
    assert env["error"]["code"] == "INVALID_ARGUMENTS"
    assert "argument 3" in env["error"]["message"]
