"""The whole-flow secrets scan: no raw token (nor its body) in any output or file written,
for each way of giving the token (see :mod:`secrettools`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faults import FaultServer
from secrettools import WAYS, scan_flows
from signaltools import local_serve


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FaultServer]]:
    root = tmp_path_factory.mktemp("secrets-server")
    with local_serve(root) as base, FaultServer(upstream=base) as proxy:
        yield base, proxy


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.timeout(300)
def test_no_flow_prints_or_writes_the_token(
    way: str, served: tuple[str, FaultServer], tmp_path: Path
) -> None:
    base, proxy = served
    scan, leaks = scan_flows(base, proxy, tmp_path, way)
    assert scan.failures == [], scan.failures  # every flow really ran (else the scan proves little)
    assert scan.flows >= 20
    assert leaks == [], leaks
