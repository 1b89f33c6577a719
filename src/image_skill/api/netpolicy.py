"""Where a user-supplied URL may be fetched from: the network policy for URL inputs.

Every URL the tool fetches on a user's behalf (``upload URL``, ``edit --input URL``,
``--reference-image URL``, ``--element-frontal URL`` ...) is vetted here first, on every
redirect hop, before anything connects:

* only ``http`` and ``https``, with a host;
* the host is resolved (an IP literal, including the numeric IPv4 forms ``inet_aton``
  accepts such as ``0x7f000001``, ``2130706433``, ``127.1`` or ``017700000001``, is taken as
  it is) and **every** address it resolves to must be public. Refused classes: loopback,
  private (RFC 1918, ``fc00::/7``, the other non-global special ranges), shared
  (``100.64.0.0/10``), link-local (``169.254.0.0/16``, ``fe80::/10``), unspecified
  (``0.0.0.0``, ``::``), multicast, reserved, and cloud metadata endpoints (by address:
  ``169.254.169.254``, ``fd00:ec2::254`` ...; by name: ``metadata.google.internal`` ...).
  IPv6 forms that embed an IPv4 address (``::ffff:a.b.c.d``, ``::a.b.c.d``, NAT64
  ``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the embedded address;
* the origin of the configured API (scheme, host and port of ``--api-base-url``) is always
  allowed: a ``local serve`` on loopback must keep working (asset downloads also allow
  :data:`HOSTED_MEDIA_ORIGIN`, the hosted media host);
* ``allow_private=True`` (``--allow-private-network``) lets loopback, private, shared,
  link-local and unspecified destinations through. Metadata endpoints, multicast and
  reserved addresses stay refused even then.

:func:`vet` returns the addresses it checked, and the fetcher connects to one of those very
addresses (never resolving the name a second time), so a DNS answer that changes between
the check and the connect (DNS rebinding) cannot redirect the request.

Pure logic apart from the resolver call; the resolver is injectable (tests pass a fake one,
so no test depends on, or sends anything to, a real network).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection, Sequence
from typing import NamedTuple

__all__ = [
    "HOSTED_MEDIA_ORIGIN",
    "METADATA_ADDRESSES",
    "METADATA_NAMES",
    "Destination",
    "DestinationRefused",
    "NetworkPolicy",
    "Origin",
    "ResolveFailed",
    "address_class",
    "parse_ip_literal",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(scheme, host, port)`` with the host lower-cased and the port made explicit.
Origin = tuple[str, str, int]
Resolver = Callable[[str, int], Sequence[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
#: The hosted backend's media host: asset downloads may always be fetched from it.
HOSTED_MEDIA_ORIGIN: Origin = ("https", "media.image-skill.com", 443)

#: Cloud instance metadata and host-internal service addresses (AWS, ECS, GCP, Azure,
#: Alibaba, OpenStack ...). Refused even with ``allow_private``.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",
        "169.254.169.253",
        "169.254.170.2",
        "169.254.169.123",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "100.100.100.200",
        "168.63.129.16",
    )
)
#: Host names of metadata services (compared without a trailing dot, lower-cased).
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
#: Classes ``allow_private`` lets through.
PRIVATE_CLASSES = frozenset({"loopback", "private", "shared", "link_local", "unspecified"})

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class DestinationRefused(Exception):
    """The policy refuses this destination; nothing was (or may be) connected to it."""

    def __init__(self, host: str, address_class: str, address: str | None, reason: str) -> None:
        super().__init__(reason)
        self.host = host
        self.address_class = address_class
        self.address = address
        self.reason = reason
        #: Whether ``--allow-private-network`` would let this destination through.
        self.allowed_with_opt_in = address_class in PRIVATE_CLASSES


class ResolveFailed(Exception):
    """The host name has no address (or the resolver failed)."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"could not resolve {host}: {detail}")
        self.host = host
        self.detail = detail


class Destination(NamedTuple):
    """A vetted destination: connect to one of ``addresses`` and send ``host_header``."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]
    allowed_by: str  # "public", "api_origin" or "allow_private_network"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS.get(self.scheme):
            return host
        return f"{host}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (``socket.getaddrinfo``), in its order, deduplicated."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ResolveFailed(host, str(exc) or exc.__class__.__name__) from None
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]
        if text not in addresses:
            addresses.append(text)
    return addresses


def _inet_aton_part(text: str) -> int | None:
    if text == "":
        return None
    try:
        if text[:2].lower() == "0x":
            return int(text[2:], 16) if text[2:] else 0
        if len(text) > 1 and text.startswith("0"):
            return int(text[1:], 8)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


def _numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of a numeric IPv4 form the C resolver accepts (``127.1``, ``0x7f000001``)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_inet_aton_part(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address when ``host`` is an IP literal (brackets, zone id and trailing dot allowed)."""
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    return _numeric_ipv4(text[:-1] if text.endswith(".") else text)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_class(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched from (a class name), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_class(embedded)
    checks: tuple[tuple[str, bool], ...] = (
        ("metadata", address in METADATA_ADDRESSES),
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link_local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared", isinstance(address, ipaddress.IPv4Address) and address in _SHARED),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("reserved", not address.is_global),
    )
    for name, matches in checks:
        if matches:
            return name
    return None


_DESCRIPTIONS = {
    "loopback": "a loopback address",
    "private": "a private network address",
    "shared": "a carrier-grade NAT (shared) address",
    "link_local": "a link-local address",
    "unspecified": "the unspecified address",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "metadata": "a cloud metadata endpoint",
}


def describe(address_class_name: str) -> str:
    return _DESCRIPTIONS.get(address_class_name, "an address that is not public")


def _name_class(name: str) -> str | None:
    if name in METADATA_NAMES:
        return "metadata"
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback"
    return None


class NetworkPolicy(NamedTuple):
    """Which destinations a user-URL fetch may reach; see the module docstring."""

    allow_private: bool = False
    allowed_origins: Collection[Origin] = frozenset()
    resolver: Resolver = system_resolver

    def vet(self, scheme: str, host: str, port: int | None) -> Destination:
        """Check one hop; raise :class:`DestinationRefused` or :class:`ResolveFailed`."""
        scheme = scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise DestinationRefused(host, "scheme", None, "only http and https URLs are fetched")
        name = host.strip().lower()
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        if not name:
            raise DestinationRefused(host, "scheme", None, "the URL has no host")
        port = port if port is not None else DEFAULT_PORTS[scheme]
        if (scheme, name, port) in self.allowed_origins:
            return Destination(scheme, name, port, self._addresses(name, port), "api_origin")
        bare = name[:-1] if name.endswith(".") else name
        literal = parse_ip_literal(name)
        by_name = _name_class(bare) if literal is None else None
        if by_name is not None:
            self._refuse(name, by_name, None, literal=False)
        addresses = self._addresses(name, port) if literal is None else (str(literal),)
        allowed_by = "public"
        for text in addresses:
            parsed = parse_ip_literal(text)
            found = "reserved" if parsed is None else address_class(parsed)
            if found is not None:
                self._refuse(name, found, text, literal=literal is not None)
                allowed_by = "allow_private_network"
        return Destination(scheme, name, port, addresses, allowed_by)

    def _addresses(self, name: str, port: int) -> tuple[str, ...]:
        literal = parse_ip_literal(name)
        if literal is not None:
            return (str(literal),)
        found = tuple(self.resolver(name, port))
        if not found:
            raise ResolveFailed(name, "no addresses")
        return found

    def _refuse(self, host: str, found: str, address: str | None, *, literal: bool) -> None:
        """Raise unless ``allow_private`` covers this class."""
        if self.allow_private and found in PRIVATE_CLASSES:
            return
        if address is None or address == host:
            where = f"{host} is"
        elif literal:
            where = f"{host} (the address {address}) is"
        else:
            where = f"{host} resolves to {address},"
        raise DestinationRefused(host, found, address, f"{where} {describe(found)}")
