"""Commands in replies run here (contract 0.1.70 §7-§8), against the live in-process local
backend: quota's derived ``next_actions.self_fund``, ``credits methods`` without ``--json``,
the quote's argument order and ``after_auth``, the payment next actions, create/edit
successes, jobs, assets and activity, and the quota wall's ``recovery.top_up``.

Every command found is checked word by word (the carried config path, our program prefix,
the explicit ``--api-base-url local`` once) and the ones that hold no placeholder are then
run, in-process, from exactly those words."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clitools import CliResult, invoke
from spendtools import LOCAL

PREFIX = "/opt/agent/bin/python -m image_skill"
PLACEHOLDERS = ("QUOTE_ID", "PAYMENT_ATTEMPT_ID", "KEY", "PROMPT", "ASSET_ID", "PATH")


@pytest.fixture(autouse=True)
def known_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """A prefix no server could guess, so every rewritten command is recognisable."""
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", PREFIX)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config path under tmp_path, no account."""
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    return path


def commands_in(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for every string that mentions a program word."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from commands_in(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from commands_in(value, f"{path}[{index}]")
    elif isinstance(node, str) and ("image-skill " in node or "image_skill " in node):
        yield path, node


def our_words(command: str, config: Path) -> list[str]:
    """The words after our prefix, after checking what comes before them and the base."""
    words = shlex.split(command)
    assert words[0] == f"IMAGE_SKILL_CONFIG_PATH={config}", command
    assert words[1:4] == shlex.split(PREFIX), command
    rest = words[4:]
    assert rest.count("--api-base-url") == 1, command
    assert rest[rest.index("--api-base-url") + 1] == "local", command
    return rest


def check_all(data: Any, config: Path, *, skip: tuple[str, ...] = ()) -> list[list[str]]:
    """Every command in ``data`` is ours; return the word lists of those without placeholders."""
    runnable = []
    found = list(commands_in(data))
    assert found, "the reply holds no command"
    for path, command in found:
        if path.startswith(skip):
            continue
        words = our_words(command, config)
        if not any(p in words for p in PLACEHOLDERS):
            runnable.append(words)
    return runnable


def run_words(words: list[str]) -> CliResult:
    res = invoke(*words)
    assert res.exit_code == 0, (words, res.stdout)
    return res


def test_quota_derives_self_fund_and_every_command_runs(account: Path) -> None:
    for words in (["quota"], ["usage", "quota"], ["usage"]):
        res = invoke(*words, *LOCAL)
        assert res.exit_code == 0, res.stdout
        data = res.data
        assert list(data)[-2:] == ["top_up", "next_actions"]
        action = data["next_actions"]["self_fund"]
        assert action["purpose"] == "open_browserless_top_up_path"
        assert action["first_safe_command"] == data["top_up"]["commands"]["inspect_methods"]
        assert action["quote_command"] == data["top_up"]["commands"]["quote"]
        assert action["live_money"] is False  # the local rails are simulated, and say so
    runnable = check_all(res.data, account)
    assert ["credits", "methods", "--api-base-url", "local", "--json"] in runnable
    for words in runnable:
        run_words(words)


def test_methods_need_no_json_flag_and_hand_out_runnable_quotes(account: Path) -> None:
    res = invoke("credits", "methods", *LOCAL)  # no --json (0.1.70 §7.5)
    assert res.exit_code == 0 and res.json["ok"] is True
    recommended = res.data["next_actions"]["recommended_quote"]
    quote = our_words(recommended["command"], account)
    assert quote[:2] == ["credits", "quote"]
    for method in res.data["methods"]:
        recovery = method.get("recovery") or {}
        for key in ("quote_command", "purchase_command", "status_command"):
            if isinstance(recovery.get(key), str):
                our_words(recovery[key], account)
    bought = run_words(quote).data
    buy = our_words(bought["next_actions"]["recommended_buy"]["command"], account)
    assert buy[:2] == ["credits", "buy"] and "KEY" not in buy
    paying = run_words(buy).data
    for words in check_all(paying, account):
        run_words(words)  # status, the local settle, the quota
    status = invoke("credits", "status", "--quote-id", bought["quote_id"], *LOCAL)
    assert status.exit_code == 0
    check_all(status.data, account)


def test_quote_argument_errors_come_before_the_token(config: Path) -> None:
    # No token anywhere: argument errors still exit 2 (0.1.30 said AUTH_REQUIRED first).
    cases = [
        (["--payment-method", "stripe_checkout"], "--pack PACK_ID or --credits N"),
        (["--pack", "starter-500"], "--payment-method"),
        (["--pack", "starter-500", "--payment-method", "paypal"], "stripe_checkout"),
    ]
    for args, text in cases:
        res = invoke("credits", "quote", *args, *LOCAL)
        assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS"), res.stdout
        assert text in res.json["error"]["message"]
        assert "after_auth" not in (res.json["error"].get("recovery") or {})
    missing = invoke("credits", "quote", "--pack", "starter-500", *LOCAL).json["error"]
    assert "--json" not in missing["message"]


def test_quote_without_a_token_hands_over_the_same_quote(config: Path) -> None:
    res = invoke(
        "credits",
        "quote",
        *("--credits", "1e3", "--payment-method", "stripe_checkout"),
        *("--idempotency-key", "q-after-auth"),
        *LOCAL,
    )
    assert (res.exit_code, res.code) == (3, "AUTH_REQUIRED")
    assert res.json["command"] == "image-skill credits"
    recovery = res.json["error"]["recovery"]
    assert list(recovery)[-1] == "after_auth" and "suggested_command" in recovery
    after = recovery["after_auth"]
    assert list(after) == [
        "command",
        "command_copy_runnable",
        "with_env",
        "with_stdin",
        "accepted_methods",
        "requires_auth",
        "command_effect",
    ]
    assert our_words(after["command"], config) == [
        *("credits", "quote", "--credits", "1000", "--payment-method", "stripe_checkout"),
        *("--idempotency-key", "q-after-auth", "--api-base-url", "local", "--json"),
    ]
    assert after["command_copy_runnable"] is True
    assert after["with_env"] == f'IMAGE_SKILL_TOKEN="$IMAGE_SKILL_TOKEN" {after["command"]}'
    assert after["with_stdin"] == (
        f"printf '%s\\n' \"$IMAGE_SKILL_TOKEN\" | {after['command']} --token-stdin"
    )
    assert after["accepted_methods"] == ["config", "IMAGE_SKILL_TOKEN", "--token-stdin"]
    assert after["command_effect"]["label"] == "live_money_quote_no_charge"
    # a generated key is the one this call made, and an empty --token-stdin gets it too
    piped = invoke(
        *("credits", "quote", "--pack", "starter-500", "--payment-method", "stripe_checkout"),
        *("--token-stdin", *LOCAL),
        input="",
    )
    assert piped.code == "AUTH_REQUIRED"
    words = shlex.split(piped.json["error"]["recovery"]["after_auth"]["command"])
    assert words[words.index("--pack") + 1] == "starter-500"
    assert words[words.index("--idempotency-key") + 1].startswith("quote-")


def test_a_token_the_server_refuses_gets_no_after_auth(config: Path) -> None:
    res = invoke(
        *("credits", "quote", "--pack", "starter-500", "--payment-method", "stripe_checkout"),
        *("--token", "isk_r_not-a-real-token-000000", *LOCAL),
    )
    assert res.exit_code == 3, res.stdout
    assert "after_auth" not in (res.json["error"].get("recovery") or {})


def test_create_jobs_assets_and_activity_replies(account: Path, tmp_path: Path) -> None:
    created = invoke("create", "--prompt", "a lighthouse", *LOCAL)
    assert created.exit_code == 0, created.stdout
    data = created.data
    actions = data["next_actions"]
    assert {"inspect_job", "inspect_asset", "iterate_edit"} <= set(actions)
    runnable = check_all(data, account)
    assert ["jobs", "show", data["job_id"], "--api-base-url", "local", "--json"] in runnable
    job = run_words(our_words(actions["inspect_job"]["command"], account)).data
    # the top-level mirrors of job.status / job.assets / job.cost
    assert (job["status"], job["state"]) == (job["job"]["status"], job["job"]["status"])
    assert job["assets"] == job["job"]["assets"] and job["cost"] == job["job"]["cost"]
    check_all(job, account)
    run_words(our_words(actions["inspect_asset"]["command"], account))
    asset_id = data["assets"][0]["asset_id"]
    shown = invoke("assets", "show", asset_id, *LOCAL)
    assert shown.exit_code == 0 and "next_actions" in shown.data
    got = invoke("assets", "get", asset_id, "--output", str(tmp_path / "got.png"), *LOCAL)
    assert got.exit_code == 0, got.stdout
    assert list(got.data) == ["request", "asset", "download", "next_actions"]
    assert got.data["next_actions"] == shown.data["next_actions"]
    check_all(got.data, account, skip=(".asset", ".download"))
    activity = invoke("activity", "list", *LOCAL)
    assert activity.exit_code == 0
    check_all(activity.data.get("next_actions"), account)


def test_the_quota_wall_offers_a_runnable_top_up(account: Path) -> None:
    for index in range(12):
        res = invoke("create", "--prompt", f"filler {index}", *LOCAL)
        if res.exit_code != 0:
            break
    else:
        raise AssertionError("the free allowance never ran out")
    assert (res.exit_code, res.code) == (5, "QUOTA_EXCEEDED"), res.stdout
    recovery = res.json["error"]["recovery"]
    assert recovery["top_up"]["available"] is True
    # with a top_up, the recovery's own commands are rewritten in place (§7.4)
    assert our_words(recovery["suggested_command"], account)[:2] == ["credits", "methods"]
    for command in recovery["suggested_commands"]:
        our_words(command, account)
    runnable = check_all(recovery["top_up"], account)
    for words in runnable:
        run_words(words)
    assert "runnable_command" not in recovery
    assert json.loads(res.stdout)["warnings"] == res.json["warnings"]
