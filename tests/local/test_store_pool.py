"""Pooled connections and the in-process write lock of the SQLite store."""

from __future__ import annotations

import dataclasses
import threading

import httpx
import pytest

from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import POOL_SIZE, Store, new_id, now_iso, transaction


def test_a_released_connection_is_reused_and_the_pool_is_bounded(
    local_settings: LocalSettings,
) -> None:
    store = Store(local_settings)
    first = store.acquire()
    store.release(first)
    assert store.acquire() is first
    borrowed = [first] + [store.acquire() for _ in range(POOL_SIZE + 2)]
    assert len({id(c) for c in borrowed}) == POOL_SIZE + 3
    for conn in borrowed:
        store.release(conn)
    kept = [store.acquire() for _ in range(POOL_SIZE + 1)]
    assert len({id(c) for c in kept} & {id(c) for c in borrowed}) == POOL_SIZE
    store.close()


def test_a_connection_given_back_inside_a_transaction_is_rolled_back(
    local_settings: LocalSettings,
) -> None:
    store = Store(local_settings)
    conn = store.acquire()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO organizations (organization_id, created_at) VALUES (?, ?)",
        ("org_half_done", now_iso()),
    )
    store.release(conn)  # a handler that died half-way
    again = store.acquire()
    assert again is conn and not again.in_transaction
    row = again.execute("SELECT 1 FROM organizations WHERE organization_id = 'org_half_done'")
    assert row.fetchone() is None
    with transaction(again):  # and the write lock was not left held
        again.execute(
            "INSERT INTO organizations (organization_id, created_at) VALUES (?, ?)",
            (new_id("org_"), now_iso()),
        )
    store.release(again)


def test_writers_of_one_process_queue_on_the_lock_not_on_sqlite_busy(
    local_settings: LocalSettings,
) -> None:
    # A 1 ms busy timeout: writers that met in SQLite's busy handler would fail with
    # "database is locked"; writers of one store wait for each other on its lock instead.
    store = Store(dataclasses.replace(local_settings, busy_timeout_ms=1))
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer() -> None:
        conn = store.acquire()
        try:
            start.wait()
            for _ in range(25):
                with transaction(conn):
                    conn.execute(
                        "INSERT INTO organizations (organization_id, created_at) VALUES (?, ?)",
                        (new_id("org_"), now_iso()),
                    )
                    conn.execute("SELECT COUNT(*) FROM organizations").fetchone()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            store.release(conn)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with store.connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM organizations").fetchone()[0] == 200


def test_requests_borrow_and_return_pooled_connections(local_client: httpx.Client) -> None:
    body = {"agent_contact": "pool@example.com", "agent_name": "p", "runtime": "t"}
    token = local_client.post("/v1/agent-signups", json={**body, "return_token": True}).json()[
        "data"
    ]["token"]
    headers = {"authorization": f"Bearer {token}"}
    for _ in range(20):
        assert local_client.get("/v1/quota", headers=headers).status_code == 200
    store: Store = local_client._transport.app.state.store  # type: ignore[attr-defined]
    assert 1 <= len(store._idle) <= POOL_SIZE  # sequential requests reused what they borrowed


def test_commits_are_synced_except_a_dry_runs(local_settings: LocalSettings) -> None:
    """Money rows survive a power cut (``synchronous = FULL``); a non-durable transaction
    (a dry run's plan) commits with ``NORMAL`` and puts ``FULL`` back, even when it fails."""
    store = Store(local_settings)
    conn = store.acquire()
    level = "PRAGMA synchronous"
    try:
        assert conn.execute(level).fetchone()[0] == 2  # FULL
        with transaction(conn, durable=False):
            assert conn.execute(level).fetchone()[0] == 1  # NORMAL
            conn.execute(
                "INSERT INTO organizations (organization_id, created_at) VALUES (?, ?)",
                (new_id("org_"), now_iso()),
            )
        assert conn.execute(level).fetchone()[0] == 2
        with pytest.raises(RuntimeError), transaction(conn, durable=False):
            raise RuntimeError("boom")
        assert conn.execute(level).fetchone()[0] == 2 and not conn.in_transaction
        with transaction(conn):
            assert conn.execute(level).fetchone()[0] == 2
            with transaction(conn, durable=False):  # joins the durable one
                assert conn.execute(level).fetchone()[0] == 2
    finally:
        store.release(conn)
