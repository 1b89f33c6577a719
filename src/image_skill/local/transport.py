"""A synchronous httpx transport that runs the local ASGI app in this process.

``httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_ORIGIN)`` talks to
the app with no server process and no sockets. Requests are driven through
``httpx.ASGITransport`` on a private event loop running in a daemon thread, so the
transport works from any thread, including one that already runs an event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: Any, *, shared: bool = False) -> None:
        """``shared=True``: ``close()`` leaves the loop running (other clients use it)."""
        self.app = app
        self.shared = shared
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(
                    target=run, name="image-skill-in-process-backend", daemon=True
                )
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._ensure_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        async_request = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )

        async def call() -> tuple[int, httpx.Headers, bytes]:
            response = await self._asgi.handle_async_request(async_request)
            content = await response.aread()
            await response.aclose()
            return response.status_code, response.headers, content

        status, headers, content = self._run(call())
        # The body is already decoded by nobody: pass it through as the app sent it.
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        if not self.shared:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop the private event loop; the next request starts a new one."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
