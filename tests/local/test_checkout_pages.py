"""The simulated Checkout page and its receipt: paying grants exactly once (no browser)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from createtools import balance, ok

EXIT = "x-image-skill-exit-code"


def checkout(client: httpx.Client, headers: dict[str, str], key: str) -> dict[str, Any]:
    quote = ok(
        client.post(
            "/v1/credit-quotes",
            json={
                "pack_id": "starter-500",
                "payment_method": "stripe_checkout",
                "idempotency_key": "q-" + key,
            },
            headers=headers,
        )
    )
    body = {"quote_id": quote["quote_id"], "idempotency_key": "b-" + key}
    return ok(
        client.post("/v1/credit-purchases/stripe-checkout-sessions", json=body, headers=headers)
    )


def paths(data: dict[str, Any]) -> tuple[str, str, str]:
    page = httpx.URL(data["checkout_url"]).path
    return page, page + "/complete", page + "/receipt"


def field(html: str, ident: str) -> str:
    found = re.search(rf"id={ident}>([^<]*)<", html)
    assert found, f"no #{ident} in the page"
    return found.group(1)


def test_pay_redirects_to_a_receipt_and_a_second_post_grants_nothing(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    data = checkout(local_client, auth_headers, "once")
    page, complete, receipt = paths(data)
    unpaid = local_client.get(receipt)
    assert unpaid.status_code == 404 and "No receipt yet" in unpaid.text
    assert "id=pay" in local_client.get(page).text
    before = balance(local_client, auth_headers)

    paid = local_client.post(complete)
    assert paid.status_code == 303 and paid.headers["location"] == receipt
    shown = local_client.get(receipt)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert field(shown.text, "status") == "succeeded"
    assert field(shown.text, "credits-granted") == "500"
    assert field(shown.text, "balance") == str(before + 500)
    assert "500 credits were added" in shown.text
    assert data["payment_attempt_id"] in shown.text and "receipt_" in shown.text
    assert f"--payment-attempt-id {data['payment_attempt_id']}" in shown.text

    again = local_client.post(complete)
    assert again.status_code == 303 and again.headers["location"] == receipt + "?again=1"
    repeat = local_client.get(again.headers["location"]).text
    assert "nothing was charged or granted again" in repeat
    assert field(repeat, "balance") == str(before + 500)
    reloaded = local_client.get(receipt).text  # a reload is a GET: nothing happens
    assert field(reloaded, "balance") == str(before + 500)
    after = local_client.get(page).text
    assert "already paid" in after and "id=pay" not in after and receipt in after
    assert balance(local_client, auth_headers) == before + 500
    grants = ok(local_client.get("/v1/activity", headers=auth_headers))
    kinds = [event["type"] for event in grants["events"]]
    assert kinds.count("credits.payment_backed_granted") == 1


def test_concurrent_posts_over_http_grant_once(live_server: str, signup: Any) -> None:
    with httpx.Client(base_url=live_server) as client:
        headers = {"authorization": f"Bearer {signup(client)}"}
        _page, complete, receipt = paths(checkout(client, headers, "race"))
        before = balance(client, headers)
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda _: httpx.post(live_server + complete), range(4)))
        locations = sorted(r.headers["location"] for r in replies)
        assert locations == [receipt] + [receipt + "?again=1"] * 3
        assert balance(client, headers) == before + 500


def test_unknown_and_unpayable_checkouts_answer_pages(
    local_client: httpx.Client, auth_headers: dict[str, str], local_settings: Any
) -> None:
    from image_skill.local.store.db import Store

    for path in ("/_local/checkout/c/pay/cs_nope", "/_local/checkout/c/pay/cs_nope/receipt"):
        reply = local_client.get(path)
        assert reply.status_code == 404 and "Checkout not found" in reply.text
    data = checkout(local_client, auth_headers, "failed")
    with Store(local_settings).connection() as conn:
        conn.execute(
            "UPDATE payment_attempts SET status = 'failed' WHERE payment_attempt_id = ?",
            (data["payment_attempt_id"],),
        )
    before = balance(local_client, auth_headers)
    refused = local_client.post(paths(data)[1])
    assert refused.status_code == 409 and "text/html" in refused.headers["content-type"]
    assert "cannot be settled" in refused.text
    assert balance(local_client, auth_headers) == before
