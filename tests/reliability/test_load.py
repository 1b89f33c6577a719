"""A reduced load test in the normal suite: 8 client threads x 50 mixed requests against a
real ``local serve``; zero errors, no "database is locked", the ledger equals the balance."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from loadtools import run_load
from signaltools import local_serve


@pytest.mark.timeout(180)
def test_mixed_load_has_no_errors_and_the_ledger_equals_the_balance(tmp_path: Path) -> None:
    started = time.monotonic()
    with local_serve(tmp_path / "server") as base:
        figures = run_load(base, tmp_path / "server" / "local-data", clients=8, per_client=50)
    log = (tmp_path / "server" / "serve.log").read_text()
    assert figures.requests == 8 * 50
    assert figures.creates > 0 and figures.replays > 0
    assert figures.errors == 0, figures.error_samples
    assert figures.locked == 0 and "database is locked" not in log
    assert figures.ledger_problems == []
    assert time.monotonic() - started < 60
