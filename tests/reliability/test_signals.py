"""The signal harness over a real ``local serve`` (issue 8 point 8).

SIGINT/SIGTERM, single and double, at delays swept from the moment the interpreter can take a
signal to the end of one create: one valid envelope, exit 130 or the real outcome's code, the
breadcrumb kept exactly while the outcome is unknown, the printed recovery runnable at once
without a second charge. Creates go through a slow link (the real backend charges, then the
reply is held for a moment) so that the in-flight window is part of the sweep. The sweep has
``IMAGE_SKILL_RELIABILITY_SIGNAL_DELAYS`` delays (8 here; the benchmark runs more).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults import FaultServer
from signaltools import Calibration, Link, calibrate, local_serve, run_signal_case, sweep

DELAYS = int(os.environ.get("IMAGE_SKILL_RELIABILITY_SIGNAL_DELAYS", "8"))
#: How long the slow link holds each create's reply after the backend has charged it.
HOLD = 0.6

Served = tuple[str, Path, Link, Calibration]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("signals")
    with local_serve(root / "server") as base, FaultServer(upstream=base) as proxy:
        link = Link(proxy, HOLD)
        yield base, root, link, calibrate(base, root, link)


def _kind(index: int) -> str:
    case = sweep(1.0, DELAYS)[index]
    return f"{case.label.split('@')[0]}-{index + 1}of{DELAYS}"


@pytest.mark.parametrize("index", range(DELAYS), ids=_kind)
@pytest.mark.timeout(300)
def test_a_signal_at_any_moment_keeps_the_money_invariants(served: Served, index: int) -> None:
    base, root, link, calibration = served
    case = sweep(calibration.duration, DELAYS)[index]
    outcome = run_signal_case(base, root, case, calibration.price, index, link)
    assert outcome.problems == [], (case.label, outcome.exit_code, outcome.problems)
