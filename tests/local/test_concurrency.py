"""Concurrent writers on one data dir: threads, two apps, several processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.agents import signup_agent
from image_skill.local.app import create_app
from image_skill.local.billing import ledger
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store
from image_skill.local.transport import InProcessTransport

SRC = Path(__file__).resolve().parents[2] / "src"


def _body(i: int, name: str = "agent") -> dict[str, Any]:
    return {
        "agent_contact": f"agent{i}@example.com",
        "agent_name": name,
        "runtime": "pytest",
        "return_token": True,
    }


def _check_consistent(settings: LocalSettings, agents: int, tokens: int) -> None:
    store = Store(settings)
    with store.connection() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM actors").fetchone()[0] == agents
        assert conn.execute("SELECT COUNT(*) FROM organizations").fetchone()[0] == agents
        assert conn.execute("SELECT COUNT(*) FROM tokens").fetchone()[0] == tokens
        rows = conn.execute(
            "SELECT b.organization_id, b.balance,"
            " (SELECT SUM(delta) FROM credit_events e WHERE e.organization_id = b.organization_id"
            "  AND e.bucket = b.bucket) AS ledger_sum"
            " FROM credit_balances b"
        ).fetchall()
        assert len(rows) == agents
        for row in rows:
            assert row["balance"] == row["ledger_sum"] == settings.free_credits


def test_concurrent_signups_from_threads(
    local_client: httpx.Client, local_settings: LocalSettings
) -> None:
    # 16 distinct agents plus 8 signups of one agent (rotation) racing each other.
    bodies = [_body(i) for i in range(16)] + [_body(99, "same") for _ in range(8)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda b: local_client.post("/v1/agent-signups", json=b), bodies))
    assert [r.status_code for r in responses] == [200] * len(bodies)
    tokens = {r.json()["data"]["token"] for r in responses}
    assert len(tokens) == len(bodies)
    same_agent = {r.json()["data"]["actor_id"] for r in responses[16:]}
    assert len(same_agent) == 1
    _check_consistent(local_settings, agents=17, tokens=24)
    # Every token works afterwards.
    for token in list(tokens)[:5]:
        quota = local_client.get("/v1/quota", headers={"authorization": f"Bearer {token}"})
        assert quota.json()["data"]["limits"]["remaining_credits"] == 30


def test_two_apps_share_one_data_dir(local_settings: LocalSettings) -> None:
    clients = [
        httpx.Client(
            transport=InProcessTransport(create_app(local_settings)), base_url=IN_PROCESS_ORIGIN
        )
        for _ in range(2)
    ]
    try:
        jobs = [(clients[i % 2], _body(i)) for i in range(20)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(
                pool.map(lambda j: j[0].post("/v1/agent-signups", json=j[1]).status_code, jobs)
            )
        assert codes == [200] * 20
        # A token minted through one app authenticates through the other.
        token = clients[0].post("/v1/agent-signups", json=_body(500)).json()["data"]["token"]
        who = clients[1].get("/v1/whoami", headers={"authorization": f"Bearer {token}"})
        assert who.json()["ok"] is True
    finally:
        for client in clients:
            client.close()
    _check_consistent(local_settings, agents=21, tokens=21)


def test_concurrent_debits_never_overspend(local_settings: LocalSettings) -> None:
    store = Store(local_settings)
    with store.connection() as conn:
        actor = signup_agent(
            conn, agent_contact="d@example.com", agent_name="d", runtime="t", free_credits=30
        ).actor

    def spend(_: int) -> bool:
        with store.connection() as conn:
            try:
                ledger.debit(conn, actor.organization_id, 9, reason="job")
            except ledger.InsufficientCredits:
                return False
            return True

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(spend, range(12)))
    assert outcomes.count(True) == 3
    with store.connection() as conn:
        bal = ledger.balances(conn, actor.organization_id)["free_preview"]
        assert (bal.balance, bal.consumed_total) == (3, 27)


def test_concurrent_signups_from_processes(local_settings: LocalSettings) -> None:
    script = textwrap.dedent(
        """
        import sys, httpx
        from image_skill._constants import IN_PROCESS_ORIGIN
        from image_skill.local import make_in_process_transport
        worker = int(sys.argv[1])
        with httpx.Client(transport=make_in_process_transport(), base_url=IN_PROCESS_ORIGIN) as c:
            for i in range(5):
                body = {"agent_contact": f"p{worker}-{i}@example.com", "agent_name": "p",
                        "runtime": "proc", "return_token": True}
                r = c.post("/v1/agent-signups", json=body)
                assert r.status_code == 200, r.text
        """
    )
    env = {**os.environ, "IMAGE_SKILL_LOCAL_DIR": str(local_settings.data_dir)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(w)], env=env, stderr=subprocess.PIPE)
        for w in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    _check_consistent(local_settings, agents=15, tokens=15)
