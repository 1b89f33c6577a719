"""A mixed load against a real ``local serve`` and the money figures after it.

``run_load`` signs up ``accounts`` agents (each buys and settles 5,000 simulated credits),
then ``clients`` threads (two per account, so debits of one balance race each other) each
send ``per_client`` mixed requests: reads (whoami, quota, models, activity, jobs, assets,
media), quotes, feedback, creates with fresh idempotency keys and replays of earlier keys.
Afterwards every account's ``quota`` balance must equal its grants minus one create's
price per distinct key, and in the SQLite ledger every balance must equal the sum of its
``credit_events``. Used by ``tests/reliability/test_load.py`` and the benchmark.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

FREE_CREDITS = 30
PACK = ("studio-5000", 5000)


#: Guards every shared figure the client threads update.
_FIGURES = threading.Lock()


@dataclass
class Account:
    token: str
    granted: int = FREE_CREDITS
    keys: dict[str, int] = field(default_factory=dict)  # create key -> credits debited


@dataclass
class LoadFigures:
    clients: int
    requests: int = 0
    errors: int = 0
    locked: int = 0
    creates: int = 0
    replays: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    ledger_problems: list[str] = field(default_factory=list)

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p99_ms(self) -> float:
        if len(self.latencies_ms) < 2:
            return self.p50_ms
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]

    @property
    def ledger_equals_balance(self) -> bool:
        return not self.ledger_problems

    def problems(self) -> list[str]:
        found = list(self.error_samples[:10]) + self.ledger_problems
        if self.locked:
            found.append(f'"database is locked" seen {self.locked} times')
        return found


def _json(reply: httpx.Response) -> dict[str, Any]:
    value = reply.json()
    assert isinstance(value, dict)
    return value


def new_account(http: httpx.Client, name: str) -> Account:
    body = {"agent_contact": f"{name}@example.com", "agent_name": name, "runtime": "load"}
    signup = _json(http.post("/v1/agent-signups", json={**body, "return_token": True}))
    account = Account(signup["data"]["token"])
    auth = {"authorization": f"Bearer {account.token}"}
    quote = _json(
        http.post(
            "/v1/credit-quotes",
            json={"pack_id": PACK[0], "payment_method": "stripe_checkout"},
            headers=auth,
        )
    )
    bought = _json(
        http.post(
            "/v1/credit-purchases/stripe-checkout-sessions",
            json={"quote_id": quote["data"]["quote_id"], "idempotency_key": f"buy-{name}"},
            headers=auth,
        )
    )
    attempt = bought["data"]["payment_attempt_id"]
    settled = http.post(f"/_local/payment-attempts/{attempt}/settle", headers=auth)
    assert settled.status_code == 200, settled.text
    account.granted += PACK[1]
    return account


def _client_loop(
    base_url: str, account: Account, index: int, per_client: int, figures: LoadFigures
) -> None:
    rng = random.Random(index)
    auth = {"authorization": f"Bearer {account.token}"}
    jobs: list[str] = []
    assets: list[str] = []
    own_keys: list[str] = []
    with httpx.Client(base_url=base_url, headers=auth, timeout=120) as http:
        for n in range(per_client):
            roll = rng.random()
            kind, method, path, body = "read", "GET", "/v1/whoami", None
            if roll < 0.12:
                key = f"load-{index}-{n}"
                kind, method, path = "create", "POST", "/v1/create"
                body = {"prompt": f"load {index} {n}", "idempotency_key": key, "dry_run": False}
            elif roll < 0.17 and own_keys:
                key = rng.choice(own_keys)
                kind, method, path = "replay", "POST", "/v1/create"
                prompt = "load " + " ".join(key.split("-")[1:])  # the original request's
                body = {"prompt": prompt, "idempotency_key": key, "dry_run": False}
            elif roll < 0.25:
                path = "/v1/quota"
            elif roll < 0.35:
                path = "/v1/models"
            elif roll < 0.45:
                path = "/v1/activity"
            elif roll < 0.55 and jobs:
                path = f"/v1/jobs/{rng.choice(jobs)}"
            elif roll < 0.65 and assets:
                path = f"/v1/assets/{rng.choice(assets)}"
            elif roll < 0.70 and assets:
                path = f"/a/{rng.choice(assets)}.png"
            elif roll < 0.78:
                method, path = "POST", "/v1/credit-quotes"
                body = {"credits": rng.randint(1, 500), "payment_method": "stripe_checkout"}
            elif roll < 0.83:
                method, path = "POST", "/v1/feedback"
                body = {"type": "friction", "title": f"load {index} {n}", "body": "load test"}
            started = time.monotonic()
            try:
                reply = http.request(method, path, json=body)
                text = reply.text
            except httpx.HTTPError as exc:
                _record_error(figures, f"{method} {path}: {exc.__class__.__name__}: {exc}")
                continue
            elapsed = (time.monotonic() - started) * 1000
            with _FIGURES:
                figures.requests += 1
                figures.latencies_ms.append(elapsed)
                if "database is locked" in text:
                    figures.locked += 1
            if reply.status_code >= 400:
                _record_error(figures, f"{method} {path}: HTTP {reply.status_code}: {text[:200]}")
                continue
            if path.startswith("/a/"):
                continue
            data = reply.json().get("data") or {}
            if kind in ("create", "replay") and body is not None:
                debit = int(data["quota"]["consumed_credits"]) if kind == "create" else 0
                with _FIGURES:
                    figures.creates += kind == "create"
                    figures.replays += kind == "replay"
                    if kind == "create":
                        account.keys[body["idempotency_key"]] = debit
                if kind == "create":
                    own_keys.append(body["idempotency_key"])
                    jobs.append(data["job_id"])
                    assets += [a["asset_id"] for a in data.get("assets", [])]


def _record_error(figures: LoadFigures, message: str) -> None:
    with _FIGURES:
        figures.errors += 1
        if "database is locked" in message:
            figures.locked += 1
        if len(figures.error_samples) < 20:
            figures.error_samples.append(message)


def run_load(
    base_url: str, data_dir: Path, *, clients: int = 8, per_client: int = 50
) -> LoadFigures:
    """Run the load; figures (requests, errors, latencies) and the ledger check."""
    figures = LoadFigures(clients)
    with httpx.Client(base_url=base_url, timeout=120) as http:
        accounts = [new_account(http, f"load{i}") for i in range(max(1, clients // 2))]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [
            pool.submit(_client_loop, base_url, accounts[i % len(accounts)], i, per_client, figures)
            for i in range(clients)
        ]
        for future in futures:
            future.result()
    figures.seconds = time.monotonic() - started
    figures.ledger_problems = _ledger_problems(base_url, accounts, data_dir)
    return figures


def _ledger_problems(base_url: str, accounts: list[Account], data_dir: Path) -> list[str]:
    problems: list[str] = []
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for number, account in enumerate(accounts):
            reply = http.get("/v1/quota", headers={"authorization": f"Bearer {account.token}"})
            total = reply.json()["data"]["limits"]["total_remaining_credits"]
            expected = account.granted - sum(account.keys.values())
            if total != expected:
                problems.append(f"account {number}: quota says {total}, creates imply {expected}")
    connection = sqlite3.connect(f"file:{data_dir / 'image-skill.sqlite3'}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT b.organization_id, b.bucket, b.balance,"
            " (SELECT COALESCE(SUM(delta), 0) FROM credit_events e"
            "  WHERE e.organization_id = b.organization_id AND e.bucket = b.bucket)"
            " FROM credit_balances b"
        ).fetchall()
    finally:
        connection.close()
    for org, bucket, balance, ledger in rows:
        if balance != ledger:
            problems.append(f"{org}/{bucket}: balance {balance} but ledger sum {ledger}")
    if not rows:
        problems.append("no credit balances found in the ledger")
    return problems
