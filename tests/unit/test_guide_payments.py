"""``checks.payments`` and the quota-stage handoff, one rule at a time (digest §5, §9.8).

The rails here each differ from the others in exactly the field a rule reads, so a changed
condition (``is True`` / ``is not False``, ``and`` / ``or``, a group's order) shows up.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from image_skill.guide import text as T
from image_skill.guide.payments import (
    DEFAULT_METHODS_COMMAND,
    DEFAULT_PACKS_COMMAND,
    DEFAULT_PURCHASE_COMMAND,
    DEFAULT_STATUS_COMMAND,
    X402_METHOD_ID,
    command_by_kind,
    first_payment_action,
    local_settle_command,
    payment_summary,
    self_fund_handoff,
    self_fund_label,
    usable,
    wallet_settlement,
)


def rail(method_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "method_id": method_id,
        "available": True,
        "live_money": True,
        "requires_browser": False,
        "agent_initiated": False,
        "agent_settleable": False,
        "buyer_modes": ["hybrid"],
        "recovery": {
            "quote_command": f"image-skill credits quote --payment-method {method_id} --json",
            "purchase_command": f"image-skill credits buy --quote-id Q-{method_id} --json",
            "status_command": f"image-skill credits status --id S-{method_id} --json",
        },
    }
    base.update(fields)
    return base


CARD = rail("card", requires_browser=True, buyer_modes=["human_only"])
WALLET = rail("wallet", agent_settleable=True, buyer_modes=["agent_only"])
WIRE = rail("wire", agent_initiated=True, buyer_modes=["hybrid", "invoice"])
SIM = rail("sim", live_money=False, simulated=True, requires_browser=None, buyer_modes=["x"])
OFF = rail("off", available=False, buyer_modes=["offline", "hybrid"])
FAKE = rail("fake", live_money=False, buyer_modes=["fake_mode"])


def summary(*methods: Any) -> dict[str, Any]:
    return payment_summary({"methods": copy.deepcopy(list(methods))})


# --- which rails count, and in which group --------------------------------------------------


def test_groups_of_a_mixed_set_of_rails() -> None:
    out = summary(CARD, WALLET, WIRE, SIM, OFF, FAKE, "not a rail")
    assert out["checked"] is True
    # the simulated rail is usable but is no live money (issue 12)
    assert out["live_money_methods"] == ["card", "wallet", "wire"]
    assert out["browserless_methods"] == ["wallet", "wire"]
    assert out["agent_payable_methods"] == ["wallet"]
    assert out["agent_settleable_methods"] == ["wallet"]
    assert out["agent_initiated_methods"] == ["wire"]
    assert out["human_handoff_methods"] == ["card"]
    assert out["preferred_method"] == "wallet"
    assert out["requires_browser"] is False
    # Modes of every usable rail, available or not, in first-seen order; never the fake's.
    assert out["buyer_modes"] == ["human_only", "agent_only", "hybrid", "invoice", "x", "offline"]


@pytest.mark.parametrize(
    ("methods", "preferred"),
    [
        ((CARD, WIRE, SIM, WALLET), "wallet"),  # agent-payable first...
        ((SIM, WIRE, CARD), "card"),  # ...then a human handoff...
        ((SIM, WIRE), "wire"),  # ...then browserless...
        ((SIM,), "sim"),  # ...then any available rail
        ((OFF, FAKE), None),
        ((), None),
    ],
)
def test_preferred_method_order(methods: tuple[dict[str, Any], ...], preferred: str | None) -> None:
    out = summary(*methods)
    assert out["preferred_method"] == preferred
    assert (out["preferred_method_summary"] is None) == (preferred is None)
    if preferred is not None:
        assert out["preferred_method_summary"]["method_id"] == preferred


def test_agent_payable_needs_settleable_browserless_and_an_agent_mode() -> None:
    human_only = rail("h", agent_settleable=True, buyer_modes=["human_only"])
    in_browser = rail("b", agent_settleable=True, requires_browser=True)
    hybrid = rail("y", agent_settleable=True, buyer_modes=["hybrid"])
    out = summary(human_only, in_browser, hybrid)
    assert out["agent_payable_methods"] == ["y"]
    assert out["human_handoff_methods"] == ["h", "b"]
    assert out["browserless_methods"] == ["h", "y"]


def test_requires_browser_only_when_every_available_rail_does() -> None:
    assert summary(CARD)["requires_browser"] is True
    assert summary(CARD, WIRE)["requires_browser"] is False
    assert summary()["requires_browser"] is False


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ({"live_money": True}, True),
        ({"live_money": 1}, True),
        ({"live_money": False, "simulated": True}, True),
        ({"live_money": False, "simulated": "true"}, False),
        ({"live_money": 0}, False),
        ({}, False),
    ],
)
def test_usable_is_live_money_or_explicitly_simulated(
    method: dict[str, Any], expected: bool
) -> None:
    assert usable(method) is expected


def test_available_follows_js_truthiness() -> None:
    out = summary(rail("a", available="yes"), rail("b", available=0), rail("c", available=None))
    assert out["live_money_methods"] == ["a"]


@pytest.mark.parametrize(("data", "checked"), [({}, True), ([], True), (None, False), ("x", False)])
def test_checked_means_the_data_was_json_we_could_read(data: Any, checked: bool) -> None:
    out = payment_summary(data)
    assert out["checked"] is checked
    assert out["live_money_methods"] == [] and out["preferred_method"] is None


# --- the preferred method's summary -------------------------------------------------------


def test_method_summary_reads_each_field_strictly() -> None:
    method = rail(
        "wallet",
        agent_settleable=True,
        agent_initiated=True,
        buyer_modes=["agent_only", 7, "hybrid"],
        settlement_blocker="none yet",
        default_pack_id=5,
        limits={"min_amount_cents": 50, "max_amount_cents": "500"},
    )
    got = summary(method)["preferred_method_summary"]
    assert got == {
        "method_id": "wallet",
        "live_money": True,
        "requires_browser": False,
        "browserless": True,
        "agent_initiated": True,
        "agent_settleable": True,
        "human_handoff_required": False,
        "buyer_modes": ["agent_only", "hybrid"],
        "settlement_blocker": "none yet",
        "default_pack_id": None,
        "min_amount_cents": 50,
        "max_amount_cents": None,
        "top_up_path": "browserless_agent_self_fund",
        "next_step": "quote_buy_status_then_rerun_after_next",
        "warning": T.W_PM_SELF_FUND,
    }


def test_live_money_in_the_summary_is_false_only_when_the_rail_says_false() -> None:
    unsaid = rail("u", live_money=None, simulated=True)
    assert summary(unsaid)["preferred_method_summary"]["live_money"] is True
    assert summary(SIM)["preferred_method_summary"]["live_money"] is False


@pytest.mark.parametrize(
    ("method", "path", "next_step", "warning", "human"),
    [
        (CARD, "human_payment_handoff", "quote_buy_open_checkout_status_then_rerun_after_next",
         T.W_PM_HUMAN, True),
        # a browserless rail whose buyers are human: a handoff, not a self-fund
        (rail("h", buyer_modes=["human_only"]), "human_payment_handoff",
         "quote_buy_open_checkout_status_then_rerun_after_next", T.W_PM_HUMAN, True),
        # settleable, but it takes a browser: a handoff
        (rail("b", agent_settleable=True, requires_browser=True), "human_payment_handoff",
         "quote_buy_open_checkout_status_then_rerun_after_next", T.W_PM_HUMAN, True),
        # settleable and the browser requirement unknown: inspect the methods
        (rail("n", agent_settleable=True, requires_browser=None), "payment_method_inspection",
         "inspect_credits_methods", T.W_PM_INSPECT, False),
        (WIRE, "payment_method_inspection", "inspect_credits_methods", T.W_PM_INSPECT, False),
    ],
)  # fmt: skip
def test_top_up_path_of_each_kind_of_rail(
    method: dict[str, Any], path: str, next_step: str, warning: str, human: bool
) -> None:
    got = summary(method)["preferred_method_summary"]
    assert (got["top_up_path"], got["next_step"], got["warning"]) == (path, next_step, warning)
    assert got["human_handoff_required"] is human
    assert got["requires_browser"] is (method.get("requires_browser") is True)
    assert got["browserless"] is (method.get("requires_browser") is False)


# --- suggested commands --------------------------------------------------------------------


def test_suggested_commands_put_the_preferred_rail_first_then_the_others_once() -> None:
    twin = rail("twin", recovery=dict(WIRE["recovery"]))
    partial = rail("wallet", agent_settleable=True, buyer_modes=["agent_only"])
    partial["recovery"] = {"quote_command": "image-skill credits quote --mine --json"}
    commands = summary(partial, WIRE, twin)["suggested_commands"]
    assert commands == [
        DEFAULT_METHODS_COMMAND,
        DEFAULT_PACKS_COMMAND,
        "image-skill credits quote --mine --json",
        DEFAULT_PURCHASE_COMMAND,
        DEFAULT_STATUS_COMMAND,
        *WIRE["recovery"].values(),
    ]


def test_a_preferred_rail_is_not_listed_twice() -> None:
    commands = summary(WALLET)["suggested_commands"]
    assert commands[2:] == list(WALLET["recovery"].values())


# --- reading commands back by kind ------------------------------------------------------


def test_command_by_kind_matches_the_subcommand_word() -> None:
    commands = [
        "image-skill credits quotes --json",
        "image-skill credits\u00a0quote --pack p --json",
        "image-skill credits buy --quote-id Q --json",
    ]
    assert command_by_kind(commands, "quote") == commands[1]
    assert command_by_kind(commands, "buy") == commands[2]
    assert command_by_kind(commands, "status") is None
    assert command_by_kind([], "methods") is None


@pytest.mark.parametrize(
    ("commands", "first"),
    [
        (["image-skill credits methods --json", "image-skill credits buy --json"], 1),
        (["image-skill credits buy --json", "image-skill credits quote --json"], 1),
        (["image-skill credits packs list --json", "image-skill credits methods --json"], 1),
        (["image-skill usage quota --json", "image-skill doctor --json"], 0),
    ],
)
def test_first_payment_action_prefers_quote_then_buy_then_methods(
    commands: list[str], first: int
) -> None:
    assert first_payment_action(commands) == commands[first]


def test_first_payment_action_without_commands_is_the_methods_listing() -> None:
    assert first_payment_action([]) == DEFAULT_METHODS_COMMAND


# --- the quota-stage handoff -------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "label"),
    [
        ((WALLET,), "browserless_agent_payable_quote"),
        ((CARD,), "human_handoff_payment_quote"),
        ((WIRE,), "payment_or_quota_action"),
        ((), "payment_or_quota_action"),
    ],
)
def test_self_fund_label(methods: tuple[dict[str, Any], ...], label: str) -> None:
    assert self_fund_label(summary(*methods)) == label


def handoff(*methods: Any, settle: str | None = None) -> dict[str, Any]:
    return self_fund_handoff(
        summary(*methods),
        after_next="image-skill create --json",
        token_source="env",
        auth_next_command={"command": "x"},
        local_settle_command=settle,
    )


def test_handoff_flags_are_memberships_of_the_preferred_rail() -> None:
    got = handoff(WIRE, CARD)  # the card rail is preferred (a human handoff)
    assert got["preferred_method"] == "card"
    assert (got["browserless"], got["agent_settleable"], got["agent_initiated"]) == (
        False,
        False,
        False,
    )
    assert got["human_handoff_required"] is True
    assert got["live_money"] is True
    assert got["wallet_settlement"] is None
    assert got["warning"] == T.SF_HANDOFF
    assert got["after_next"] == "image-skill create --json"
    assert got["auth"]["token_source"] == "env"
    assert "local_settle" not in got["payment_commands"]


def test_handoff_without_a_preferred_rail_is_all_false() -> None:
    got = handoff()
    assert got["preferred_method"] is None
    flags = ("live_money", "browserless", "agent_initiated", "agent_settleable")
    assert [got[key] for key in flags] == [False, False, False, False]
    assert got["human_handoff_required"] is False


def test_wallet_settlement_only_for_the_browserless_settleable_x402_rail() -> None:
    x402 = rail(X402_METHOD_ID, agent_settleable=True, buyer_modes=["agent_only"])
    got = handoff(x402)
    assert got["agent_settleable"] is True and got["browserless"] is True
    assert got["warning"] == T.SF_AGENT
    wallet = got["wallet_settlement"]
    assert wallet is not None and wallet["method_id"] == X402_METHOD_ID
    assert wallet["status_command_after_payment"] == got["payment_commands"]["status"]
    assert wallet["warning"] == T.WS_WARNING and wallet["next_step"] == T.WS_NEXT_STEP
    # The same settleable rail under another id has no wallet instructions.
    assert handoff(WALLET)["wallet_settlement"] is None


def test_a_simulated_rail_says_so_and_moves_no_money() -> None:
    x402 = rail(
        X402_METHOD_ID,
        agent_settleable=True,
        buyer_modes=["agent_only"],
        live_money=False,
        simulated=True,
    )
    got = handoff(x402, settle="image-skill local settle --id P --json")
    assert got["live_money"] is False
    assert got["warning"] == T.SF_SIMULATED
    assert got["wallet_settlement"]["warning"] == T.WS_WARNING_SIMULATED
    assert got["payment_commands"]["local_settle"].endswith("local settle --id P --json")
    sim_wallet = wallet_settlement("status", simulated=True)
    assert sim_wallet["next_step"] == T.WS_NEXT_STEP_SIMULATED


def test_wallet_settlement_is_for_real_money_unless_told_otherwise() -> None:
    wallet = wallet_settlement("image-skill credits status --id S --json")
    assert (wallet["next_step"], wallet["warning"]) == (T.WS_NEXT_STEP, T.WS_WARNING)
    assert wallet["status_command_after_payment"] == "image-skill credits status --id S --json"
    assert (wallet["wallet_required"], wallet["browser_required"]) == (True, False)


@pytest.mark.parametrize("unsaid", [None, 0, ""])
def test_a_simulated_rail_that_does_not_say_false_is_still_no_live_money(unsaid: Any) -> None:
    # Usable because it is marked simulated; its summary reads live_money as not false, but
    # it is not among the live-money rails, so the handoff must not promise real money.
    quiet = rail("quiet", live_money=unsaid, simulated=True)
    assert summary(quiet)["preferred_method_summary"]["live_money"] is True
    assert summary(quiet)["live_money_methods"] == []
    got = handoff(quiet)
    assert got["preferred_method"] == "quiet"
    assert got["live_money"] is False


def test_local_settle_command_of_the_preferred_method() -> None:
    settle = rail("sim", recovery={"local_settle_command": "settle it"})
    other = rail("other", recovery={"local_settle_command": "not this one"})
    data = {"methods": ["junk", other, settle]}
    assert local_settle_command(data, "sim") == "settle it"
    assert local_settle_command(data, None) is None
    assert local_settle_command(data, "missing") is None
    assert local_settle_command({"methods": "nope"}, "sim") is None
    assert local_settle_command({"methods": [rail("sim", recovery={})]}, "sim") is None


def test_local_settle_command_needs_a_preferred_method_and_a_list() -> None:
    nameless = {"recovery": {"local_settle_command": "settle a rail without an id"}}
    assert local_settle_command({"methods": [nameless]}, None) is None
    assert local_settle_command({}, "sim") is None
    assert local_settle_command(None, "sim") is None
