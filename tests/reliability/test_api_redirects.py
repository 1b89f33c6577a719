"""A spend is never re-sent to another origin by a redirect (issue 8, point 5).

The configured API is a fault server (``api``); ``elsewhere`` is a second one on another
port that records anything that reaches it. A 3xx to another origin must leave
``elsewhere`` untouched, end with HOSTED_API_REDIRECT_REFUSED (exit 7) and, for a spend,
keep the breadcrumb and offer the same-key recovery (the outcome is unknown).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import nettools
from clitools import CliResult, invoke
from faults import Fault, FaultServer
from nettools import NetGuard

guard = nettools.guard

TOKEN = "isk_r_redirect_test_token"
OK = {
    "ok": True,
    "command": "image-skill create",
    "trace_id": "trace_x",
    "actor": None,
    "data": {"job": {"job_id": "job_1", "status": "succeeded"}, "assets": []},
    "warnings": [],
    "error": None,
}


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture
def api() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[FaultServer]:
    with FaultServer(default=Fault.json(OK)) as server:
        yield server


def crumbs(cfg: Path) -> list[Path]:
    folder = cfg.parent / "in-flight"
    return sorted(folder.glob("*.json")) if folder.exists() else []


SPENDS = {
    "create": (
        "/v1/create",
        ["create", "--prompt", "a red fox", "--model", "local.image"],
    ),
    "edit": (
        "/v1/edit",
        ["edit", "--input", "image_abc123", "--prompt", "make it blue"],
    ),
    "credits buy": (
        "/v1/credit-purchases/stripe-checkout-sessions",
        ["credits", "buy", "--provider", "stripe", "--quote-id", "quote_1"],
    ),
}


def run_spend(api: FaultServer, words: list[str], key: str) -> CliResult:
    return invoke(*words, "--idempotency-key", key, "--token", TOKEN, "--api-base-url", api.url)


def assert_unknown_outcome(res: CliResult, cfg: Path, key: str) -> None:
    assert (res.exit_code, res.code) == (7, "HOSTED_API_REDIRECT_REFUSED"), res.stdout
    error = res.json["error"]
    assert error["retryable"] is True
    assert "outcome is unknown" in error["message"]
    recovery = error["recovery"]
    assert recovery["idempotency_key"] == key
    assert f"--idempotency-key {key}" in recovery["suggested_command"]
    [crumb] = crumbs(cfg)
    assert json.loads(crumb.read_text())["idempotency_key"] == key


@pytest.mark.parametrize("spend", sorted(SPENDS))
@pytest.mark.parametrize("status", [307, 308, 302])
def test_a_spend_is_not_sent_to_another_port(
    cfg: Path,
    api: FaultServer,
    elsewhere: FaultServer,
    guard: NetGuard,
    spend: str,
    status: int,
) -> None:
    path, words = SPENDS[spend]
    api.script("POST", path, Fault.redirect(elsewhere.url + path, status=status))
    key = f"redir-{status}-{spend.replace(' ', '-')}"
    res = run_spend(api, words, key)
    assert_unknown_outcome(res, cfg, key)
    assert res.json["error"]["recovery"]["redirect_origin"] == elsewhere.url
    assert elsewhere.requests == []
    [sent] = api.requests_to(path)
    assert sent.json()["idempotency_key"] == key
    assert set(guard.connected_ports()) == {api.port}


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:{port}/v1/create",  # same server, another host name
        "https://127.0.0.1:{port}/v1/create",  # another scheme
        "http://169.254.169.254/v1/create",
        "http://[::ffff:10.0.0.1]:8080/v1/create",
    ],
)
def test_a_create_is_not_sent_to_another_host_or_scheme(
    cfg: Path, api: FaultServer, guard: NetGuard, target: str
) -> None:
    api.script("POST", "/v1/create", Fault.redirect(target.format(port=api.port), status=307))
    res = run_spend(api, SPENDS["create"][1], "redir-host")
    assert_unknown_outcome(res, cfg, "redir-host")
    assert len(api.requests) == 1
    assert guard.blocked == [] and set(guard.connected_ports()) == {api.port}


def test_a_redirect_within_the_api_origin_is_followed(cfg: Path, api: FaultServer) -> None:
    api.script("POST", "/v1/create", Fault.redirect("/v1/moved/create", status=307))
    api.script("POST", "/v1/moved/create", Fault.json(OK))
    res = run_spend(api, SPENDS["create"][1], "redir-same")
    assert res.exit_code == 0, res.stdout
    first, second = api.requests
    assert second.path == "/v1/moved/create" and second.body == first.body
    assert crumbs(cfg) == []


def test_endless_same_origin_redirects_stop(cfg: Path, api: FaultServer) -> None:
    api.script("POST", "/v1/create", Fault.redirect("/v1/create", status=307), repeat=True)
    res = run_spend(api, SPENDS["create"][1], "redir-loop")
    assert_unknown_outcome(res, cfg, "redir-loop")
    assert len(api.requests) == 6


def test_a_read_redirected_elsewhere_is_refused_and_sends_no_token(
    cfg: Path, api: FaultServer, elsewhere: FaultServer
) -> None:
    api.script("GET", "/v1/whoami", Fault.redirect(elsewhere.url + "/v1/whoami", status=302))
    res = invoke("whoami", "--token", TOKEN, "--api-base-url", api.url)
    assert (res.exit_code, res.code) == (7, "HOSTED_API_REDIRECT_REFUSED"), res.stdout
    assert res.json["error"]["retryable"] is False
    assert elsewhere.requests == []
    assert TOKEN not in res.stdout
