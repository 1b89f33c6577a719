"""Issue 8 points 2 and 3: a spend's outcome is known only from a well-formed envelope.

The real backend (`local serve`) performs each create, edit or credits buy; the fault proxy
then mangles its reply: an ``ok`` that is not the boolean (``"false"``, ``"yes"``, ``1``,
missing), an ``error`` that is not an object, or a body that is no JSON envelope at all
(truncated, empty, a top-level array, 50 MB of garbage, a short Content-Length). Each is an
unknown outcome: ``retryable: true``, a recovery naming the same idempotency key, the
breadcrumb kept. The printed recovery, run as printed through ``bash``, then replays the
one spend: the agent is debited once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clitools import invoke
from faults import Fault, FaultServer, ProxiedReply
from spendtools import png
from upstreamtools import Agent, crumbs, local_serve, remaining, run_printed, saved_agent, shell_env

BUY_PATH = "/v1/credit-purchases/stripe-checkout-sessions"


def _json_edit(change: Callable[[dict[str, Any]], Any]) -> Callable[[ProxiedReply], ProxiedReply]:
    def edit(reply: ProxiedReply) -> ProxiedReply:
        value = change(json.loads(reply.body))
        return ProxiedReply(reply.status, reply.headers, json.dumps(value).encode())

    return edit


def _set(**fields: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda envelope: {**envelope, **fields}


def _drop_ok(envelope: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in envelope.items() if k != "ok"}


def _body(body: bytes) -> Callable[[ProxiedReply], ProxiedReply]:
    return lambda reply: ProxiedReply(reply.status, reply.headers, body)


@dataclass(frozen=True)
class Mangle:
    fault: Fault
    #: The reply is JSON holding a malformed envelope, kept under error.raw_reply.
    raw: bool = False


MANGLES: dict[str, Mangle] = {
    "ok-string-false": Mangle(Fault(proxy=True, edit=_json_edit(_set(ok="false"))), raw=True),
    "ok-yes": Mangle(Fault(proxy=True, edit=_json_edit(_set(ok="yes"))), raw=True),
    "ok-one": Mangle(Fault(proxy=True, edit=_json_edit(_set(ok=1))), raw=True),
    "ok-missing": Mangle(Fault(proxy=True, edit=_json_edit(_drop_ok))),
    "error-not-object": Mangle(
        Fault(proxy=True, edit=_json_edit(_set(ok=False, error="boom"))), raw=True
    ),
    "truncated": Mangle(
        Fault(proxy=True, edit=lambda r: ProxiedReply(r.status, r.headers, r.body[:40]))
    ),
    "empty": Mangle(Fault(proxy=True, edit=_body(b""))),
    "array": Mangle(Fault(proxy=True, edit=_json_edit(lambda envelope: [envelope]))),
    "garbage-50mb": Mangle(
        Fault.huge(50 * 1024 * 1024, chunk=b"\x00garbage" * 8192, proxy=True, replace=True)
    ),
    "short-content-length": Mangle(Fault(proxy=True, content_length=25)),
}
#: Every mangle for create; a representative few for edit and buy.
FEW = ("ok-string-false", "error-not-object", "truncated", "array")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_serve(tmp_path_factory.mktemp("upstream")) as base:
        yield base


@pytest.fixture
def fs(upstream: str) -> Iterator[FaultServer]:
    with FaultServer(upstream=upstream) as server:
        yield server


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fs: FaultServer) -> Agent:
    """A fresh agent whose token is saved in this test's config.

    Signed up through the proxy: a saved token is only sent to the base URL it was saved for.
    """
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    monkeypatch.chdir(tmp_path)
    return saved_agent(fs.url)


def _unknown_outcome(res: Any, key: str, mangle: Mangle, config: Path) -> str:
    """The checks every mangled spend reply must pass; the printed recovery command."""
    assert res.exit_code != 0, res.stdout
    error = res.json["error"]
    assert res.json["ok"] is False
    assert error["code"] == "HOSTED_API_NON_JSON_RESPONSE", error
    assert error["retryable"] is True
    recovery = error["recovery"]
    assert recovery["idempotency_key"] == key
    command = recovery["suggested_command"]
    assert f"--idempotency-key {key}" in command
    assert [crumb["idempotency_key"] for crumb in crumbs(config)] == [key]
    assert ("raw_reply" in error) is mangle.raw
    if mangle.raw:
        assert isinstance(error["raw_reply"], dict) and "ok" in error["raw_reply"]
    return command


def _config() -> Path:
    import os

    return Path(os.environ["IMAGE_SKILL_CONFIG_PATH"])


@pytest.mark.parametrize("name", list(MANGLES))
def test_mangled_create_reply_is_an_unknown_outcome_recovered_once(
    fs: FaultServer, upstream: str, agent: Agent, name: str
) -> None:
    mangle, config = MANGLES[name], _config()
    before = remaining(upstream, agent)
    key = f"mangled-create-{name}"
    fs.script("POST", "/v1/create", mangle.fault)
    res = invoke(
        "create",
        "--prompt",
        "mangled",
        "--model",
        "local.image",
        "--idempotency-key",
        key,
        "--api-base-url",
        fs.url,
    )
    command = _unknown_outcome(res, key, mangle, config)
    spent = before - remaining(upstream, agent)
    assert spent > 0  # the server did perform it

    replay = run_printed(command, env=shell_env(config), stdin=None)
    assert replay.exit_code == 0, replay.stdout
    assert replay.json["data"]["request"]["replayed"] is True
    assert before - remaining(upstream, agent) == spent  # debited once
    assert crumbs(config) == []


@pytest.mark.parametrize("name", FEW)
def test_mangled_edit_reply_is_an_unknown_outcome_recovered_once(
    fs: FaultServer, upstream: str, agent: Agent, name: str, tmp_path: Path
) -> None:
    mangle, config = MANGLES[name], _config()
    (tmp_path / "in.png").write_bytes(png(24, 24))
    before = remaining(upstream, agent)
    key = f"mangled-edit-{name}"
    fs.script("POST", "/v1/edit", mangle.fault)
    res = invoke(
        "edit",
        "--input",
        "in.png",
        "--prompt",
        "greener",
        "--model",
        "local.image-edit",
        "--idempotency-key",
        key,
        "--api-base-url",
        fs.url,
    )
    command = _unknown_outcome(res, key, mangle, config)
    spent = before - remaining(upstream, agent)
    assert spent > 0

    replay = run_printed(command, env=shell_env(config), stdin=None)
    assert replay.exit_code == 0, replay.stdout
    assert replay.json["data"]["request"]["replayed"] is True
    assert before - remaining(upstream, agent) == spent
    assert crumbs(config) == []


@pytest.mark.parametrize("name", FEW)
def test_mangled_buy_reply_is_an_unknown_outcome_recovered_once(
    fs: FaultServer, upstream: str, agent: Agent, name: str
) -> None:
    mangle, config = MANGLES[name], _config()
    quote = invoke(
        "credits",
        "quote",
        "--pack",
        "starter-500",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        f"mangled-quote-{name}",
        "--api-base-url",
        fs.url,  # unscripted, so proxied: the saved token belongs to the proxy's URL
    )
    assert quote.exit_code == 0, quote.stdout
    quote_id = quote.data["quote_id"]
    key = f"mangled-buy-{name}"
    fs.script("POST", BUY_PATH, mangle.fault)
    res = invoke(
        "credits",
        "buy",
        "--provider",
        "stripe",
        "--quote-id",
        quote_id,
        "--idempotency-key",
        key,
        "--api-base-url",
        fs.url,
    )
    command = _unknown_outcome(res, key, mangle, config)

    replay = run_printed(command, env=shell_env(config), stdin=None)
    assert replay.exit_code == 0, replay.stdout
    assert replay.json["actor"]["actor_id"] == agent.actor_id
    # The attempt the mangled request opened, replayed: not a second purchase.
    assert any("replayed" in warning for warning in replay.json["warnings"])
    status = invoke("credits", "status", "--quote-id", quote_id, "--api-base-url", fs.url)
    attempt = status.data["payment_attempt"]
    assert attempt["payment_attempt_id"] == replay.json["data"]["payment_attempt_id"]
    assert crumbs(config) == []
