"""A network guard for tests: records every connect and name lookup, resolves only fake names,
and blocks (and records) any connect to an address that is not loopback.

    def test_x(guard: NetGuard) -> None:
        guard.dns["images.example.test"] = ["10.0.0.7"]
        ...
        assert guard.blocked == [] and guard.lookups == ["images.example.test"]

Installed by the ``guard`` fixture (import it into a test module). It patches
``socket.getaddrinfo`` and ``socket.socket.connect``, which every client connection goes
through, so a refused destination can be proven to have been refused *before* any connect:
a test never sends a packet anywhere but loopback, even against code that does not refuse.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class NetGuard:
    #: Fake DNS: name -> addresses (anything else fails to resolve, except IP literals).
    dns: dict[str, list[str]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connects: list[tuple[str, int]] = field(default_factory=list)
    blocked: list[tuple[str, int]] = field(default_factory=list)

    def connected_ports(self) -> list[int]:
        return [port for host, port in self.connects if (host, port) not in self.blocked]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetGuard]:
    state = NetGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.split("%", 1)[0])
        except ValueError:
            state.lookups.append(name)
            if name not in state.dns:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            infos = []
            for address in state.dns[name]:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr: tuple[Any, ...] = (address, int(port or 0))
                if family == socket.AF_INET6:
                    sockaddr = (address, int(port or 0), 0, 0)
                infos.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
            return infos
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and len(address) >= 2:
            target = (str(address[0]), int(address[1]))
            state.connects.append(target)
            if not _is_loopback(target[0]):
                state.blocked.append(target)
                raise ConnectionRefusedError(111, "blocked by the test network guard")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield state


#: The flag that lets URL inputs and downloads reach loopback and private addresses.
OPT_IN = "--allow-private-network"
#: Address classes that flag opens; the others (metadata, multicast ...) stay refused.
PRIVATE_CLASSES = ("loopback", "private", "link_local", "shared", "unspecified")


def assert_address_refused(envelope: dict[str, Any], address_class: str, what: str) -> Any:
    """The envelope is an address-policy refusal of ``address_class`` (``INVALID_ARGUMENTS``,
    the message holding ``refused to {what}: ``, the opt-in in the recovery exactly when it
    would help); its recovery."""
    error = envelope["error"]
    assert error["code"] == "INVALID_ARGUMENTS"
    assert f"refused to {what}: " in error["message"]
    assert error["retryable"] is False
    recovery = error["recovery"]
    assert isinstance(recovery, dict)
    assert recovery["address_class"] == address_class
    if address_class in PRIVATE_CLASSES:
        assert recovery["opt_in_flag"] == OPT_IN
        assert recovery["opt_in_env"] == "IMAGE_SKILL_ALLOW_PRIVATE_NETWORK"
        assert OPT_IN in recovery["fix"]
    else:
        assert "opt_in_flag" not in recovery
        assert f"refused even with {OPT_IN}" in recovery["fix"]
    return recovery
