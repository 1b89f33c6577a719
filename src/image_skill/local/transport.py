"""A synchronous httpx transport that runs the local ASGI app in this process.

``httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_ORIGIN)`` talks to
the app with no server process and no sockets. Requests are driven through
``httpx.ASGITransport`` on a private event loop running in a daemon thread, so the
transport works from any thread, including one that already runs an event loop.

``InProcessTransport(factory=..., direct=...)`` (what :func:`image_skill.local.
make_in_process_transport` builds) first offers each request to ``direct``, a
framework-free answerer (:class:`image_skill.local.direct.DirectRoutes`); only a request
it declines builds the app (``factory()``, once) and goes through ASGI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")
#: ``direct(request)``: ``(status, headers, body)``, or ``None`` to let the app answer.
Direct = Callable[[httpx.Request], "tuple[int, list[tuple[str, str]], bytes] | None"]


class InProcessTransport(httpx.BaseTransport):
    def __init__(
        self,
        app: Any = None,
        *,
        shared: bool = False,
        factory: Callable[[], Any] | None = None,
        direct: Direct | None = None,
    ) -> None:
        """An ASGI ``app``, or a ``factory`` building it on the first request that needs it.

        ``shared=True``: ``close()`` leaves the loop running (other clients use it).
        ``direct``: tried first for every request (see the module docstring).
        """
        if (app is None) == (factory is None):
            raise TypeError("pass exactly one of app and factory")
        self._app = app
        self._factory = factory
        self._direct = direct
        self.shared = shared
        self._asgi: httpx.ASGITransport | None = None
        self._app_lock = threading.Lock()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def app(self) -> Any:
        """The ASGI app (built now by the factory if no request has needed it yet)."""
        return self._asgi_transport().app

    def _asgi_transport(self) -> httpx.ASGITransport:
        with self._app_lock:
            if self._asgi is None:
                if self._app is None:
                    assert self._factory is not None
                    self._app = self._factory()
                self._asgi = httpx.ASGITransport(app=self._app, raise_app_exceptions=False)
            return self._asgi

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                import asyncio  # only the app's path needs an event loop

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
        import asyncio

        loop = self._ensure_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if self._direct is not None:
            answered = self._direct(request)
            if answered is not None:
                code, fields, payload = answered
                return httpx.Response(code, headers=fields, content=payload, request=request)
        asgi = self._asgi_transport()
        async_request = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )

        async def call() -> tuple[int, httpx.Headers, bytes]:
            response = await asgi.handle_async_request(async_request)
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
