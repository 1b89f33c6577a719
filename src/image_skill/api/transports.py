"""Named transports: base-URL aliases (``local``) that route requests in-process.

``ImageSkillClient(base_url="local")`` looks the alias up here instead of opening sockets.
The client package knows no backend itself: whoever composes the application registers
one (``image_skill/__init__.py`` registers ``local``, importing the offline backend only
when a client first asks for it).
"""

from __future__ import annotations

# Imported by ``import image_skill`` itself (which registers ``local``): no run-time import
# beyond the interpreter's own, not even ``typing``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    #: Builds a fresh transport; raising ImportError means the backend is not installed.
    TransportFactory = Callable[[], httpx.BaseTransport]

__all__ = ["registered_transport", "register_transport"]

_FACTORIES: dict[str, TransportFactory] = {}


def register_transport(name: str, factory: TransportFactory) -> None:
    """Make ``base_url=name`` send requests through ``factory()``'s transport."""
    _FACTORIES[name] = factory


def registered_transport(name: str) -> TransportFactory | None:
    """The factory registered under ``name``, or None."""
    return _FACTORIES.get(name)
