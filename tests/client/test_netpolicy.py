"""The network policy for URL inputs (pure: a fake resolver, no network at all)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from image_skill.api.netpolicy import (
    DestinationRefused,
    NetworkPolicy,
    ResolveFailed,
    address_class,
    parse_ip_literal,
)

#: Names the fake resolver knows; any other name is an error (nothing real is resolved).
FAKE_DNS: dict[str, list[str]] = {
    "images.example.test": ["93.184.216.34"],
    "dual.example.test": ["93.184.216.34", "2606:2800:220:1::1"],
    "sneaky.example.test": ["93.184.216.34", "10.0.0.7"],
    "sneaky6.example.test": ["2606:2800:220:1::1", "fd12:3456::1"],
    "meta.example.test": ["169.254.169.254"],
    "mapped.example.test": ["::ffff:127.0.0.1"],
    "nowhere.example.test": [],
}


class FakeResolver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        if host not in FAKE_DNS:
            raise ResolveFailed(host, "unknown to the fake resolver")
        return FAKE_DNS[host]


def policy(**kwargs: object) -> tuple[NetworkPolicy, FakeResolver]:
    resolver = FakeResolver()
    return NetworkPolicy(resolver=resolver, **kwargs), resolver  # type: ignore[arg-type]


def refused(host: str, scheme: str = "http", port: int | None = None, **kwargs: object) -> str:
    check, resolver = policy(**kwargs)
    with pytest.raises(DestinationRefused) as info:
        check.vet(scheme, host, port)
    return info.value.address_class


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("::1", "loopback"),
        ("[::1]", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd00::1", "private"),
        ("100.64.0.1", "shared"),
        ("169.254.1.1", "link_local"),
        ("fe80::1", "link_local"),
        ("fe80::1%25eth0", "link_local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.1.2.3", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "private"),  # documentation range: not global
        # IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms are judged by the IPv4 inside.
        ("::ffff:169.254.169.254", "metadata"),
        ("[::ffff:a9fe:a9fe]", "metadata"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("::127.0.0.1", "loopback"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        ("2002:7f00:1::", "loopback"),
        # Numeric IPv4 forms the C resolver accepts.
        ("0x7f000001", "loopback"),
        ("0X7F000001", "loopback"),
        ("2130706433", "loopback"),
        ("017700000001", "loopback"),
        ("127.1", "loopback"),
        ("127.0.1", "loopback"),
        ("0x7f.0.0.1", "loopback"),
        ("0177.0.0.01", "loopback"),
        ("0", "unspecified"),
        ("2852039166", "metadata"),  # 169.254.169.254 as one number
        ("0xa9fea9fe", "metadata"),
        ("127.0.0.1.", "loopback"),  # trailing dot
        # Names refused without resolving them.
        ("metadata.google.internal", "metadata"),
        ("METADATA.Google.Internal.", "metadata"),
        ("metadata", "metadata"),
        ("instance-data", "metadata"),
        ("localhost", "loopback"),
        ("api.localhost", "loopback"),
    ],
)
def test_refused_destinations(host: str, expected: str) -> None:
    assert refused(host) == expected


def test_names_and_literals_refused_by_form_are_never_resolved() -> None:
    check, resolver = policy()
    for host in ("metadata.google.internal", "localhost", "0x7f000001", "10.0.0.1", "::1"):
        with pytest.raises(DestinationRefused):
            check.vet("http", host, None)
    assert resolver.calls == []


def test_every_resolved_address_must_be_public() -> None:
    assert refused("sneaky.example.test") == "private"
    assert refused("sneaky6.example.test") == "private"
    assert refused("meta.example.test") == "metadata"
    assert refused("mapped.example.test") == "loopback"
    check, _ = policy()
    dual = check.vet("https", "dual.example.test", None)
    assert dual.addresses == ("93.184.216.34", "2606:2800:220:1::1")
    assert (dual.port, dual.allowed_by, dual.host_header) == (443, "public", "dual.example.test")


def test_public_literals_and_names_pass_with_their_addresses() -> None:
    check, resolver = policy()
    assert check.vet("http", "93.184.216.34", 8080).addresses == ("93.184.216.34",)
    assert check.vet("http", "93.184.216.34", 8080).host_header == "93.184.216.34:8080"
    assert check.vet("https", "[2606:2800:220:1::1]", None).host_header == "[2606:2800:220:1::1]"
    assert check.vet("HTTP", "Images.Example.Test", 80).addresses == ("93.184.216.34",)
    assert resolver.calls == ["images.example.test"]


def test_only_http_and_https() -> None:
    for scheme in ("ftp", "file", "gopher", ""):
        assert refused("images.example.test", scheme=scheme) == "scheme"
    assert refused("", scheme="http") == "scheme"


def test_resolution_failures_are_not_refusals() -> None:
    check, _ = policy()
    with pytest.raises(ResolveFailed):
        check.vet("http", "nowhere.example.test", None)
    with pytest.raises(ResolveFailed):
        check.vet("http", "unknown.example.test", None)


def test_allow_private_opens_private_classes_but_never_metadata() -> None:
    check, _ = policy(allow_private=True)
    for host in ("127.0.0.1", "::1", "10.0.0.1", "fd00::1", "169.254.1.1", "100.64.0.1"):
        assert check.vet("http", host, None).allowed_by == "allow_private_network"
    assert check.vet("http", "sneaky.example.test", None).addresses == (
        "93.184.216.34",
        "10.0.0.7",
    )
    for host in ("169.254.169.254", "::ffff:169.254.169.254", "metadata.google.internal"):
        assert refused(host, allow_private=True) == "metadata"
    assert refused("224.0.0.1", allow_private=True) == "multicast"
    assert refused("240.0.0.1", allow_private=True) == "reserved"


def test_the_api_origin_is_allowed_exactly() -> None:
    api = frozenset({("http", "127.0.0.1", 8000)})
    check, _ = policy(allowed_origins=api)
    assert check.vet("http", "127.0.0.1", 8000).allowed_by == "api_origin"
    # Same host, another port or scheme: not the API's origin.
    assert refused("127.0.0.1", port=8001, allowed_origins=api) == "loopback"
    assert refused("127.0.0.1", scheme="https", port=8000, allowed_origins=api) == "loopback"


def test_opt_in_hint_only_where_the_flag_would_help() -> None:
    check, _ = policy()
    with pytest.raises(DestinationRefused) as loopback:
        check.vet("http", "127.0.0.1", None)
    assert loopback.value.allowed_with_opt_in is True
    with pytest.raises(DestinationRefused) as metadata:
        check.vet("http", "169.254.169.254", None)
    assert metadata.value.allowed_with_opt_in is False
    assert "cloud metadata" in metadata.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        ("0x01020304", "1.2.3.4"),
        ("16909060", "1.2.3.4"),
        ("1.2.772", "1.2.3.4"),
        ("1.131844", "1.2.3.4"),
        ("images.example.test", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("1.2.3.256", None),
        ("4294967296", None),
        ("08.1.1.1", None),  # not octal, not decimal: a name for the resolver
        ("0x", "0.0.0.0"),
        ("1..2", None),
    ],
)
def test_numeric_ipv4_forms(text: str, expected: str | None) -> None:
    parsed = parse_ip_literal(text)
    assert (str(parsed) if parsed is not None else None) == expected


def test_public_addresses_have_no_class() -> None:
    for text in ("93.184.216.34", "8.8.8.8", "2606:2800:220:1::1", "2a00:1450::1"):
        parsed = parse_ip_literal(text)
        assert parsed is not None and address_class(parsed) is None
