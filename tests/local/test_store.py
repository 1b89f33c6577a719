"""The SQLite store: transactions, ledger invariants, activity registry."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from image_skill.local.activity import LINK_KEYS, UnregisteredActivityType, record_activity
from image_skill.local.agents import signup_agent
from image_skill.local.billing import ledger
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor, Store, authenticate, transaction
from image_skill.local.store.schema import ACTIVITY_TYPES, SCHEMA_VERSION


@pytest.fixture
def store(local_settings: LocalSettings) -> Store:
    return Store(local_settings)


@pytest.fixture
def conn(store: Store) -> Iterator[sqlite3.Connection]:
    with store.connection() as c:
        yield c


def _agent(conn: sqlite3.Connection, free: int = 30, name: str = "a") -> tuple[Actor, str]:
    result = signup_agent(
        conn, agent_contact="x@example.com", agent_name=name, runtime="t", free_credits=free
    )
    return result.actor, result.token


def test_wal_mode_and_schema_version(store: Store, conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    Store(store.settings)  # opening again is a no-op


def test_transaction_rolls_back_on_error(conn: sqlite3.Connection) -> None:
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute(
            "INSERT INTO organizations (organization_id, created_at) VALUES ('org_x', 'now')"
        )
        raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM organizations").fetchone()[0] == 0
    assert not conn.in_transaction


def test_authenticate(conn: sqlite3.Connection) -> None:
    actor, token = _agent(conn)
    found = authenticate(conn, token)
    assert found is not None and found.actor_id == actor.actor_id
    assert authenticate(conn, None) is None
    assert authenticate(conn, token + "x") is None
    assert conn.execute("SELECT last_used_at FROM tokens").fetchone()[0] is not None
    conn.execute("UPDATE tokens SET status = 'revoked'")
    assert authenticate(conn, token) is None


def test_signup_grant_is_a_credit_event(conn: sqlite3.Connection) -> None:
    actor, _ = _agent(conn, free=30)
    rows = conn.execute("SELECT bucket, delta, balance_after, reason FROM credit_events").fetchall()
    assert [tuple(r) for r in rows] == [("free_preview", 30, 30, "signup_free_preview_grant")]
    assert ledger.balances(conn, actor.organization_id)["free_preview"].balance == 30


def test_debit_spends_free_first_then_paid_and_is_all_or_nothing(
    conn: sqlite3.Connection,
) -> None:
    actor, _ = _agent(conn, free=10)
    org = actor.organization_id
    ledger.grant(conn, org, "payment_backed", 20, reason="test_grant", quote_id="quote_1")
    events = ledger.debit(conn, org, 15, reason="job", job_id="job_1")
    assert [(e.bucket, e.delta, e.balance_after) for e in events] == [
        ("free_preview", -10, 0),
        ("payment_backed", -5, 15),
    ]
    with pytest.raises(ledger.InsufficientCredits) as info:
        ledger.debit(conn, org, 16, reason="job")
    assert info.value.available == 15
    bal = ledger.balances(conn, org)
    assert (bal["free_preview"].balance, bal["payment_backed"].balance) == (0, 15)
    # Releasing gives back to the buckets the debit came from.
    ledger.release(conn, events, reason="job_failed", job_id="job_1")
    bal = ledger.balances(conn, org)
    assert (bal["free_preview"].balance, bal["payment_backed"].balance) == (10, 20)
    assert bal["free_preview"].consumed_total == 0
    # Ledger sum equals cached balances.
    total = conn.execute(
        "SELECT SUM(delta) FROM credit_events WHERE organization_id = ?", (org,)
    ).fetchone()[0]
    assert total == 30


def test_reversal_never_goes_negative(conn: sqlite3.Connection) -> None:
    actor, _ = _agent(conn, free=0)
    org = actor.organization_id
    ledger.grant(conn, org, "payment_backed", 10, reason="paid")
    ledger.debit(conn, org, 7, reason="job")
    event, pending = ledger.revoke_granted(conn, org, "payment_backed", 10, reason="refund")
    assert event is not None and event.balance_after == 0
    assert pending == 7
    assert ledger.revoke_granted(conn, org, "payment_backed", 1, reason="refund") == (None, 1)


def test_database_rejects_negative_balance(conn: sqlite3.Connection) -> None:
    actor, _ = _agent(conn)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "UPDATE credit_balances SET balance = -1 WHERE organization_id = ?",
            (actor.organization_id,),
        )


def test_quota_snapshot_counts_daily_jobs(store: Store, conn: sqlite3.Connection) -> None:
    actor, _ = _agent(conn)
    settings = store.settings
    now = "2000-01-01T00:00:00.000Z"
    for i, counts in enumerate([1, 1, 0]):
        conn.execute(
            "INSERT INTO jobs (job_id, organization_id, actor_id, operation, status,"
            " counts_daily_cap, created_at, updated_at) VALUES (?, ?, ?, 'create', 'completed',"
            " ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)",
            (f"job_{i}", actor.organization_id, actor.actor_id, counts, now),
        )
    snap = ledger.quota_snapshot(conn, actor, settings)
    assert snap["daily_jobs"]["used"] == 2
    assert snap["daily_jobs"]["remaining"] == 2


def test_activity_links_complete_and_types_registered(conn: sqlite3.Connection) -> None:
    actor, _ = _agent(conn)
    assert len(ACTIVITY_TYPES) == 14
    event = record_activity(
        conn,
        "asset.created",
        organization_id=actor.organization_id,
        actor_id=actor.actor_id,
        subject_id="image_1",
        links={"job_id": "job_1", "asset_ids": ["image_1"]},
        estimated_usd=0.05,
        trace_id="trace_1",
    )
    assert event["event_id"].startswith("evt_")
    assert list(event["links"]) == list(LINK_KEYS)
    assert event["links"]["job_id"] == "job_1"
    assert event["links"]["asset_ids"] == ["image_1"]
    assert event["links"]["feedback_id"] is None
    assert event["subject"] == {"type": "asset", "id": "image_1"}
    assert event["cost"] == {"estimated_usd": 0.05}
    with pytest.raises(UnregisteredActivityType):
        record_activity(conn, "job.started", organization_id="o", subject_id="s")
    with pytest.raises(ValueError):
        record_activity(
            conn, "job.completed", organization_id="o", subject_id="s", links={"bogus": 1}
        )
    # The database refuses unregistered types even if code bypasses the check.
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO activity_events (event_id, organization_id, type, subject_type,"
            " subject_id, operation, summary, links_json, occurred_at, seq)"
            " VALUES ('evt_x', ?, 'job.started', 'job', 'j', 'create', 's', '{}', 'now', 99)",
            (actor.organization_id,),
        )
