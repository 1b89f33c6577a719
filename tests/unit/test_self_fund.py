"""Quota ``next_actions.self_fund`` derived from ``top_up`` (cli/self_fund.py, 0.1.70 §7.1-7.2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from image_skill.cli.self_fund import FIRST_SAFE_COMMAND_EFFECT, self_fund, with_self_fund

COMMANDS = {
    "inspect_methods": "m",
    "inspect_packs": "p",
    "quote": "q",
    "buy": "b",
    "status": "s",
    "fallback_quote": "fq",
    "fallback_buy": "fb",
}


def top_up(**extra: Any) -> dict[str, Any]:
    return {
        "available": True,
        "preferred_payment_method": "stripe_x402.exact.usdc",
        "commands": dict(COMMANDS),
        "workflow": {"steps": [{"command": "m"}]},
        **extra,
    }


def test_the_self_fund_shape_in_0_1_70_order() -> None:
    action = self_fund(top_up(path="browserless_x402", recommended=True))
    assert action is not None
    assert list(action) == [
        "purpose",
        "available",
        "recommended",
        "recommendation_reason",
        "urgency",
        "urgency_score",
        "urgency_reasons",
        "path",
        "first_safe_command",
        "first_safe_command_effect",
        "inspect_methods_command",
        "inspect_packs_command",
        "quote_command",
        "quote_command_copy_runnable",
        "quote_idempotency_key_source",
        "buy_command",
        "status_command",
        "fallback_quote_command",
        "fallback_buy_command",
        "live_money",
        "payment_method",
        "workflow",
        "warning",
    ]
    assert action["purpose"] == "open_browserless_top_up_path"
    assert action["recommended"] is True and action["recommendation_reason"] == "available"
    assert (action["urgency"], action["urgency_score"], action["urgency_reasons"]) == (
        "available",
        0,
        [],
    )
    assert action["first_safe_command"] == action["inspect_methods_command"] == "m"
    assert action["first_safe_command_effect"] == FIRST_SAFE_COMMAND_EFFECT
    assert (action["quote_command"], action["buy_command"], action["fallback_buy_command"]) == (
        "q",
        "b",
        "fb",
    )
    assert action["quote_idempotency_key_source"] == "public_cli_generated_if_missing"
    assert action["live_money"] is True and action["payment_method"] == "stripe_x402.exact.usdc"


def test_path_is_left_out_when_absent_and_live_money_believed_when_stated() -> None:
    action = self_fund(top_up(live_money=False, recommended="yes"))
    assert action is not None
    assert "path" not in action and action["live_money"] is False
    assert action["recommended"] is False  # only the boolean true counts


@pytest.mark.parametrize(
    ("reason", "urgency", "score"),
    [
        ("credits_depleted", "blocked", 100),
        ("daily_job_cap_reached", "blocked", 100),
        ("low_remaining_credits", "near_wall", 80),
        ("self_fund_setup_missing", "setup_recommended", 60),
        ("something_new", "available", 0),
    ],
)
def test_urgency_from_the_reason(reason: str, urgency: str, score: int) -> None:
    action = self_fund(top_up(recommendation_reason=reason))
    assert action is not None
    assert (action["urgency"], action["urgency_score"]) == (urgency, score)
    assert action["urgency_reasons"] == [reason]


def test_server_urgency_wins_when_well_formed() -> None:
    action = self_fund(
        top_up(
            recommendation_reason="low_remaining_credits",
            urgency="custom",
            urgency_score=7,
            urgency_reasons=["a", "", 3, "b"],
        )
    )
    assert action is not None
    assert (action["urgency"], action["urgency_score"], action["urgency_reasons"]) == (
        "custom",
        7,
        ["a", "b"],
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"available": False},
        {"available": "true"},
        {"workflow": None},
        {"workflow": []},
        {"commands": {**COMMANDS, "fallback_buy": None}},
        {"commands": {k: v for k, v in COMMANDS.items() if k != "status"}},
        {"commands": "m"},
    ],
)
def test_no_action_unless_the_top_up_is_complete(broken: dict[str, Any]) -> None:
    assert self_fund({**top_up(), **broken}) is None
    data = {"top_up": {**top_up(), **broken}, "next_actions": {"server": 1}}
    assert with_self_fund(data) is False and data["next_actions"] == {"server": 1}


def test_with_self_fund_replaces_the_servers_next_actions_in_place() -> None:
    data = {"limits": {}, "next_actions": {"server": 1}, "top_up": top_up()}
    assert with_self_fund(data) is True
    assert list(data) == ["limits", "next_actions", "top_up"]
    assert list(data["next_actions"]) == ["self_fund"]
    appended = {"limits": {}, "top_up": top_up()}
    with_self_fund(appended)
    assert list(appended) == ["limits", "top_up", "next_actions"]
    # the workflow is a copy: changing one does not change the other
    appended["next_actions"]["self_fund"]["workflow"]["steps"].append({})
    assert appended["top_up"]["workflow"] == {"steps": [{"command": "m"}]}
    assert with_self_fund({"top_up": None}) is False
    assert copy.deepcopy(top_up()) == top_up()


def test_the_local_backend_derives_the_same_action_plus_simulated() -> None:
    from image_skill.local.billing import top_up as local_top_up

    top = local_top_up.top_up(
        "http://127.0.0.1:1", total_remaining=5, paid_remaining=0, daily_remaining=3
    )
    cli_action = self_fund(top)
    local_action = local_top_up.self_fund(top)
    assert cli_action is not None
    keys = list(cli_action)
    assert list(local_action) == [
        *keys[: keys.index("live_money") + 1],
        "simulated",
        *keys[keys.index("live_money") + 1 :],
    ]
    assert local_action["simulated"] is True and local_action["live_money"] is False
    assert local_action["warning"] == local_top_up.SELF_FUND_WARNING != cli_action["warning"]
    same = {k: v for k, v in local_action.items() if k not in ("simulated", "warning")}
    assert same == {k: v for k, v in cli_action.items() if k != "warning"}
    assert local_action["urgency"] == "near_wall" and local_action["recommended"] is True
