"""Issue 8 point 1: a spend whose reply is lost is recovered under the same account.

The real backend (`local serve`) performs the spend; the fault server in front of it drops
the reply. The agent's token came from ``--token``, ``--token-stdin`` or
``IMAGE_SKILL_TOKEN`` while the saved config holds *another* agent's token. The printed
recovery command, run exactly as printed through ``bash`` (with the same token piped in
where it says ``--token-stdin``), must replay the spend for the same agent: that agent is
debited once, the config's agent not at all, and no raw token is printed or stored.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clitools import CliResult, invoke
from faults import Fault, FaultServer
from spendtools import png
from upstreamtools import (
    Agent,
    crumbs,
    local_serve,
    new_agent,
    remaining,
    run_printed,
    saved_agent,
    shell_env,
)

SOURCES = ("flag", "stdin", "env")
BUY_PATH = "/v1/credit-purchases/stripe-checkout-sessions"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_serve(tmp_path_factory.mktemp("upstream")) as base:
        yield base


@pytest.fixture
def fs(upstream: str) -> Iterator[FaultServer]:
    with FaultServer(upstream=upstream) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    return path


def _token_args(source: str, agent: Agent) -> tuple[list[str], str | None, dict[str, str]]:
    """Extra argv, stdin and env that hand ``agent``'s token over by ``source``."""
    if source == "flag":
        return ["--token", agent.token], None, {}
    if source == "stdin":
        return ["--token-stdin"], agent.token, {}
    return [], None, {"IMAGE_SKILL_TOKEN": agent.token}


@dataclass
class Recovered:
    """What the lost spend printed and recorded, and what its printed recovery gave."""

    first: CliResult
    command: str
    crumb: dict[str, Any]
    listed: dict[str, Any]
    replay: dict[str, Any]


def _lose_reply_and_recover(
    *,
    fs: FaultServer,
    upstream: str,
    config: Path,
    source: str,
    path: str,
    argv: list[str],
    agent: Agent,
) -> Recovered:
    """Run ``argv`` with the reply to ``path`` dropped, then its recovery as printed."""
    fs.script("POST", path, Fault(proxy=True, drop_reply=True))
    extra, stdin, env = _token_args(source, agent)
    first = invoke(*argv, *extra, "--api-base-url", fs.url, input=stdin, env=env)
    assert first.exit_code != 0, first.stdout
    assert first.json["error"]["retryable"] is True, first.stdout
    command = first.json["error"]["recovery"]["suggested_command"]
    [crumb] = crumbs(config)
    doctor = invoke("doctor", "--api-base-url", upstream)
    [listed] = doctor.data["in_flight"]["entries"]

    # As printed, in the agent's own shell (holding its env token when that is where the
    # token came from), with the same token piped in for a command that reads stdin.
    extra_env = {"IMAGE_SKILL_TOKEN": agent.token} if source == "env" else {}
    piped = None if source == "env" else agent.token + "\n"
    replay = run_printed(command, env=shell_env(config, **extra_env), stdin=piped)
    assert replay.exit_code == 0, (command, replay.stdout, replay.stderr)
    return Recovered(first, command, crumb, listed, replay.json)


def _check_record(done: Recovered, *, source: str, agent: Agent, tmp_path: Path) -> None:
    """The recovery says how to hand the token over, and no raw token is printed or kept."""
    recovery = done.first.json["error"]["recovery"]
    assert "--token-stdin" in shlex.split(done.command)
    assert recovery["token_source"] == source and recovery["token_hint"]
    # doctor rebuilds the very command the spend printed from the breadcrumb's argv
    assert done.command == done.listed["recover_command"]
    assert "--token-stdin" in done.crumb["argv"] and "--token" not in done.crumb["argv"]
    assert done.crumb["token_source"] == source == done.listed["token_source"]
    texts = [done.first.stdout, done.first.stderr, done.command]
    texts += [p.read_text() for p in tmp_path.rglob("*.json") if p.name != "config.json"]
    assert all(agent.token not in text for text in texts)


@pytest.mark.parametrize("source", SOURCES)
def test_lost_create_reply_recovers_under_the_same_agent(
    fs: FaultServer, upstream: str, config: Path, tmp_path: Path, source: str
) -> None:
    other = saved_agent(upstream)  # the config's agent
    agent = new_agent(upstream)
    before, other_before = remaining(upstream, agent), remaining(upstream, other)
    argv = ["create", "--prompt", "a lost reply", "--model", "local.image"]
    done = _lose_reply_and_recover(
        fs=fs,
        upstream=upstream,
        config=config,
        source=source,
        path="/v1/create",
        argv=argv,
        agent=agent,
    )
    replay = done.replay
    assert replay["actor"]["actor_id"] == agent.actor_id
    assert replay["data"]["request"]["replayed"] is True
    spent = before - remaining(upstream, agent)
    assert spent > 0  # debited once: the replay charged nothing more
    assert replay["data"]["cost"]["credit_pricing"]["credits_required"] == spent
    assert remaining(upstream, other) == other_before
    assert crumbs(config) == []
    _check_record(done, source=source, agent=agent, tmp_path=tmp_path)


@pytest.mark.parametrize("source", SOURCES)
def test_lost_edit_reply_recovers_under_the_same_agent(
    fs: FaultServer, upstream: str, config: Path, tmp_path: Path, source: str
) -> None:
    other = saved_agent(upstream)
    agent = new_agent(upstream)
    (tmp_path / "in.png").write_bytes(png(32, 32))
    before, other_before = remaining(upstream, agent), remaining(upstream, other)
    argv = ["edit", "--input", "in.png", "--prompt", "bluer", "--model", "local.image-edit"]
    done = _lose_reply_and_recover(
        fs=fs,
        upstream=upstream,
        config=config,
        source=source,
        path="/v1/edit",
        argv=argv,
        agent=agent,
    )
    replay = done.replay
    assert replay["actor"]["actor_id"] == agent.actor_id
    assert replay["data"]["request"]["replayed"] is True
    spent = before - remaining(upstream, agent)
    assert spent > 0
    assert replay["data"]["cost"]["credit_pricing"]["credits_required"] == spent
    assert remaining(upstream, other) == other_before
    assert crumbs(config) == []
    _check_record(done, source=source, agent=agent, tmp_path=tmp_path)


@pytest.mark.parametrize("source", SOURCES)
def test_lost_buy_reply_recovers_the_same_agents_purchase(
    fs: FaultServer, upstream: str, config: Path, tmp_path: Path, source: str
) -> None:
    saved_agent(upstream)  # the config's agent: a replay under it would not find the quote
    agent = new_agent(upstream)
    quote = invoke(
        "credits",
        "quote",
        "--pack",
        "starter-500",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        "same-account-quote",
        "--token-stdin",
        "--api-base-url",
        upstream,
        input=agent.token,
    )
    assert quote.exit_code == 0, quote.stdout
    quote_id = quote.data["quote_id"]
    argv = ["credits", "buy", "--provider", "stripe", "--quote-id", quote_id]
    argv += ["--idempotency-key", f"same-account-buy-{source}"]
    done = _lose_reply_and_recover(
        fs=fs,
        upstream=upstream,
        config=config,
        source=source,
        path=BUY_PATH,
        argv=argv,
        agent=agent,
    )
    replay = done.replay
    assert replay["actor"]["actor_id"] == agent.actor_id
    assert replay["data"]["quote_id"] == quote_id
    # The one payment attempt the lost request opened, replayed (not a second one).
    assert any("replayed" in warning for warning in replay["warnings"]), replay["warnings"]
    status = invoke(
        "credits",
        "status",
        "--quote-id",
        quote_id,
        "--token-stdin",
        "--api-base-url",
        upstream,
        input=agent.token,
    )
    assert status.exit_code == 0, status.stdout
    attempt = status.data["payment_attempt"]
    assert attempt["payment_attempt_id"] == replay["data"]["payment_attempt_id"]
    assert crumbs(config) == []
    _check_record(done, source=source, agent=agent, tmp_path=tmp_path)


def test_config_token_keeps_the_plain_command(fs: FaultServer, upstream: str, config: Path) -> None:
    """With the config's own token there is nothing to pipe: the command stays plain."""
    # Signed up through the proxy: a saved token is sent only to the base URL it was saved for.
    agent = saved_agent(fs.url)
    before = remaining(upstream, agent)
    fs.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
    res = invoke("create", "--prompt", "plain", "--model", "local.image", "--api-base-url", fs.url)
    recovery = res.json["error"]["recovery"]
    command = recovery["suggested_command"]
    assert "--token-stdin" not in command and "token_source" not in recovery
    replay = run_printed(command, env=shell_env(config), stdin=None)
    assert replay.exit_code == 0, replay.stdout
    assert replay.json["data"]["request"]["replayed"] is True
    assert (
        before - remaining(upstream, agent)
        == replay.json["data"]["cost"]["credit_pricing"]["credits_required"]
    )


def test_env_recovery_in_a_shell_without_the_variable_spends_nothing(
    fs: FaultServer, upstream: str, config: Path
) -> None:
    """Run where IMAGE_SKILL_TOKEN is unset, the env-token recovery stops with AUTH_REQUIRED
    instead of replaying under the saved config's (other) agent."""
    other = saved_agent(upstream)
    agent = new_agent(upstream)
    other_before = remaining(upstream, other)
    fs.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
    res = invoke(
        "create",
        "--prompt",
        "env",
        "--model",
        "local.image",
        "--api-base-url",
        fs.url,
        env={"IMAGE_SKILL_TOKEN": agent.token},
    )
    command = res.json["error"]["recovery"]["suggested_command"]
    replay = run_printed(command, env=shell_env(config), stdin=None)
    assert remaining(upstream, other) == other_before
    assert replay.exit_code == 3 and replay.json["error"]["code"] == "AUTH_REQUIRED"
    assert len(crumbs(config)) == 1  # still unknown, still recorded
    assert "$IMAGE_SKILL_TOKEN" in command and agent.token not in command
