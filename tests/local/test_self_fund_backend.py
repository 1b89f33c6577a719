"""Self-fund handoffs of the local backend (contract 0.1.70 §7, §8): quota ``top_up``, the
quota-wall ``recovery.top_up``, ``next_actions`` on payment methods, quotes, buys, statuses,
create/edit successes, jobs, activity and assets. The rails are simulated, so every shape
says ``live_money: false`` and ``simulated: true``."""

from __future__ import annotations

import dataclasses
import shlex
import sqlite3
from typing import Any

import httpx
import pytest

from clitools import invoke
from createtools import create, edit, fails, ok, png, upload
from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.app import create_app
from image_skill.local.settings import LocalSettings
from image_skill.local.transport import InProcessTransport
from image_skill.payments import with_checkout_compact_url

X402, CHECKOUT = "stripe_x402.exact.usdc", "stripe_checkout"
QUOTE_X402 = (
    "image-skill credits quote --pack starter-500 --payment-method stripe_x402.exact.usdc"
    " --api-base-url local --json"
)
METHODS = "image-skill credits methods --api-base-url local --json"
COMMAND_KEYS = [
    "inspect_methods",
    "inspect_packs",
    "quote",
    "buy",
    "status",
    "fallback_quote",
    "fallback_buy",
]


def _h(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _quota(client: httpx.Client, token: str) -> dict[str, Any]:
    return ok(client.get("/v1/quota", headers=_h(token)))


def _spend(client: httpx.Client, token: str, times: int) -> list[dict[str, Any]]:
    return [ok(create(client, _h(token))) for _ in range(times)]


def _words(command: str) -> list[str]:
    """The arguments of a command after its program: the backend writes ``image-skill ...``,
    and our CLI puts its own program prefix in front when it passes a reply on (§7.8)."""
    words = shlex.split(command)
    program = next(i for i, w in enumerate(words) if w in ("image-skill", "image_skill"))
    return words[program + 1 :]


def _run(command: str, token: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run a command from a reply as printed (minus the program prefix) with our CLI."""
    words = _words(command)
    assert words[words.index("--api-base-url") + 1] == "local"
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", token)
    result = invoke(*words)
    assert result.exit_code == 0, result.stdout
    return result.json


# ---------------------------------------------------------------------------- top_up


def test_quota_top_up_for_a_fresh_agent(local_client: httpx.Client, agent_token: str) -> None:
    data = _quota(local_client, agent_token)
    top = data["top_up"]
    assert list(data)[-1] == "top_up"
    assert top["available"] is True and top["recommended"] is False
    assert (top["recommendation_reason"], top["urgency"], top["urgency_score"]) == (
        "available",
        "available",
        0,
    )
    assert top["urgency_reasons"] == []
    assert top["live_money"] is False and top["simulated"] is True
    assert top["preferred_payment_method"] == X402 and top["path"] == "browserless_x402"
    assert list(top["commands"]) == COMMAND_KEYS
    assert top["first_command"] == top["commands"]["inspect_methods"] == METHODS
    assert top["quote_command"] == top["commands"]["quote"] == QUOTE_X402
    assert "KEY" not in top["quote_command"] and top["quote_command_copy_runnable"] is True
    assert top["quote_command_effect"]["payment_object"] is True
    assert top["quote_command_effect"]["credit_debit"] is False
    assert top["commands"]["fallback_quote"].endswith(
        "--payment-method stripe_checkout --api-base-url local --json"
    )
    steps = [step["step"] for step in top["workflow"]["steps"]]
    assert steps == ["inspect_methods", "quote", "buy", "settle_locally", "status", "check_quota"]
    assert all(isinstance(step["command"], str) for step in top["workflow"]["steps"])


def test_urgency_follows_the_balance(local_client: httpx.Client, agent_token: str) -> None:
    _spend(local_client, agent_token, 1)  # 30 - 9 = 21: still fine
    assert _quota(local_client, agent_token)["top_up"]["recommended"] is False
    _spend(local_client, agent_token, 1)  # 12 left: fewer than two default images
    top = _quota(local_client, agent_token)["top_up"]
    assert top["recommended"] is True
    assert (top["recommendation_reason"], top["urgency"], top["urgency_score"]) == (
        "low_remaining_credits",
        "near_wall",
        80,
    )
    assert top["urgency_reasons"] == ["low_remaining_credits"]


def test_credits_depleted_and_daily_cap(local_settings: LocalSettings, signup: Any) -> None:
    def app(**changes: Any) -> httpx.Client:
        settings = dataclasses.replace(local_settings, **changes)
        return httpx.Client(
            transport=InProcessTransport(create_app(settings)), base_url="http://local.invalid"
        )

    with app(free_credits=9) as client:
        token = signup(client)
        ok(create(client, _h(token)))  # the 9 free credits are gone
        top = _quota(client, token)["top_up"]
        assert (top["recommendation_reason"], top["urgency"], top["urgency_score"]) == (
            "credits_depleted",
            "blocked",
            100,
        )
    with app(daily_job_cap=1) as client:
        token = signup(client, contact="cap@example.com", name="cap")
        ok(create(client, _h(token)))  # 21 credits left, but no free-funded job left today
        top = _quota(client, token)["top_up"]
        assert top["recommendation_reason"] == "daily_job_cap_reached"
        assert top["urgency"] == "blocked" and top["recommended"] is True
        error = fails(create(client, _h(token)), 402, "QUOTA_EXCEEDED", 5)
        assert error["recovery"]["top_up"]["recommendation_reason"] == "daily_job_cap_reached"


def test_credits_status_without_reference_carries_the_same_top_up(
    local_client: httpx.Client, agent_token: str
) -> None:
    status = ok(local_client.get("/v1/credit-purchases/status", headers=_h(agent_token)))
    assert status["top_up"] == _quota(local_client, agent_token)["top_up"]


def test_a_quota_wall_carries_the_top_up_path(local_client: httpx.Client, agent_token: str) -> None:
    _spend(local_client, agent_token, 3)  # 3 credits left, the next image needs 9
    error = fails(create(local_client, _h(agent_token)), 402, "QUOTA_EXCEEDED", 5)
    recovery = error["recovery"]
    assert recovery["suggested_command"] == METHODS
    top = recovery["top_up"]
    assert top["recommendation_reason"] == "credits_depleted"
    assert (top["urgency"], top["urgency_score"], top["recommended"]) == ("blocked", 100, True)
    assert top["quote_command"] == QUOTE_X402


# ------------------------------------------------------------------ payment next_actions


def test_payment_methods_recommend_the_x402_quote(
    local_client: httpx.Client, agent_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ok(local_client.get("/v1/payment-methods"))
    keys = list(data)
    assert keys.index("next_actions") == keys.index("methods") - 1
    rec = data["next_actions"]["recommended_quote"]
    assert rec["purpose"] == "quote_credit_top_up"
    assert rec["recommendation_reason"] == "browserless_agent_self_fund"
    assert (rec["method_id"], rec["pack_id"]) == (X402, "starter-500")
    assert rec["command"] == QUOTE_X402 and rec["quote_command_copy_runnable"] is True
    assert rec["buy_command"] == (
        "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID"
        " --idempotency-key KEY --api-base-url local --json"
    )
    assert rec["live_money"] is False and rec["simulated"] is True
    assert rec["requires_browser"] is False and rec["agent_settleable"] is True
    for method in data["methods"]:  # the rails' own quote commands run as printed too
        assert "KEY" not in method["recovery"]["quote_command"]
    quoted = _run(rec["command"], agent_token, monkeypatch)
    assert quoted["ok"] and quoted["data"]["accepted_payment_method"] == X402


@pytest.mark.parametrize(
    ("method", "provider", "browser"), [(CHECKOUT, "stripe", True), (X402, "stripe_x402", False)]
)
def test_quotes_recommend_their_buy_with_a_stable_key(
    local_client: httpx.Client, agent_token: str, method: str, provider: str, browser: bool
) -> None:
    body = {"pack_id": "starter-500", "payment_method": method, "idempotency_key": "q-1"}
    quote = ok(local_client.post("/v1/credit-quotes", json=body, headers=_h(agent_token)))
    buy = quote["next_actions"]["recommended_buy"]
    quote_id = quote["quote_id"]
    assert buy["purpose"] == "complete_credit_top_up"
    assert (buy["quote_id"], buy["method_id"], buy["provider"]) == (quote_id, method, provider)
    assert buy["purchase_idempotency_key"] == f"purchase:{quote_id}"
    assert buy["command"] == (
        f"image-skill credits buy --provider {provider} --quote-id {quote_id}"
        f" --idempotency-key purchase:{quote_id} --api-base-url local --json"
    )
    assert buy["status_command"] == (
        f"image-skill credits status --quote-id {quote_id} --api-base-url local --json"
    )
    assert buy["buy_command_copy_runnable"] is True
    assert buy["status_command_after_payment_copy_runnable"] is False
    assert (buy["requires_browser"], buy["human_handoff_required"]) == (browser, browser)
    assert buy["agent_settleable"] is (not browser)
    assert buy["live_money"] is False and buy["simulated"] is True
    replay = ok(local_client.post("/v1/credit-quotes", json=body, headers=_h(agent_token)))
    assert replay["next_actions"] == quote["next_actions"]
    status = ok(
        local_client.get(
            "/v1/credit-purchases/status", params={"quote_id": quote_id}, headers=_h(agent_token)
        )
    )
    assert status["state"] == "created"
    assert status["next_actions"]["recommended_buy"] == buy


def test_following_the_recommended_buy_twice_is_one_attempt(
    local_client: httpx.Client, agent_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"pack_id": "starter-500", "payment_method": X402}
    quote = ok(local_client.post("/v1/credit-quotes", json=body, headers=_h(agent_token)))
    command = quote["next_actions"]["recommended_buy"]["command"]
    first = _run(command, agent_token, monkeypatch)["data"]
    again = _run(command, agent_token, monkeypatch)["data"]
    assert first["payment_attempt_id"] == again["payment_attempt_id"]
    settlement = first["next_actions"]["recommended_settlement"]
    attempt = first["payment_attempt_id"]
    assert settlement["purpose"] == "settle_stripe_x402_credit_top_up"
    assert settlement["payable_instructions_path"] == "data.stripe_x402.payable_instructions"
    assert _words(settlement["status_command"]) == shlex.split(
        f"credits status --payment-attempt-id {attempt} --api-base-url local --json"
    )
    assert _words(settlement["quota_command"]) == shlex.split(
        "usage quota --api-base-url local --json"
    )
    assert settlement["command_effect"]["wallet_settlement"] is True
    status = _run(settlement["status_command"], agent_token, monkeypatch)["data"]
    assert status["state"] == "action_required"
    assert status["next_actions"]["recommended_settlement"]["payable_instructions_path"] == (
        "data.payment_attempt.stripe_x402.payable_instructions"
    )
    assert "recommended_buy" not in status["next_actions"]  # looked up by attempt, not quote
    by_quote = ok(
        local_client.get(
            "/v1/credit-purchases/status",
            params={"quote_id": quote["quote_id"]},
            headers=_h(agent_token),
        )
    )
    assert _words(by_quote["next_actions"]["recommended_buy"]["command"]) == _words(command)
    _run(settlement["local_settle_command"], agent_token, monkeypatch)
    settled = _run(settlement["status_command"], agent_token, monkeypatch)["data"]
    assert settled["state"] == "succeeded" and "next_actions" not in settled


def test_checkout_buys_keep_their_copy_urls_and_get_no_settlement(
    local_client: httpx.Client, agent_token: str
) -> None:
    body = {"pack_id": "starter-500", "payment_method": CHECKOUT}
    quote = ok(local_client.post("/v1/credit-quotes", json=body, headers=_h(agent_token)))
    buy_body = {"quote_id": quote["quote_id"], "idempotency_key": "b-1"}
    bought = ok(
        local_client.post(
            "/v1/credit-purchases/stripe-checkout-sessions", json=buy_body, headers=_h(agent_token)
        )
    )
    assert "next_actions" not in bought
    handoff = f"{IN_PROCESS_ORIGIN}/pay/{bought['payment_attempt_id']}"
    assert bought["checkout_handoff_url"] == bought["checkout_compact_url"] == handoff
    assert bought["next"]["checkout_compact_url"] == handoff
    assert with_checkout_compact_url(bought) == bought  # 0.1.30 client logic: nothing to add
    status = ok(
        local_client.get(
            "/v1/credit-purchases/status",
            params={"payment_attempt_id": bought["payment_attempt_id"]},
            headers=_h(agent_token),
        )
    )
    assert status["payment_attempt"]["checkout_compact_url"] == handoff
    assert with_checkout_compact_url(status) == status


def test_pay_link_keeps_redirecting_after_the_payment(
    local_client: httpx.Client, agent_token: str
) -> None:
    body = {"pack_id": "starter-500", "payment_method": CHECKOUT}
    quote = ok(local_client.post("/v1/credit-quotes", json=body, headers=_h(agent_token)))
    bought = ok(
        local_client.post(
            "/v1/credit-purchases/stripe-checkout-sessions",
            json={"quote_id": quote["quote_id"], "idempotency_key": "b-2"},
            headers=_h(agent_token),
        )
    )
    link = f"/pay/{bought['payment_attempt_id']}"
    before = local_client.get(link)
    assert before.status_code == 302 and before.headers["location"] == bought["checkout_url"]
    settle = f"/_local/payment-attempts/{bought['payment_attempt_id']}/settle"
    assert ok(local_client.post(settle, headers=_h(agent_token)))["state"] == "succeeded"
    after = local_client.get(link)
    assert after.status_code == 302 and after.headers["location"] == bought["checkout_url"]
    page = local_client.get(after.headers["location"].split("#")[0])
    assert page.status_code == 200 and "receipt" in page.text.lower()


def test_an_expired_quote_recommends_no_buy(
    local_client: httpx.Client, agent_token: str, local_settings: LocalSettings
) -> None:
    body = {"credits": 50, "payment_method": X402}
    quote = ok(local_client.post("/v1/credit-quotes", json=body, headers=_h(agent_token)))
    with sqlite3.connect(local_settings.db_path) as conn:
        conn.execute("UPDATE quotes SET expires_at = '2000-01-01T00:00:00.000Z'")
    status = ok(
        local_client.get(
            "/v1/credit-purchases/status",
            params={"quote_id": quote["quote_id"]},
            headers=_h(agent_token),
        )
    )
    assert status["state"] == "expired" and "next_actions" not in status


# ------------------------------------------------------------- create/edit next_actions


def test_create_success_names_what_to_do_next(
    local_client: httpx.Client, agent_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ok(create(local_client, _h(agent_token), idempotency_key="k-1"))
    actions = first["next_actions"]
    job_id, asset_id = first["job_id"], first["assets"][0]["asset_id"]
    assert list(actions) == ["inspect_job", "inspect_asset", "iterate_edit", "self_fund"]
    assert actions["inspect_job"]["command"] == (
        f"image-skill jobs show {job_id} --api-base-url local --json"
    )
    assert actions["inspect_asset"]["command"] == (
        f"image-skill assets show {asset_id} --api-base-url local --json"
    )
    iterate = actions["iterate_edit"]
    assert iterate["command"] == (
        f"image-skill edit --input {asset_id} --prompt PROMPT --api-base-url local --json"
    )
    assert iterate["command_copy_runnable"] is False
    assert iterate["placeholders"][0]["token"] == "PROMPT"
    fund = actions["self_fund"]
    assert fund["purpose"] == "open_browserless_top_up_path" and fund["recommended"] is False
    assert fund["first_safe_command"] == METHODS and fund["quote_command"] == QUOTE_X402
    assert fund["first_safe_command_effect"]["label"] == "inspect_payment_methods_no_spend"
    assert fund["quote_idempotency_key_source"] == "public_cli_generated_if_missing"
    assert fund["live_money"] is False and fund["payment_method"] == X402
    assert first["quota"]["top_up"]["available"] is True
    assert "self_fund_next_command" not in first  # 21 credits left: no need to act yet
    shown = _run(actions["inspect_job"]["command"], agent_token, monkeypatch)["data"]
    assert shown["job"]["job_id"] == job_id
    replayed = ok(create(local_client, _h(agent_token), idempotency_key="k-1"))
    assert replayed["next_actions"]["inspect_job"] == actions["inspect_job"]

    second = ok(create(local_client, _h(agent_token)))  # 12 left: a top-up is advisable
    assert second["next_actions"]["self_fund"]["recommended"] is True
    assert second["self_fund_next_command"] == QUOTE_X402
    effect = second["self_fund_next_command_effect"]
    assert effect["label"] == "live_money_quote_no_charge"
    for key in ("provider_call", "hosted_create", "credit_debit", "media_write"):
        assert effect[key] is False
    assert effect["wallet_settlement"] is False and effect["live_money"] is False


def test_dry_runs_carry_the_top_up_but_no_next_actions(
    local_client: httpx.Client, agent_token: str
) -> None:
    planned = ok(create(local_client, _h(agent_token), dry_run=True))
    assert planned["quota"]["top_up"]["available"] is True
    assert "next_actions" not in planned


def test_edit_and_3d_successes(local_client: httpx.Client, agent_token: str) -> None:
    headers = _h(agent_token)
    asset = upload(local_client, headers, png(64, 64))
    edited = ok(edit(local_client, headers, prompt="bluer", input_asset_id=asset))
    assert edited["next_actions"]["iterate_edit"]["asset_id"] == edited["assets"][0]["asset_id"]
    mesh = ok(edit(local_client, headers, input_asset_id=asset, model="local.image-to-3d"))
    assert mesh["assets"][0]["mime_type"] == "model/gltf-binary"
    assert list(mesh["next_actions"]) == ["inspect_job", "inspect_asset", "self_fund"]


# ---------------------------------------------------------------- reads (§8)


def test_jobs_show_mirrors_and_self_fund(local_client: httpx.Client, agent_token: str) -> None:
    made = ok(create(local_client, _h(agent_token)))
    shown = ok(local_client.get(f"/v1/jobs/{made['job_id']}", headers=_h(agent_token)))
    job = shown["job"]
    assert shown["status"] == shown["state"] == job["status"] == "completed"
    assert shown["assets"] == job["assets"] and shown["cost"] == job["cost"]
    assert shown["next_actions"]["self_fund"]["quote_command"] == QUOTE_X402


def test_activity_shows_self_fund_only_after_generated_work(
    local_client: httpx.Client, agent_token: str
) -> None:
    empty = ok(local_client.get("/v1/activity", headers=_h(agent_token)))
    assert "next_actions" not in empty
    planned = ok(create(local_client, _h(agent_token), dry_run=True))
    only_planned = ok(local_client.get("/v1/activity", headers=_h(agent_token)))
    assert only_planned["events"] and "next_actions" not in only_planned
    made = ok(create(local_client, _h(agent_token)))
    listed = ok(local_client.get("/v1/activity", headers=_h(agent_token)))
    assert listed["next_actions"]["self_fund"]["first_safe_command"] == METHODS
    shown = ok(local_client.get(f"/v1/activity/{made['job_id']}", headers=_h(agent_token)))
    assert "self_fund" in shown["next_actions"]
    plan = ok(local_client.get(f"/v1/activity/{planned['job_id']}", headers=_h(agent_token)))
    assert "next_actions" not in plan


def test_assets_show_self_fund_for_generated_assets_only(
    local_client: httpx.Client, agent_token: str
) -> None:
    headers = _h(agent_token)
    made = ok(create(local_client, headers))["assets"][0]["asset_id"]
    generated = ok(local_client.get(f"/v1/assets/{made}", headers=headers))
    assert generated["next_actions"]["self_fund"]["available"] is True
    uploaded = upload(local_client, headers, png(8, 8))
    assert "next_actions" not in ok(local_client.get(f"/v1/assets/{uploaded}", headers=headers))


def test_served_backend_aims_every_handoff_at_itself(live_server: str, signup: Any) -> None:
    with httpx.Client(base_url=live_server) as client:
        token = signup(client)
        made = ok(create(client, _h(token)))
        flag = f"--api-base-url {live_server}"
        assert flag in made["next_actions"]["inspect_job"]["command"]
        fund = made["next_actions"]["self_fund"]
        assert all(flag in step["command"] for step in fund["workflow"]["steps"])
        quota = ok(client.get("/v1/quota", headers=_h(token)))
        assert all(flag in command for command in quota["top_up"]["commands"].values())
