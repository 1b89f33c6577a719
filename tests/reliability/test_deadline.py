"""``--timeout`` is a total limit per request attempt (issue 8, point 10): a server that drips
its reply one byte at a time cannot stretch a call past it. The same holds for URL inputs,
whose fetch has a total limit for all hops together."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import spendtools
from clitools import invoke
from faults import Fault, FaultServer
from image_skill import _constants as C
from image_skill.api.deadline import deadline, deadline_transport
from spendtools import LOCAL, png

account = spendtools.account

ENVELOPE = {
    "ok": True,
    "command": "image-skill whoami",
    "trace_id": "trace_x",
    "actor": None,
    "data": {"agent": {"name": "slow"}, "padding": "x" * 200},
    "warnings": [],
    "error": None,
}
#: Drips ~300 bytes at 10 per second: about 30 s unless something cuts it short.
DRIP = {"drip_interval": 0.1, "drip_size": 1}


@pytest.fixture
def fs() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def test_whoami_against_a_dripping_server_stops_at_the_timeout(fs: FaultServer) -> None:
    fs.script("GET", "/v1/whoami", Fault.json(ENVELOPE, **DRIP), repeat=True)
    started = time.monotonic()
    res = invoke("whoami", "--timeout", "2", "--token", "isk_x", "--api-base-url", fs.url)
    elapsed = time.monotonic() - started
    assert (res.exit_code, res.code) == (8, "TIMEOUT"), res.stdout
    assert 1.9 <= elapsed < 3.5
    assert "within 2 s" in res.json["error"]["message"]
    # The caller's limit is the limit: an attempt that used it up is not retried.
    assert len(fs.requests_to("/v1/whoami")) == 1


def test_a_create_that_runs_out_of_time_keeps_its_breadcrumb(
    fs: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(config))
    fs.script("POST", "/v1/create", Fault.json(ENVELOPE, **DRIP))
    started = time.monotonic()
    res = invoke(
        "create",
        "--prompt",
        "p",
        "--idempotency-key",
        "slow-key",
        "--timeout",
        "1.5",
        "--token",
        "isk_x",
        "--api-base-url",
        fs.url,
    )
    assert time.monotonic() - started < 3.0
    assert (res.exit_code, res.code) == (8, "TIMEOUT"), res.stdout
    recovery = res.json["error"]["recovery"]
    assert recovery["idempotency_key"] == "slow-key"
    [crumb] = (config.parent / "in-flight").glob("*.json")
    assert json.loads(crumb.read_text())["idempotency_key"] == "slow-key"


def test_without_a_deadline_slow_but_steady_replies_still_arrive(fs: FaultServer) -> None:
    fs.script("GET", "/v1/whoami", Fault.json(ENVELOPE, drip_interval=0.001, drip_size=64))
    res = invoke("whoami", "--timeout", "5", "--token", "isk_x", "--api-base-url", fs.url)
    assert res.exit_code == 0, res.stdout


def test_the_deadline_transport_bounds_headers_and_body_together(fs: FaultServer) -> None:
    """Checks the hook into httpx's connection pool itself (it would break silently if an
    httpx upgrade moved it): one dripped reply, cut at the deadline."""
    fs.script("GET", "/drip", Fault(body=b"y" * 300, **DRIP))
    with httpx.Client(transport=deadline_transport(), timeout=30) as http:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout), deadline(1.0):
            http.get(fs.url + "/drip")
        assert time.monotonic() - started < 1.8


def test_a_dripping_url_input_stops_at_the_fetch_limit(
    account: Path, fs: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(C, "REMOTE_FETCH_TIMEOUT", 1.5)
    fs.script("GET", "/slow.png", Fault(body=png(40, 40), **DRIP))
    started = time.monotonic()
    res = invoke("upload", f"{fs.url}/slow.png", "--allow-private-network", *LOCAL)
    assert time.monotonic() - started < 3.0
    assert (res.exit_code, res.code) == (7, "REMOTE_UPLOAD_FETCH_FAILED"), res.stdout
    assert "ReadTimeout" in res.json["error"]["message"]


def test_the_fetch_limit_covers_all_redirect_hops(
    account: Path, fs: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each hop answers just in time for a per-read timeout, but not for the total."""
    monkeypatch.setattr(C, "REMOTE_FETCH_TIMEOUT", 1.5)
    fs.script("GET", "/hop", Fault.redirect("/hop", delay=0.4), repeat=True)
    started = time.monotonic()
    res = invoke("upload", f"{fs.url}/hop", "--allow-private-network", *LOCAL)
    assert time.monotonic() - started < 3.0
    assert (res.exit_code, res.code) == (7, "REMOTE_UPLOAD_FETCH_FAILED"), res.stdout
    assert len(fs.requests_to("/hop")) <= 4
