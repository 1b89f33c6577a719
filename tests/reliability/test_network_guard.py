"""Requests to places they must not go (issue 8 point 5): URL inputs and redirects to
metadata, private, loopback and odd-notation addresses, and a spend moved to another origin,
are refused before any connection (see :mod:`networktools`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faults import FaultServer
from hostiletools import REFUSAL
from networktools import NetworkCase, network_cases, run_network_case

_PLACEHOLDER_API, _PLACEHOLDER_SECRET = "http://127.0.0.1:API", "http://127.0.0.1:SECRET"
CASES = network_cases(_PLACEHOLDER_API, _PLACEHOLDER_SECRET)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FaultServer, FaultServer]]:
    with FaultServer(default=REFUSAL) as api, FaultServer() as secret:
        yield api, secret


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case.name for case in CASES])
def test_nothing_reaches_a_refused_place(
    index: int, servers: tuple[FaultServer, FaultServer]
) -> None:
    api, secret = servers
    case: NetworkCase = network_cases(api.url, secret.url)[index]
    assert run_network_case(case, api, secret) == []
