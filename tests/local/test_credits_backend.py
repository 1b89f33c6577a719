"""The local backend's money loop: quotes, purchases, status, settlement, exactly-once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store

EXIT = "x-image-skill-exit-code"
PACK_CREDITS = {"starter-500": 500, "builder-2000": 2000, "studio-5000": 5000}


@pytest.fixture
def db(local_app: FastAPI) -> Iterator[sqlite3.Connection]:
    store: Store = local_app.state.store
    conn = store.connect()
    yield conn
    conn.close()


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers[EXIT] == "0"
    env = response.json()
    assert env["ok"] is True
    data = env["data"]
    assert isinstance(data, dict)
    return data


def failed(response: httpx.Response, status: int, code: str, exit_code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers[EXIT] == exit_code
    env = response.json()
    assert env["ok"] is False and env["error"]["code"] == code
    error = env["error"]
    assert isinstance(error, dict)
    return error


def quota(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    limits = ok(client.get("/v1/quota", headers=headers))["limits"]
    assert isinstance(limits, dict)
    return limits


def quote(client: httpx.Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("payment_method", "stripe_checkout")
    return ok(client.post("/v1/credit-quotes", json=body, headers=headers))


def buy(
    client: httpx.Client, headers: dict[str, str], quote_id: str, key: str, *, x402: bool = False
) -> httpx.Response:
    path = "stripe-x402-deposits" if x402 else "stripe-checkout-sessions"
    return client.post(
        f"/v1/credit-purchases/{path}",
        json={"quote_id": quote_id, "idempotency_key": key},
        headers=headers,
    )


def settle(client: httpx.Client, headers: dict[str, str], attempt_id: str) -> httpx.Response:
    return client.post(f"/_local/payment-attempts/{attempt_id}/settle", headers=headers)


def status(client: httpx.Client, headers: dict[str, str], **params: str) -> httpx.Response:
    return client.get("/v1/credit-purchases/status", params=params, headers=headers)


def ledger_sum(conn: sqlite3.Connection, bucket: str) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(delta), 0) FROM credit_events WHERE bucket = ?", (bucket,)
    ).fetchone()
    return int(row[0])


# ------------------------------------------------------------------ catalog


def test_payment_methods_are_honest_and_keep_guide_fields(local_client: httpx.Client) -> None:
    response = local_client.get("/v1/payment-methods")
    data = ok(response)
    assert response.json()["actor"] is None
    assert any("simulated" in w for w in response.json()["warnings"])
    assert data["contract_version"] == "image-skill.payment-methods.v1"
    assert data["offline_simulation"] is True
    assert data["quote_endpoint"] == "/v1/credit-quotes"
    assert data["status_endpoint"] == "/v1/credit-purchases/status"
    by_id = {m["method_id"]: m for m in data["methods"]}
    assert list(by_id) == ["stripe_checkout", "stripe_x402.exact.usdc"]
    for method in by_id.values():
        assert method["live_money"] is False and method["simulated"] is True
        assert method["settlement"] == "local_simulated"
        assert method["available"] and method["quoteable"] and method["purchasable"]
        assert method["limits"]["min_amount_cents"] == 1
        assert method["limits"]["max_amount_cents"] == 5000
        for key in ("quote_command", "purchase_command", "status_command"):
            assert method["recovery"][key].startswith("image-skill credits ")
        assert method["default_pack_id"] == "starter-500"
    checkout, x402 = by_id["stripe_checkout"], by_id["stripe_x402.exact.usdc"]
    assert checkout["requires_browser"] is True and checkout["agent_settleable"] is False
    assert checkout["purchase_endpoint"] == "/v1/credit-purchases/stripe-checkout-sessions"
    assert x402["requires_browser"] is False and x402["agent_settleable"] is True
    assert x402["settlement_blocker"] is None
    assert x402["buyer_modes"] == ["agent_only", "hybrid"]


def test_credit_packs(local_client: httpx.Client) -> None:
    data = ok(local_client.get("/v1/credit-packs"))
    assert data["default_pack_id"] == "starter-500"
    assert data["credit_unit_cents"] == 1 and data["credit_unit_usd"] == 0.01
    assert {p["pack_id"]: p["credits"] for p in data["packs"]} == PACK_CREDITS
    starter = data["packs"][0]
    assert starter["display_name"] == "Starter (500 credits)"
    assert starter["amount_cents"] == 500 and starter["amount_usd"] == "5.00"
    assert data["packs"][2]["price_usd"] == "50.00"
    assert data["custom_quotes"] == {"supported": True, "min_credits": 1, "max_credits": 5000}


# ------------------------------------------------------------------ quotes


def test_quote_never_grants_and_replays(local_client: httpx.Client, auth_headers: Any) -> None:
    before = quota(local_client, auth_headers)
    first = quote(local_client, auth_headers, pack_id="starter-500", idempotency_key="q-1")
    assert first["quote_id"].startswith("quote_") and first["state"] == "created"
    assert first["credits"] == 500 and first["price_amount_cents"] == 500
    assert first["accepted_payment_method"] == "stripe_checkout"
    assert first["pack"]["pack_id"] == "starter-500" and first["live_money"] is False
    again = quote(local_client, auth_headers, pack_id="starter-500", idempotency_key="q-1")
    assert again["quote_id"] == first["quote_id"]
    assert quota(local_client, auth_headers) == before


def test_quote_conflict_gives_a_fresh_key(local_client: httpx.Client, auth_headers: Any) -> None:
    quote(local_client, auth_headers, pack_id="starter-500", idempotency_key="q-2")
    response = local_client.post(
        "/v1/credit-quotes",
        json={"credits": 137, "payment_method": "stripe_x402.exact.usdc", "idempotency_key": "q-2"},
        headers=auth_headers,
    )
    error = failed(response, 409, "CREDIT_QUOTE_CONFLICT", "2")
    recovery = error["recovery"]
    fresh = recovery["idempotency_key"]
    assert fresh != "q-2" and fresh.startswith("quote-")
    assert recovery["suggested_command"] == (
        "image-skill credits quote --credits 137 --payment-method stripe_x402.exact.usdc"
        f" --idempotency-key {fresh} --api-base-url local --json"
    )
    # the fresh key works for the attempted terms
    retried = quote(
        local_client,
        auth_headers,
        credits=137,
        payment_method="stripe_x402.exact.usdc",
        idempotency_key=fresh,
    )
    assert retried["credits"] == 137


def test_quote_keys_are_scoped_per_agent(
    local_client: httpx.Client, auth_headers: Any, signup: Any
) -> None:
    other = {"authorization": "Bearer " + signup(local_client, "b@example.com", "other")}
    mine = quote(local_client, auth_headers, pack_id="starter-500", idempotency_key="shared")
    theirs = quote(local_client, other, credits=10, idempotency_key="shared")
    assert mine["quote_id"] != theirs["quote_id"]


@pytest.mark.parametrize(
    "body",
    [
        {"pack_id": "nope"},
        {"credits": 0},
        {"credits": 5001},
        {"credits": 2.5},
        {"credits": True},
        {"credits": 10, "pack_id": "starter-500"},
        {"payment_method": "fake", "credits": 10},
        {},
        {"credits": 10, "card_number": "4242424242424242"},
    ],
)
def test_quote_validation(local_client: httpx.Client, auth_headers: Any, body: Any) -> None:
    response = local_client.post("/v1/credit-quotes", json=body, headers=auth_headers)
    error = failed(response, 400, "INVALID_ARGUMENTS", "2")
    assert "4242" not in response.text or "card" not in error["message"]


def test_credit_routes_need_a_token(local_client: httpx.Client) -> None:
    failed(local_client.post("/v1/credit-quotes", json={"credits": 5}), 401, "AUTH_REQUIRED", "3")
    failed(buy(local_client, {}, "quote_x", "k"), 401, "AUTH_REQUIRED", "3")
    failed(status(local_client, {}), 401, "AUTH_REQUIRED", "3")
    failed(settle(local_client, {}, "payatt_x"), 401, "AUTH_REQUIRED", "3")


# ------------------------------------------------------------------ buy + status + settle


def test_checkout_loop_grants_exactly_once(
    local_client: httpx.Client, auth_headers: Any, db: sqlite3.Connection
) -> None:
    q = quote(local_client, auth_headers, pack_id="builder-2000", idempotency_key="q-loop")
    created = ok(status(local_client, auth_headers, quote_id=q["quote_id"]))
    assert created["state"] == "created" and created["payment_attempt"] is None

    before = quota(local_client, auth_headers)
    data = ok(buy(local_client, auth_headers, q["quote_id"], "buy-loop"))
    assert data["state"] == "action_required" and data["provider"] == "stripe"
    assert data["payment_attempt_id"].startswith("payatt_")
    assert data["checkout_session_id"].startswith("cs_")
    assert data["checkout_handoff_url"].endswith("/pay/" + data["payment_attempt_id"])
    assert data["checkout_compact_url"] == data["checkout_handoff_url"]
    assert "#fid" in data["checkout_url"] and data["live_money"] is False
    assert data["next"]["human_action"] == "open_checkout_url"
    assert data["next"]["fallback_checkout_url"] == data["checkout_url"]
    assert quota(local_client, auth_headers) == before  # buying grants nothing
    attempt_id = data["payment_attempt_id"]

    # replay: same key, same attempt, no second activity event
    assert ok(buy(local_client, auth_headers, q["quote_id"], "buy-loop"))["payment_attempt_id"] == (
        attempt_id
    )
    events = db.execute(
        "SELECT links_json FROM activity_events WHERE type = 'payment.checkout_session.created'"
    ).fetchall()
    assert len(events) == 1 and attempt_id in events[0][0]

    for ref in (
        {"quote_id": q["quote_id"]},
        {"payment_attempt_id": attempt_id},
        {"checkout_session_id": data["checkout_session_id"]},
    ):
        pending = ok(status(local_client, auth_headers, **ref))
        assert pending["state"] == "action_required"
        assert pending["payment_attempt"]["attempt_status"] == "requires_action"
        assert pending["payment_attempt"]["checkout_url"] == data["checkout_url"]
        assert pending["receipt"] is None and pending["credit_event"] is None
        assert pending["next"]["human_action"] == "open_checkout_url"

    first = ok(settle(local_client, auth_headers, attempt_id))
    assert first["state"] == "succeeded" and first["granted_now"] is True
    second = ok(settle(local_client, auth_headers, attempt_id))
    assert second["granted_now"] is False
    assert second["receipt"]["receipt_id"] == first["receipt"]["receipt_id"]

    after = quota(local_client, auth_headers)
    assert (
        after["payment_backed_remaining_credits"]
        == before["payment_backed_remaining_credits"] + 2000
    )
    assert after["remaining_credits"] == before["remaining_credits"]

    done = ok(status(local_client, auth_headers, receipt_id=first["receipt"]["receipt_id"]))
    assert done["state"] == "succeeded"
    assert done["credit_event"]["delta_credits"] == 2000
    assert done["credit_event"]["bucket"] == "payment_backed"
    assert done["limits"]["payment_backed_remaining_credits"] == 2000
    assert db.execute("SELECT COUNT(*) FROM receipts").fetchone()[0] == 1
    granted = db.execute(
        "SELECT links_json FROM activity_events WHERE type = 'credits.payment_backed_granted'"
    ).fetchall()
    assert len(granted) == 1 and first["receipt"]["receipt_id"] in granted[0][0]
    assert ledger_sum(db, "payment_backed") == after["payment_backed_remaining_credits"]


def test_x402_deposit_instructions(local_client: httpx.Client, auth_headers: Any) -> None:
    q = quote(
        local_client,
        auth_headers,
        pack_id="starter-500",
        payment_method="stripe_x402.exact.usdc",
        idempotency_key="q-x402",
    )
    before = quota(local_client, auth_headers)
    data = ok(buy(local_client, auth_headers, q["quote_id"], "buy-x402", x402=True))
    assert data["state"] == "action_required"
    assert data["accepted_payment_method"] == "stripe_x402.exact.usdc"
    block = data["stripe_x402"]
    assert block["scheme"] == "exact" and block["network"] == "base"
    pay = block["payable_instructions"]
    assert pay["token_amount"] == "5.00" and pay["token_amount_atomic"] == "5000000"
    assert pay["amount_cents"] == 500 and pay["token_decimals"] == 6
    assert pay["deposit_address"].startswith("0x") and len(pay["deposit_address"]) == 42
    assert pay["simulated"] is True and pay["exact_amount_required"] is True
    assert block["redacted"]["client_secret"] == "[redacted-stripe-client-secret]"
    attempt_id = data["payment_attempt_id"]
    assert data["next"]["agent_action"] == "pay_stripe_crypto_deposit"
    assert data["next"]["suggested_commands"][0] == (
        f"image-skill credits status --payment-attempt-id {attempt_id} --api-base-url local --json"
    )
    assert quota(local_client, auth_headers) == before
    pending = ok(status(local_client, auth_headers, payment_attempt_id=attempt_id))
    assert pending["payment_attempt"]["stripe_x402"]["payable_instructions"] == pay
    ok(settle(local_client, auth_headers, attempt_id))
    assert quota(local_client, auth_headers)["payment_backed_remaining_credits"] == 500


def test_buy_errors(local_client: httpx.Client, auth_headers: Any, db: sqlite3.Connection) -> None:
    q = quote(local_client, auth_headers, credits=10, idempotency_key="q-err")
    failed(buy(local_client, auth_headers, "quote_nope", "k1"), 404, "QUOTE_NOT_FOUND", "1")
    error = failed(
        buy(local_client, auth_headers, q["quote_id"], "k2", x402=True),
        400,
        "PAYMENT_METHOD_MISMATCH",
        "2",
    )
    assert "--provider stripe " in error["recovery"]["suggested_command"]
    response = local_client.post(
        "/v1/credit-purchases/stripe-checkout-sessions",
        json={"quote_id": q["quote_id"]},
        headers=auth_headers,
    )
    failed(response, 400, "IDEMPOTENCY_KEY_REQUIRED", "2")
    ok(buy(local_client, auth_headers, q["quote_id"], "k3"))
    other = quote(local_client, auth_headers, credits=11, idempotency_key="q-err-2")
    failed(
        buy(local_client, auth_headers, other["quote_id"], "k3"),
        409,
        "IDEMPOTENCY_KEY_CONFLICT",
        "2",
    )
    # an expired quote cannot be bought
    db.execute(
        "UPDATE quotes SET expires_at = '2000-01-01T00:00:00.000Z' WHERE quote_id = ?",
        (other["quote_id"],),
    )
    failed(buy(local_client, auth_headers, other["quote_id"], "k4"), 400, "QUOTE_EXPIRED", "2")
    assert ok(status(local_client, auth_headers, quote_id=other["quote_id"]))["state"] == "expired"


def test_status_references_and_isolation(
    local_client: httpx.Client, auth_headers: Any, signup: Any
) -> None:
    balance = ok(status(local_client, auth_headers))
    assert balance["authenticated"] is True and "limits" in balance
    failed(
        status(local_client, auth_headers, quote_id="a", receipt_id="b"),
        400,
        "INVALID_ARGUMENTS",
        "2",
    )
    failed(
        status(local_client, auth_headers, payment_attempt_id="payatt_x"),
        404,
        "PAYMENT_ATTEMPT_NOT_FOUND",
        "1",
    )
    q = quote(local_client, auth_headers, credits=25, idempotency_key="q-iso")
    attempt_id = ok(buy(local_client, auth_headers, q["quote_id"], "b-iso"))["payment_attempt_id"]
    other = {"authorization": "Bearer " + signup(local_client, "c@example.com", "intruder")}
    failed(
        status(local_client, other, payment_attempt_id=attempt_id),
        404,
        "PAYMENT_ATTEMPT_NOT_FOUND",
        "1",
    )
    failed(status(local_client, other, quote_id=q["quote_id"]), 404, "QUOTE_NOT_FOUND", "1")
    failed(settle(local_client, other, attempt_id), 404, "PAYMENT_ATTEMPT_NOT_FOUND", "1")
    assert quota(local_client, other)["payment_backed_remaining_credits"] == 0


def test_handoff_redirect_and_checkout_page(local_client: httpx.Client, auth_headers: Any) -> None:
    q = quote(local_client, auth_headers, pack_id="starter-500", idempotency_key="q-page")
    data = ok(buy(local_client, auth_headers, q["quote_id"], "b-page"))
    redirect = local_client.get(data["checkout_handoff_url"])
    assert redirect.status_code == 302
    assert redirect.headers["location"] == data["checkout_url"]  # fragment kept
    page = local_client.get(data["checkout_url"])  # httpx drops the fragment, as browsers do
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "500 Image Skill credits" in page.text and "<form method=post" in page.text
    action = data["checkout_url"].split("#")[0] + "/complete"
    paid = local_client.post(action)  # post/redirect/get: the receipt is a plain GET
    assert paid.status_code == 303 and paid.headers["location"].endswith("/receipt")
    assert "500 credits were added" in local_client.get(paid.headers["location"]).text
    again = local_client.post(action, follow_redirects=True)
    assert "already paid" in again.text
    assert quota(local_client, auth_headers)["payment_backed_remaining_credits"] == 500
    assert "already paid" in local_client.get(data["checkout_url"]).text
    assert local_client.get("/pay/payatt_unknown").status_code == 404


def test_fake_purchase_settles_once(local_client: httpx.Client, auth_headers: Any) -> None:
    q = quote(local_client, auth_headers, pack_id="starter-500", idempotency_key="q-fake")
    body = {"quote_id": q["quote_id"], "idempotency_key": "fake-1"}
    first = ok(local_client.post("/v1/credit-purchases", json=body, headers=auth_headers))
    assert first["state"] == "succeeded" and first["credits_granted"] == 500
    assert first["granted_now"] is True and first["live_money"] is False
    again = ok(local_client.post("/v1/credit-purchases", json=body, headers=auth_headers))
    assert again["receipt_id"] == first["receipt_id"] and again["granted_now"] is False
    assert quota(local_client, auth_headers)["payment_backed_remaining_credits"] == 500


# ------------------------------------------------------------------ concurrency


def test_parallel_settles_grant_once(live_server: str, local_settings: LocalSettings) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        token = client.post(
            "/v1/agent-signups",
            json={"agent_contact": "p@example.com", "agent_name": "par", "runtime": "pytest"},
        ).json()["data"]["token"]
        headers = {"authorization": f"Bearer {token}"}
        q = quote(client, headers, pack_id="studio-5000", idempotency_key="q-par")
        attempt_id = ok(buy(client, headers, q["quote_id"], "b-par"))["payment_attempt_id"]

    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def worker() -> None:
        with httpx.Client(base_url=live_server, timeout=30) as own:
            barrier.wait()
            data = ok(settle(own, headers, attempt_id))
        with lock:
            results.append(data)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 10
    assert sum(1 for r in results if r["granted_now"]) == 1
    assert len({r["receipt"]["receipt_id"] for r in results}) == 1

    with httpx.Client(base_url=live_server, timeout=30) as client:
        limits = quota(client, headers)
    assert limits["payment_backed_remaining_credits"] == 5000
    conn = Store(local_settings).connect()
    try:
        assert ledger_sum(conn, "payment_backed") == 5000
        assert conn.execute("SELECT COUNT(*) FROM receipts").fetchone()[0] == 1
        count = conn.execute(
            "SELECT COUNT(*) FROM activity_events WHERE type = 'credits.payment_backed_granted'"
        ).fetchone()[0]
        assert count == 1
    finally:
        conn.close()


# ------------------------------------------------------------------ models + capabilities


def test_models_routes(local_client: httpx.Client) -> None:
    data = ok(
        local_client.get("/v1/models", params={"available": "true", "operation": "image.generate"})
    )
    assert data["models"] and "summary" in data
    for row in data["models"]:  # compact rows by default (contract 0.1.70 §3.3)
        assert row["status"] == "available"
        assert row["model_execution_status"] == "executable"
        assert "image.generate" in row["operations"]
    default = local_client.get("/v1/models")
    rows = ok(default)["models"]
    assert sum(1 for row in rows if row.get("default") is True) == 1
    shown = ok(local_client.get("/v1/models/default"))
    assert shown["id"] == next(row["id"] for row in rows if row.get("default") is True)
    assert shown["model"]["id"] == shown["id"]
    catalog = ok(local_client.get("/v1/models", params={"catalog_only": "true"}))["models"]
    assert catalog and all(row["model_execution_status"] != "executable" for row in catalog)
    failed(local_client.get("/v1/models/nope"), 404, "MODEL_NOT_FOUND", "2")
    failed(
        local_client.get("/v1/models", params={"operation": "image.nope"}),
        400,
        "INVALID_ARGUMENTS",
        "2",
    )


def test_capabilities_routes(local_client: httpx.Client) -> None:
    data = ok(local_client.get("/v1/capabilities"))
    first = data["capabilities"][0]
    shown = ok(local_client.get(f"/v1/capabilities/{first['id']}"))
    assert shown["id"] == first["id"] and shown["capability"] == first
    failed(local_client.get("/v1/capabilities/is.nope"), 404, "CAPABILITY_NOT_FOUND", "2")
