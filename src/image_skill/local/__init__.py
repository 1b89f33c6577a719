"""The offline local backend (needs the ``local`` extra: fastapi, uvicorn, Pillow).

Entry points: :func:`image_skill.local.app.create_app`,
:func:`make_in_process_transport` (used for ``--api-base-url local``),
:func:`image_skill.local.server.serve` / ``serve_in_thread``.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from image_skill.local.settings import LocalSettings
    from image_skill.local.store.db import Store
    from image_skill.local.transport import InProcessTransport

#: Top-level modules of the ``local`` extra (pyproject), checked before the backend is used.
EXTRA_MODULES = ("fastapi", "uvicorn", "PIL")


def require_extra() -> None:
    """Raise ImportError when a module of the ``local`` extra is not installed.

    The backend imports them lazily, so without this check a missing extra would surface
    as a crash deep inside the first request instead of a clear error. The check finds the
    modules without importing them: the in-process backend never needs the server
    (uvicorn, with its logging configuration and process supervisors: ~150 ms).
    """
    from importlib.util import find_spec

    for name in EXTRA_MODULES:
        if find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


_TRANSPORTS: dict[Path, InProcessTransport] = {}
_LOCK = threading.Lock()


def make_in_process_transport(settings: LocalSettings | None = None) -> InProcessTransport:
    """A transport onto the in-process backend; one app per data dir per process.

    The first call for a data dir fixes its settings; later calls with the same data dir
    reuse that app. The transport is shared, so ``client.close()`` leaves it usable.
    What a call pays for is what it uses: the core read-only routes are answered without
    the web framework (:mod:`image_skill.local.direct`), the app is built on the first
    request they decline, and it includes each router on first use
    (``create_app(lazy=True)``). Both share one :class:`~image_skill.local.store.db.Store`.
    """
    require_extra()
    from image_skill.local.direct import DirectRoutes
    from image_skill.local.settings import LocalSettings
    from image_skill.local.store.db import Store
    from image_skill.local.transport import InProcessTransport

    settings = settings or LocalSettings.from_env()
    key = settings.data_dir.expanduser().resolve()
    with _LOCK:
        transport = _TRANSPORTS.get(key)
        if transport is None:
            store = Store(settings)
            transport = InProcessTransport(
                factory=functools.partial(_build_app, settings, store),
                direct=DirectRoutes(settings, store),
                shared=True,
            )
            _TRANSPORTS[key] = transport
        return transport


def _build_app(settings: LocalSettings, store: Store) -> Any:
    from image_skill.local.app import create_app

    return create_app(settings, lazy=True, store=store)
