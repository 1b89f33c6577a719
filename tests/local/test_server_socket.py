"""``local serve`` binds a socket with ``TCP_NODELAY``, on the listener and every connection.

Without it, a reply written in two pieces waits for the client's delayed ACK (about 40 ms
per request on a kept-alive connection). The server is driven exactly as ``serve()`` drives
it: :func:`image_skill.local.server._bind` plus ``uvicorn.Server.run(sockets=[...])``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from image_skill.local.server import _bind, _config


def _nodelay(sock: Any) -> int:
    return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


def test_the_listening_socket_has_nodelay_and_tcp_protocol() -> None:
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP  # asyncio only sets the option for TCP
        assert _nodelay(sock) == 1
        client = socket.create_connection(sock.getsockname()[:2])
        accepted, _ = sock.accept()
        try:
            assert _nodelay(accepted) == 1
        finally:
            accepted.close()
            client.close()
    finally:
        sock.close()


@pytest.fixture
def served(local_app: FastAPI) -> Iterator[tuple[uvicorn.Server, str]]:
    sock = _bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(_config(local_app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_every_accepted_connection_of_the_served_app_has_nodelay(
    served: tuple[uvicorn.Server, str],
) -> None:
    server, base = served
    with httpx.Client(base_url=base) as one, httpx.Client(base_url=base) as two:
        assert one.get("/healthz").status_code == 200
        assert two.get("/healthz").status_code == 200
        connections = list(server.server_state.connections)
        assert len(connections) == 2
        for protocol in connections:
            assert _nodelay(protocol.transport.get_extra_info("socket")) == 1
