"""Hypothesis over the reply parser: random statuses, headers, bodies and broken transports
from a loopback fault server, for each command class (read, spend, download, upload).

See :mod:`replytools` for the invariants (one valid envelope, a contract exit code, no
invented success, unknown spend outcomes keep their breadcrumb and get the same-key
recovery, failed downloads leave no file).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faults import Fault, FaultServer
from hostiletools import reply_faults
from replytools import CLASSES, asset_bytes_fault, no_retry_sleep, run_reply_case

EXAMPLES = int(os.environ.get("IMAGE_SKILL_RELIABILITY_EXAMPLES", "10")) * 2


@pytest.fixture(scope="module")
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.mark.parametrize("kind", CLASSES)
def test_any_reply_gives_one_envelope_and_keeps_the_spend_rules(
    kind: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    counter = itertools.count()

    @given(fault=reply_faults(), real_bytes=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    def check(fault: Fault, real_bytes: bool) -> None:
        if kind == "download" and real_bytes:
            fault = asset_bytes_fault(fault)
        with no_retry_sleep():
            problems = run_reply_case(kind, fault, fault_server, tmp_path, next(counter))
        assert not problems, (fault, problems)

    check()


@pytest.mark.parametrize(
    "fault",
    [
        Fault.json({"ok": "false", "error": {"code": "X", "message": "m", "retryable": False}}),
        Fault.json({"ok": "yes", "data": {}}),
        Fault.json({"ok": 1, "data": {}}),
        Fault.json([{"ok": True}]),
        Fault(body=b""),
        Fault(body=b'{"ok": true, "data": {"job_id": "job_1"', content_length=-1),
        Fault(body=b'{"ok": true}', content_length=400),
        Fault(body=b'{"ok": true, "data": {}}', content_length=5),
        Fault.huge(50 * 1024 * 1024),
        Fault.json({"ok": False, "error": "boom"}),
        Fault.json(
            {"ok": False, "error": {"code": "X", "message": "m", "retryable": False}},
            status=400,
            headers={"x-image-skill-exit-code": "42"},
        ),
        Fault(reset=True),
    ],
    ids=[
        "ok-string-false",
        "ok-yes",
        "ok-1",
        "top-level-array",
        "empty",
        "truncated-close-delimited",
        "content-length-too-long",
        "content-length-too-short",
        "50MB-garbage",
        "error-not-an-object",
        "exit-code-42",
        "reset",
    ],
)
@pytest.mark.parametrize("kind", ["spend-create", "spend-buy"])
def test_the_spend_replies_issue_8_names(
    kind: str, fault: Fault, fault_server: FaultServer, tmp_path: Path
) -> None:
    with no_retry_sleep():
        assert run_reply_case(kind, fault, fault_server, tmp_path, 0) == []
