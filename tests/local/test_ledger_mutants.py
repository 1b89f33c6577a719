"""The credit ledger's money rules at their edges: exact balances, zero debits, the day window
and the quota snapshot's figures (each one computed from buckets with different values)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from image_skill.local.agents import signup_agent
from image_skill.local.billing import ledger
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor, Store, iso


@pytest.fixture
def conn(local_settings: LocalSettings) -> Iterator[sqlite3.Connection]:
    with Store(local_settings).connection() as c:
        yield c


def agent(conn: sqlite3.Connection, free: int = 10, name: str = "a") -> Actor:
    result = signup_agent(
        conn, agent_contact=f"{name}@example.com", agent_name=name, runtime="t", free_credits=free
    )
    return result.actor


def balance(conn: sqlite3.Connection, org: str) -> dict[str, tuple[int, int, int]]:
    return {
        bucket: (b.balance, b.granted_total, b.consumed_total)
        for bucket, b in ledger.balances(conn, org).items()
    }


def events(conn: sqlite3.Connection, org: str) -> list[tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT bucket, delta, balance_after, reason, actor_id, job_id, quote_id"
        " FROM credit_events WHERE organization_id = ? ORDER BY rowid",
        (org,),
    )
    return [tuple(r) for r in rows]


# --- grants ---------------------------------------------------------------------------------


def test_an_organization_without_credits_has_empty_buckets(conn: sqlite3.Connection) -> None:
    assert balance(conn, "org_nobody") == {"free_preview": (0, 0, 0), "payment_backed": (0, 0, 0)}


def test_grant_adds_to_balance_and_granted_and_records_its_references(
    conn: sqlite3.Connection,
) -> None:
    org = agent(conn, free=0).organization_id
    assert balance(conn, org)["payment_backed"] == (0, 0, 0)
    event = ledger.grant(
        conn, org, "payment_backed", 25, reason="paid", actor_id="agt_1", quote_id="quote_1"
    )
    assert balance(conn, org)["payment_backed"] == (25, 25, 0)
    assert events(conn, org)[-1] == ("payment_backed", 25, 25, "paid", "agt_1", None, "quote_1")
    public = event.public()
    assert list(public) == [
        "credit_event_id",
        "bucket",
        "delta_credits",
        "balance_after",
        "reason",
        "created_at",
    ]
    assert (public["bucket"], public["delta_credits"], public["balance_after"]) == (
        "payment_backed",
        25,
        25,
    )
    assert public["credit_event_id"].startswith("credit_event_")


@pytest.mark.parametrize("credits", [0, -1])
def test_a_grant_must_be_positive(conn: sqlite3.Connection, credits: int) -> None:
    org = agent(conn).organization_id
    with pytest.raises(ValueError, match="a grant must be positive"):
        ledger.grant(conn, org, "free_preview", credits, reason="x")
    assert ledger.grant(conn, org, "free_preview", 1, reason="x").balance_after == 11


def test_unknown_buckets_and_references_are_refused(conn: sqlite3.Connection) -> None:
    org = agent(conn).organization_id
    with pytest.raises(ValueError, match="unknown bucket 'gift'"):
        ledger.grant(conn, org, "gift", 5, reason="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown credit event references: \['a_id', 'z_id'\]"):
        ledger.grant(conn, org, "free_preview", 5, reason="x", z_id="1", a_id="2")
    assert balance(conn, org)["free_preview"] == (10, 10, 0)


def test_balances_and_events_are_immutable_values(conn: sqlite3.Connection) -> None:
    org = agent(conn, free=3).organization_id
    bucket = ledger.balances(conn, org)["free_preview"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        bucket.balance = 99  # type: ignore[misc]
    assert {bucket, ledger.balances(conn, org)["free_preview"]} == {bucket}
    (event,) = ledger.debit(conn, org, 2, reason="job")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.delta = 0  # type: ignore[misc]
    assert {event, dataclasses.replace(event)} == {event}
    assert ledger.balances(conn, org)["free_preview"].balance == 1


# --- debits ---------------------------------------------------------------------------------


def test_a_debit_of_exactly_the_balance_empties_it(conn: sqlite3.Connection) -> None:
    org = agent(conn, free=10).organization_id
    ledger.grant(conn, org, "payment_backed", 5, reason="paid")
    spent = ledger.debit(conn, org, 15, reason="job", job_id="job_1")
    assert [(e.bucket, e.delta, e.balance_after) for e in spent] == [
        ("free_preview", -10, 0),
        ("payment_backed", -5, 0),
    ]
    assert balance(conn, org) == {"free_preview": (0, 10, 10), "payment_backed": (0, 5, 5)}


def test_a_debit_the_free_bucket_covers_touches_only_that_bucket(conn: sqlite3.Connection) -> None:
    org = agent(conn, free=10).organization_id
    ledger.grant(conn, org, "payment_backed", 5, reason="paid")
    spent = ledger.debit(conn, org, 10, reason="job")
    assert [(e.bucket, e.delta) for e in spent] == [("free_preview", -10)]
    assert balance(conn, org)["payment_backed"] == (5, 5, 0)


def test_a_single_credit_is_taken_from_the_bucket_that_holds_it(
    conn: sqlite3.Connection,
) -> None:
    org = agent(conn, free=1).organization_id
    ledger.grant(conn, org, "payment_backed", 5, reason="paid")
    spent = ledger.debit(conn, org, 3, reason="job")
    assert [(e.bucket, e.delta, e.balance_after) for e in spent] == [
        ("free_preview", -1, 0),
        ("payment_backed", -2, 3),
    ]
    (last,) = ledger.debit(conn, org, 1, reason="job")
    assert (last.bucket, last.delta, last.balance_after) == ("payment_backed", -1, 2)
    assert balance(conn, org) == {"free_preview": (0, 1, 1), "payment_backed": (2, 5, 3)}


def test_a_zero_debit_writes_nothing(conn: sqlite3.Connection) -> None:
    org = agent(conn, free=10).organization_id
    before = events(conn, org)
    assert ledger.debit(conn, org, 0, reason="job") == []
    assert events(conn, org) == before


def test_a_negative_debit_is_refused(conn: sqlite3.Connection) -> None:
    org = agent(conn).organization_id
    with pytest.raises(ValueError, match="a debit must not be negative"):
        ledger.debit(conn, org, -1, reason="job")


def test_a_debit_over_the_balance_changes_nothing_and_says_how_much(
    conn: sqlite3.Connection,
) -> None:
    org = agent(conn, free=10).organization_id
    ledger.grant(conn, org, "payment_backed", 5, reason="paid")
    with pytest.raises(ledger.InsufficientCredits) as info:
        ledger.debit(conn, org, 16, reason="job")
    assert (info.value.needed, info.value.available) == (16, 15)
    assert str(info.value) == "needs 16 credits, 15 available"
    assert balance(conn, org) == {"free_preview": (10, 10, 0), "payment_backed": (5, 5, 0)}


def test_a_debit_limited_to_one_bucket_ignores_the_others(conn: sqlite3.Connection) -> None:
    org = agent(conn, free=10).organization_id
    ledger.grant(conn, org, "payment_backed", 5, reason="paid")
    with pytest.raises(ledger.InsufficientCredits) as info:
        ledger.debit(conn, org, 6, reason="job", buckets=("payment_backed",))
    assert info.value.available == 5
    spent = ledger.debit(conn, org, 4, reason="job", buckets=("payment_backed",))
    assert [(e.bucket, e.balance_after) for e in spent] == [("payment_backed", 1)]
    assert balance(conn, org)["free_preview"] == (10, 10, 0)


# --- releases and reversals -------------------------------------------------------------


def test_release_gives_back_each_bucket_its_share(conn: sqlite3.Connection) -> None:
    org = agent(conn, free=4).organization_id
    ledger.grant(conn, org, "payment_backed", 6, reason="paid")
    spent = ledger.debit(conn, org, 7, reason="job", job_id="job_1")
    back = ledger.release(conn, spent, reason="job_failed", job_id="job_1")
    assert [(e.bucket, e.delta, e.balance_after, e.reason) for e in back] == [
        ("free_preview", 4, 4, "job_failed"),
        ("payment_backed", 3, 6, "job_failed"),
    ]
    assert balance(conn, org) == {"free_preview": (4, 4, 0), "payment_backed": (6, 6, 0)}


@pytest.mark.parametrize("delta", [0, 3])
def test_only_debits_can_be_released(conn: sqlite3.Connection, delta: int) -> None:
    org = agent(conn, free=4).organization_id
    grant = ledger.grant(conn, org, "free_preview", 3, reason="paid")
    event = dataclasses.replace(grant, delta=delta)
    with pytest.raises(ValueError, match="only debits can be released"):
        ledger.release(conn, [event], reason="oops")
    assert balance(conn, org)["free_preview"] == (7, 7, 0)


def test_a_reversal_takes_back_granted_credits_up_to_the_balance(conn: sqlite3.Connection) -> None:
    org = agent(conn, free=0).organization_id
    ledger.grant(conn, org, "payment_backed", 10, reason="paid")
    ledger.debit(conn, org, 4, reason="job")
    event, pending = ledger.revoke_granted(conn, org, "payment_backed", 5, reason="refund")
    assert event is not None and (event.delta, event.balance_after) == (-5, 1)
    assert pending == 0
    assert balance(conn, org)["payment_backed"] == (1, 5, 4)
    event, pending = ledger.revoke_granted(conn, org, "payment_backed", 3, reason="refund")
    assert event is not None and (event.delta, pending) == (-1, 2)
    assert balance(conn, org)["payment_backed"] == (0, 4, 4)


@pytest.mark.parametrize("credits", [0, -2])
def test_a_reversal_must_be_positive(conn: sqlite3.Connection, credits: int) -> None:
    org = agent(conn).organization_id
    with pytest.raises(ValueError, match="a reversal must be positive"):
        ledger.revoke_granted(conn, org, "free_preview", credits, reason="refund")


# --- the day window and the quota snapshot -------------------------------------------------

NOON = datetime(2026, 3, 4, 12, 30, 15, 123456, tzinfo=UTC)


def test_the_utc_day_window() -> None:
    start, end = ledger.utc_day_window(NOON)
    assert (iso(start), iso(end)) == ("2026-03-04T00:00:00.000Z", "2026-03-05T00:00:00.000Z")


def add_job(conn: sqlite3.Connection, actor: Actor, job_id: str, created: str, counts: int) -> None:
    conn.execute(
        "INSERT INTO jobs (job_id, organization_id, actor_id, operation, status,"
        " counts_daily_cap, created_at, updated_at) VALUES (?, ?, ?, 'create', 'completed',"
        " ?, ?, ?)",
        (job_id, actor.organization_id, actor.actor_id, counts, created, created),
    )


def test_daily_jobs_count_the_day_from_its_first_to_its_last_millisecond(
    conn: sqlite3.Connection,
) -> None:
    actor = agent(conn)
    other = agent(conn, name="b")
    add_job(conn, actor, "job_start", "2026-03-04T00:00:00.000Z", 1)
    add_job(conn, actor, "job_last", "2026-03-04T23:59:59.999Z", 1)
    add_job(conn, actor, "job_next_day", "2026-03-05T00:00:00.000Z", 1)
    add_job(conn, actor, "job_day_before", "2026-03-03T23:59:59.999Z", 1)
    add_job(conn, actor, "job_paid", "2026-03-04T10:00:00.000Z", 0)
    add_job(conn, other, "job_other_org", "2026-03-04T10:00:00.000Z", 1)
    assert ledger.daily_jobs_used(conn, actor.organization_id, NOON) == 2


def test_quota_snapshot_figures(conn: sqlite3.Connection, local_settings: LocalSettings) -> None:
    actor = agent(conn, free=30)
    org = actor.organization_id
    ledger.grant(conn, org, "payment_backed", 50, reason="paid")
    ledger.debit(conn, org, 37, reason="job")  # 30 free, then 7 paid
    for i in range(6):  # more jobs than the daily cap of 4
        add_job(conn, actor, f"job_{i}", f"2026-03-04T0{i}:00:00.000Z", 1)
    snap = ledger.quota_snapshot(conn, actor, local_settings, NOON)
    assert snap["limits"] == {
        "remaining_credits": 0,
        "free_preview_credits_granted": 30,
        "free_preview_credits_consumed": 30,
        "payment_backed_remaining_credits": 43,
        "payment_backed_granted_credits": 50,
        "payment_backed_consumed_credits": 7,
        "total_remaining_credits": 43,
        "credit_unit_usd": 0.01,
    }
    assert snap["daily_jobs"] == {
        "limit": 4,
        "used": 6,
        "remaining": 0,
        "window": "utc_day",
        "resets_at": "2026-03-05T00:00:00.000Z",
        "applies_to": "free_preview_funded_jobs",
    }
    assert snap["model_limits"] == {"max_output_count": 4, "max_credits_per_job": 200}
    assert snap["reset_windows"] == [
        {"limit": "daily_jobs", "window": "utc_day", "resets_at": "2026-03-05T00:00:00.000Z"},
        {"limit": "free_preview_credits", "window": "none", "resets_at": None},
    ]
    assert (snap["authenticated"], snap["actor"]) == (True, actor.envelope_block())


def test_quota_snapshot_remaining_credits_and_jobs_below_the_cap(
    conn: sqlite3.Connection, local_settings: LocalSettings
) -> None:
    actor = agent(conn, free=30)
    ledger.debit(conn, actor.organization_id, 9, reason="job")
    add_job(conn, actor, "job_1", "2026-03-04T01:00:00.000Z", 1)
    snap = ledger.quota_snapshot(conn, actor, local_settings, NOON)
    assert snap["limits"]["remaining_credits"] == 21
    assert snap["limits"]["total_remaining_credits"] == 21
    assert (snap["daily_jobs"]["used"], snap["daily_jobs"]["remaining"]) == (1, 3)
