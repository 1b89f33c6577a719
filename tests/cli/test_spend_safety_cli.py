"""Money safety under faults: a killed create keeps its breadcrumb, and its recovery command
(same key) succeeds exactly once against the real local backend.

Fault injection only: a raw loopback server that accepts the POST and never answers, or
answers with a proxy-style HTML 502.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clitools import invoke
from spendtools import in_flight_files, remaining_credits


@dataclass
class FaultServer:
    port: int
    mode: str
    bodies: list[bytes] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return body


def _serve(server: FaultServer, sock: socket.socket) -> None:
    sock.settimeout(0.05)
    held: list[socket.socket] = []
    while not server.stop.is_set():
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            continue
        conn.settimeout(5)
        body = _read_request(conn)
        server.bodies.append(body)
        server.received.set()
        if server.mode == "hang":
            held.append(conn)  # never answer
            continue
        page = b"<html><body>502 Bad Gateway</body></html>"
        conn.sendall(
            b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\n"
            + f"content-length: {len(page)}\r\nconnection: close\r\n\r\n".encode()
            + page
        )
        conn.close()
    for conn in held:
        conn.close()


@pytest.fixture
def fault_server(request: pytest.FixtureRequest) -> Iterator[FaultServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    server = FaultServer(sock.getsockname()[1], request.param)
    thread = threading.Thread(target=_serve, args=(server, sock), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        thread.join(timeout=5)
        sock.close()


def _token_for(config: Path, base_url: str) -> None:
    """Record the saved token as belonging to ``base_url``: a saved token is sent only to
    the base URL it was saved for, and these tests send the same agent's spend to a fault
    server first and to the local backend after."""
    saved = json.loads(config.read_text())
    config.write_text(json.dumps({**saved, "api_base_url": base_url}))


def _recovery_args(command: str) -> list[str]:
    """The words after the program prefix, pointed at the local backend instead."""
    words = shlex.split(command)
    args = words[words.index("create") :]
    at = args.index("--api-base-url")
    args[at + 1] = "local"
    return args


@pytest.mark.parametrize("fault_server", ["hang"], indirect=True)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killed_create_keeps_a_breadcrumb_whose_recovery_reuses_the_key(
    account: Path, fault_server: FaultServer, sig: signal.Signals
) -> None:
    prompt = "a red cube; $(echo not run)"
    _token_for(account, f"http://127.0.0.1:{fault_server.port}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "image_skill",
            "create",
            "--prompt",
            prompt,
            "--aspect-ratio",
            "16:9",
            "--api-base-url",
            f"http://127.0.0.1:{fault_server.port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 30
        while not (in_flight_files(account) and fault_server.received.is_set()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the create never reached the server"
            time.sleep(0.02)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    envelope = json.loads(stdout)
    assert proc.returncode == 130
    assert envelope["error"]["code"] == "INTERRUPTED"

    [crumb_path] = in_flight_files(account)
    crumb = json.loads(crumb_path.read_text())
    key = crumb["idempotency_key"]
    assert key.startswith("create-")
    assert crumb_path.name == f"{key}.json"
    assert crumb["command"] == "image-skill create"
    token = json.loads(account.read_text())["token"]
    assert token not in crumb_path.read_text()
    command = envelope["error"]["recovery"]["suggested_command"]
    assert f"--idempotency-key {key}" in command
    assert envelope["error"]["recovery"]["idempotency_key"] == key
    # The breadcrumb records the replay words; doctor renders them back into that command.
    words = shlex.split(command)
    assert crumb["argv"] == words[words.index("create") + 1 :]
    [entry] = invoke("doctor", "--api-base-url", "local").data["in_flight"]["entries"]
    assert entry["recover_command"] == command and entry["idempotency_key"] == key
    notice = json.loads(stderr.decode().strip().splitlines()[0])
    assert notice == {
        "in_flight": {
            "command": "image-skill create",
            "idempotency_key": key,
            "recover_command": crumb["recover_command"],
            "note": notice["in_flight"]["note"],
        }
    }

    # The request that was cut off carried the key, in the contract's body order.
    sent = json.loads(fault_server.bodies[0])
    assert list(sent) == [
        "prompt",
        "aspect_ratio",
        "idempotency_key",
        "dry_run",
        "accept_unknown_cost",
    ]
    assert sent["idempotency_key"] == key and sent["prompt"] == prompt

    # Following the breadcrumb against the real backend succeeds, once.
    _token_for(account, "local")
    before = remaining_credits()
    args = _recovery_args(command)
    assert args[args.index("--prompt") + 1] == prompt
    first = invoke(*args)
    assert first.exit_code == 0, first.stdout
    assert first.data["request"]["idempotency_key"] == key
    after = remaining_credits()
    assert after < before
    again = invoke(*args)
    assert again.data["job_id"] == first.data["job_id"]
    assert again.data["request"]["replayed"] is True
    assert remaining_credits() == after
    assert in_flight_files(account) == []


@pytest.mark.parametrize("fault_server", ["html502"], indirect=True)
def test_non_json_502_echoes_the_same_key_and_keeps_the_breadcrumb(
    account: Path, fault_server: FaultServer
) -> None:
    base = f"http://127.0.0.1:{fault_server.port}"
    _token_for(account, base)
    res = invoke("create", "--prompt", "a cube", "--api-base-url", base)
    assert res.exit_code == 7
    error = res.json["error"]
    assert error["code"] == "HOSTED_API_NON_JSON_RESPONSE" and error["retryable"] is True
    key = json.loads(fault_server.bodies[0])["idempotency_key"]
    assert error["recovery"]["idempotency_key"] == key
    assert f"--idempotency-key {key}" in error["recovery"]["suggested_command"]
    [crumb] = in_flight_files(account)
    assert json.loads(crumb.read_text())["idempotency_key"] == key
    # An explicit key is used as given, in the body and in the breadcrumb's name.
    res = invoke(
        "create", "--prompt", "a", "--idempotency-key", "../escape", "--api-base-url", base
    )
    assert json.loads(fault_server.bodies[-1])["idempotency_key"] == "../escape"
    assert all(p.parent == account.parent / "in-flight" for p in in_flight_files(account))
    assert len(in_flight_files(account)) == 2


def test_a_retryable_server_failure_suggests_our_command_with_the_same_key(
    account: Path,
) -> None:
    # The server cannot repeat the prompt, so its own retry command holds a placeholder and
    # no --api-base-url; the CLI must hand out its runnable one, which reuses the same key.
    prompt = "a red cube; $(echo not run)"
    before = remaining_credits()
    proc = subprocess.run(
        [sys.executable, "-m", "image_skill", "create", "--prompt", prompt]
        + ["--model", "local.image", "--output", "out.png", "--api-base-url", "local"],
        capture_output=True,
        env={**os.environ, "IMAGE_SKILL_LOCAL_FAULTS": "provider_failure"},
        timeout=120,
    )
    envelope = json.loads(proc.stdout)
    assert proc.returncode == 7, envelope
    assert envelope["error"]["code"] == "PROVIDER_FAILURE"
    recovery = envelope["error"]["recovery"]
    key, command = recovery["idempotency_key"], recovery["suggested_command"]
    assert "PROMPT_FILE" not in command and "placeholders" not in recovery
    [crumb_path] = in_flight_files(account)
    words = shlex.split(command)
    assert json.loads(crumb_path.read_text())["argv"] == words[words.index("create") + 1 :]
    assert remaining_credits() == before

    words = shlex.split(command)
    args = words[words.index("create") :]
    assert args[args.index("--prompt") + 1] == prompt
    assert args[args.index("--idempotency-key") + 1] == key
    assert args[args.index("--api-base-url") + 1] == "local"
    res = invoke(*args)  # this process's backend has no fault switched on
    assert res.exit_code == 0, res.stdout
    assert res.data["request"]["idempotency_key"] == key
    assert res.data["downloads"][0]["output_path"] == str(account.parent.parent / "out.png")
    assert remaining_credits() < before
    assert in_flight_files(account) == []
