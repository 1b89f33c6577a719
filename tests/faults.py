"""A fault-injection HTTP server for tests (loopback only, raw sockets, background thread).

It can misbehave in every way the client must survive: wrong Content-Length, truncated or
close-delimited bodies, bytes dripped slowly, a close or a TCP reset mid-body, no answer at
all, non-JSON or huge bodies, arbitrary headers (``x-image-skill-exit-code: 42``), redirects
and a delay before the headers. Unscripted requests can be proxied to a real upstream (for
example a ``local serve`` process), so a test can let the real backend perform a spend and
then drop, truncate, edit or replace its reply.

    with FaultServer(upstream=served) as fs:
        fs.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
        ...  # point the CLI at fs.url; fs.requests records what arrived

Replies are queued per (method, path prefix) and consumed in order; ``method="*"`` matches any
method. Every reply is sent with ``Connection: close`` and the socket closed afterwards.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

Headers = Mapping[str, str] | Sequence[tuple[str, str]]
Body = bytes | Iterable[bytes] | Callable[[], Iterable[bytes]]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}
_REASONS = {200: "OK", 302: "Found", 307: "Temporary Redirect", 500: "Internal Server Error"}


@dataclass(frozen=True)
class ProxiedReply:
    """The upstream's reply to a proxied request (given to ``Fault.edit``)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Fault:
    """One scripted reply (or misbehaviour).

    status, headers, body: what to send. ``body`` may be bytes, an iterable of chunks or a
    zero-argument callable returning one (use a callable when the same Fault may be replayed).
    content_length: None sends the true length for a bytes body and none for a streamed body
        (close-delimited); an int sends that value whatever the body is; -1 omits the header.
    delay: seconds to wait before the status line (after forwarding, when proxying).
    hang: read the request and never answer (until the server stops).
    reset: answer nothing and reset the connection (TCP RST) instead.
    drip_interval, drip_size: send the body ``drip_size`` bytes at a time with this pause.
    close_after_bytes: stop after this many body bytes and close (``reset_on_close`` sends an
        RST instead of a clean FIN).
    proxy: forward the request to the upstream first (the spend happens there). Then:
        drop_reply closes without answering; replace sends this Fault's status/headers/body
        instead of the upstream's; edit maps the upstream reply to a new one; otherwise the
        upstream reply is relayed (with this Fault's delay/drip/close/headers applied).
    """

    status: int = 200
    headers: Headers = ()
    body: Body = b""
    content_length: int | None = None
    delay: float = 0.0
    hang: bool = False
    reset: bool = False
    drip_interval: float = 0.0
    drip_size: int = 1
    close_after_bytes: int | None = None
    reset_on_close: bool = False
    proxy: bool = False
    drop_reply: bool = False
    replace: bool = False
    edit: Callable[[ProxiedReply], ProxiedReply] | None = None

    @classmethod
    def json(cls, value: Any, status: int = 200, **kwargs: Any) -> Fault:
        """A JSON reply (``value`` serialised as-is, so hostile shapes are fine)."""
        headers = [("content-type", "application/json"), *_pairs(kwargs.pop("headers", ()))]
        return cls(status=status, headers=headers, body=json.dumps(value).encode(), **kwargs)

    @classmethod
    def redirect(cls, location: str, status: int = 302, **kwargs: Any) -> Fault:
        headers = [("location", location), *_pairs(kwargs.pop("headers", ()))]
        return cls(status=status, headers=headers, **kwargs)

    @classmethod
    def huge(cls, total: int, chunk: bytes = b"x" * 65536, **kwargs: Any) -> Fault:
        """A streamed body of ``total`` bytes of ``chunk`` repeated (close-delimited by default)."""

        def chunks() -> Iterator[bytes]:
            left = total
            while left > 0:
                piece = chunk[: min(left, len(chunk))]
                left -= len(piece)
                yield piece

        return cls(body=chunks, **kwargs)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


class FaultServer:
    """A threaded raw-socket HTTP/1.1 server on 127.0.0.1 with an ephemeral port."""

    def __init__(
        self,
        upstream: str | None = None,
        default: Fault | None = None,
        *,
        read_rate: int | None = None,
    ) -> None:
        """``read_rate``: read request bodies at most this many bytes per second, with a
        small receive buffer, so a client's upload visibly takes time (progress bars)."""
        self.upstream = upstream.rstrip("/") if upstream else None
        self.read_rate = read_rate
        self.default = default or Fault.json(
            {"ok": False, "error": {"code": "UNSCRIPTED", "message": "no scripted reply"}},
            status=599,
        )
        self.requests: list[RecordedRequest] = []
        self._scripts: list[tuple[str, str, list[Fault], bool]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if read_rate is not None:  # accepted sockets inherit it
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    # -- public API -------------------------------------------------------------------------
    def __enter__(self) -> FaultServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._accepter.is_alive():
            self._accepter.join(timeout=2)
        self._sock.close()
        for thread in list(self._threads):
            thread.join(timeout=2)

    def script(self, method: str, path_prefix: str, *faults: Fault, repeat: bool = False) -> None:
        """Queue replies for requests whose method and path start match (``"*"``: any method).

        With ``repeat=True`` the last fault stays in place once the others are used up.
        """
        with self._lock:
            self._scripts.append((method.upper(), path_prefix, list(faults), repeat))

    def clear(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def requests_to(self, path_prefix: str, method: str = "*") -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.startswith(path_prefix) and method in ("*", r.method)
            ]

    # -- internals --------------------------------------------------------------------------
    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for want, prefix, faults, repeat in self._scripts:
                if want in ("*", method) and path.startswith(prefix) and faults:
                    return faults[0] if repeat and len(faults) == 1 else faults.pop(0)
        return None

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            request = _read_request(conn, self.read_rate)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            fault = self._next_fault(request.method, request.path)
            if fault is None:
                fault = Fault(proxy=True) if self.upstream else self.default
            self._answer(conn, request, fault)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _answer(self, conn: socket.socket, request: RecordedRequest, fault: Fault) -> None:
        if fault.hang:
            self._stop.wait()
            return
        if fault.reset:
            _reset(conn)
            return
        if fault.proxy:
            upstream = self._forward(request)
            if fault.drop_reply:
                return
            if not fault.replace:
                if fault.edit is not None:
                    upstream = fault.edit(upstream)
                headers = [(k, v) for k, v in upstream.headers if k.lower() not in _HOP_BY_HOP]
                fault = replace(
                    fault,
                    status=upstream.status,
                    headers=headers + _pairs(fault.headers),
                    body=upstream.body,
                )
        if fault.delay and self._stop.wait(fault.delay):
            return
        self._send(conn, fault)

    def _forward(self, request: RecordedRequest) -> ProxiedReply:
        if not self.upstream:
            raise RuntimeError("Fault(proxy=True) needs FaultServer(upstream=...)")
        target = urlsplit(self.upstream)
        upstream = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, 120)
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP | {"host"}}
        headers["content-length"] = str(len(request.body))
        try:
            upstream.request(request.method, request.path, body=request.body, headers=headers)
            reply = upstream.getresponse()
            return ProxiedReply(reply.status, list(reply.getheaders()), reply.read())
        finally:
            upstream.close()

    def _send(self, conn: socket.socket, fault: Fault) -> None:
        body = fault.body() if callable(fault.body) else fault.body
        headers = _pairs(fault.headers)
        names = {k.lower() for k, _ in headers}
        length = fault.content_length
        if length is None and isinstance(body, bytes | bytearray) and "content-length" not in names:
            length = len(body)
        if length is not None and length >= 0:
            headers.append(("content-length", str(length)))
        if "connection" not in names:
            headers.append(("connection", "close"))
        reason = _REASONS.get(fault.status, "Status")
        head = f"HTTP/1.1 {fault.status} {reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        conn.sendall(head.encode("latin-1"))
        chunks: Iterable[bytes] = [bytes(body)] if isinstance(body, bytes | bytearray) else body
        sent = 0
        for chunk in chunks:
            for piece in _split(chunk, fault.drip_size if fault.drip_interval else 0):
                if fault.close_after_bytes is not None:
                    piece = piece[: max(0, fault.close_after_bytes - sent)]
                if piece:
                    conn.sendall(piece)
                    sent += len(piece)
                if fault.close_after_bytes is not None and sent >= fault.close_after_bytes:
                    if fault.reset_on_close:
                        _reset(conn)
                    return
                if fault.drip_interval and self._stop.wait(fault.drip_interval):
                    return


def _split(chunk: bytes, size: int) -> Iterator[bytes]:
    if size <= 0:
        yield chunk
        return
    for start in range(0, len(chunk), size):
        yield chunk[start : start + size]


def _reset(conn: socket.socket) -> None:
    """Close with SO_LINGER 0 so the peer sees a TCP reset."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _read_request(conn: socket.socket, rate: int | None = None) -> RecordedRequest | None:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
        if len(buffer) > 1 << 20:
            return None
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(conn, rest)
    else:
        want = int(headers.get("content-length") or 0)
        while len(rest) < want:
            data = conn.recv(16384 if rate else 65536)
            if not data:
                break
            rest += data
            if rate:
                time.sleep(len(data) / rate)
        body = rest[:want]
    return RecordedRequest(method.upper(), path, headers, body)


def _read_chunked(conn: socket.socket, buffer: bytes) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in buffer:
            buffer += conn.recv(65536) or b"0\r\n\r\n"
        size_line, _, buffer = buffer.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        while len(buffer) < size + 2:
            data = conn.recv(65536)
            if not data:
                return body + buffer[:size]
            buffer += data
        if size == 0:
            return body
        body += buffer[:size]
        buffer = buffer[size + 2 :]
