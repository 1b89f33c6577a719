"""A total time limit per request attempt, enforced at the socket.

httpx's timeouts bound each single network operation: a server that sends one byte just
before every read timeout can stretch a request without end. Inside ``with deadline(s):``
every connect, TLS handshake, read and write made through a :func:`deadline_transport`
gets at most the time left until the deadline, and fails with the matching httpx timeout
(:class:`httpx.ReadTimeout`, :class:`httpx.ConnectTimeout` ...) once it has passed, so
headers and body together can never take longer than ``s`` seconds.

The deadline lives in a context variable, so it covers exactly the code run inside the
``with`` block (for a streamed response: keep the reading inside it). So does
:func:`bulk_reads`: inside it each socket read asks for up to :data:`BULK_READ` bytes
instead of httpcore's 64 KiB, for a large body read in fewer, larger pieces.

Known limit: a request that httpx routes through a proxy configured in the environment
(``HTTPS_PROXY`` ...) uses httpx's own proxy transport and keeps only the per-operation
timeouts. The in-process local backend has no sockets and needs none of this.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

__all__ = [
    "BULK_READ",
    "DeadlineBackend",
    "bulk_reads",
    "deadline",
    "deadline_transport",
    "remaining",
]

_DEADLINE: ContextVar[float | None] = ContextVar("image_skill_deadline", default=None)
#: Bytes asked for per socket read inside :func:`bulk_reads`.
BULK_READ = 512 * 1024
_READ_SIZE: ContextVar[int] = ContextVar("image_skill_read_size", default=0)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Run the block under a total time limit (None: no limit beyond the httpx timeouts)."""
    if seconds is None:
        yield
        return
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextmanager
def bulk_reads(size: int = BULK_READ) -> Iterator[None]:
    """Inside the block, socket reads ask for up to ``size`` bytes (at least httpcore's own
    read size): a long body arrives in fewer pieces, each costing the Python loops above the
    socket (httpcore, h11, httpx, the caller) once."""
    token = _READ_SIZE.set(size)
    try:
        yield
    finally:
        _READ_SIZE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (None when there is none)."""
    end = _DEADLINE.get()
    return None if end is None else end - time.monotonic()


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the total time limit for this request was reached")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        size = max(max_bytes, _READ_SIZE.get())
        return self._inner.read(size, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with every operation clamped to the current deadline."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            _clamp(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _clamp(timeout, httpcore.ConnectTimeout), socket_options=socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(**kwargs: Any) -> httpx.HTTPTransport:
    """An :class:`httpx.HTTPTransport` whose connections honour :func:`deadline`.

    httpx does not let a caller choose httpcore's network backend, so the transport's
    connection pool gets ours after construction (checked by the deadline tests). Unless
    ``verify`` is given, certificates are verified with a context whose CA certificates
    load at the first TLS handshake (:mod:`image_skill.api.tls`), so a call that never
    opens a TLS connection (an ``http://`` base URL) does not pay for the CA bundle.
    """
    if "verify" not in kwargs:
        from image_skill.api.tls import lazy_verifying_context

        kwargs["verify"] = lazy_verifying_context(kwargs.get("trust_env", True))
    transport = httpx.HTTPTransport(**kwargs)
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = DeadlineBackend(pool._network_backend)
    return transport
