"""The event loop's own connection: dry runs and token lookups on the loop use one
connection set up once (no pragma per request), the pooled ones keep their durable
settings, and a held write lock still never makes the loop wait."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from image_skill.local.app import create_app
from image_skill.local.server import serve_in_thread
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Connection, Store, new_id, now_iso, transaction

DRY_RUN = {"prompt": "a lighthouse at dusk", "aspect_ratio": "1:1", "dry_run": True}


def _signed_in(base: str) -> dict[str, str]:
    reply = httpx.post(
        base + "/v1/agent-signups",
        json={"agent_name": "loop", "runtime": "pytest", "return_token": True},
    )
    assert reply.status_code == 200, reply.text
    return {"authorization": f"Bearer {reply.json()['data']['token']}"}


@contextmanager
def _after_one_dry_run(
    settings: LocalSettings,
) -> Iterator[tuple[Store, str, dict[str, str], sqlite3.Connection]]:
    """A served backend that answered one signed-in dry run: (store, base, headers, the
    loop connection that run used)."""
    app = create_app(settings)
    store: Store = app.state.store
    with serve_in_thread(app=app) as (base, _stop):
        headers = _signed_in(base)
        first = httpx.post(base + "/v1/create", json=DRY_RUN, headers=headers)
        assert first.status_code == 200, first.text
        loop = store.loop_conn
        assert loop is not None
        yield store, base, headers, loop


def _traced(conn: sqlite3.Connection) -> list[str]:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    return statements


def test_dry_runs_commit_on_the_loop_connection_without_a_pragma_per_request(
    local_settings: LocalSettings,
) -> None:
    with _after_one_dry_run(local_settings) as (store, base, headers, loop):
        with httpx.Client(base_url=base, headers=headers) as client:
            statements = _traced(loop)
            replies = [client.post("/v1/create", json=DRY_RUN) for _ in range(3)]
            loop.set_trace_callback(None)
            assert [r.status_code for r in replies] == [200, 200, 200]
            # The lookup and the dry run ran there, and no pragma was switched for them.
            assert sum("FROM tokens" in s for s in statements) == 3
            assert statements.count("COMMIT") == 3
            assert not [s for s in statements if s.startswith("PRAGMA")]
            assert loop.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
            assert loop.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            # The rows are stored as before: the job and its job.planned event.
            job_id = replies[-1].json()["data"]["job_id"]
            job = client.get(f"/v1/jobs/{job_id}")
            assert job.status_code == 200 and job.json()["data"]["status"] == "planned"
            events = client.get("/v1/activity").json()["data"]["events"]
            assert job_id in {e["links"]["job_id"] for e in events if e["type"] == "job.planned"}
        # The pooled connections still sync every commit and checkpoint on their own.
        pooled = store.acquire()
        try:
            assert pooled is not loop
            assert pooled.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert pooled.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        finally:
            store.release(pooled)
    store.close()
    assert store.loop_conn is None
    with pytest.raises(sqlite3.ProgrammingError):
        loop.execute("SELECT 1")  # closed with the store


def test_a_held_write_lock_sends_the_token_lookup_to_a_pooled_connection(
    local_settings: LocalSettings,
) -> None:
    with _after_one_dry_run(local_settings) as (store, base, headers, loop):
        statements = _traced(loop)
        conn = store.acquire()
        assert isinstance(conn, Connection) and conn.write_lock is not None
        lock = conn.write_lock
        lock.acquire()  # a live job's commit in another thread
        try:
            started = time.monotonic()
            who = httpx.get(base + "/v1/whoami", headers=headers, timeout=5)
            seconds = time.monotonic() - started
        finally:
            lock.release()
            store.release(conn)
        loop.set_trace_callback(None)
    assert who.status_code == 200 and who.json()["data"]["actor"]["actor_type"] == "agent"
    assert seconds < 2.0 and statements == []  # answered at once, off the loop connection


def test_a_durable_transaction_on_a_normal_connection_syncs_and_puts_normal_back(
    local_settings: LocalSettings,
) -> None:
    store = Store(local_settings)
    conn = store.connect()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.synchronous = "NORMAL"  # type: ignore[attr-defined]  # as the loop connection
    level = "PRAGMA synchronous"
    try:
        statements = _traced(conn)
        with transaction(conn, durable=False):  # already NORMAL: nothing to switch
            conn.execute("SELECT 1")
        assert not [s for s in statements if s.startswith("PRAGMA")]
        with transaction(conn):
            assert conn.execute(level).fetchone()[0] == 2  # FULL for a money row
            conn.execute(
                "INSERT INTO organizations (organization_id, created_at) VALUES (?, ?)",
                (new_id("org_"), now_iso()),
            )
        assert conn.execute(level).fetchone()[0] == 1
        with pytest.raises(RuntimeError), transaction(conn):
            raise RuntimeError("boom")
        assert conn.execute(level).fetchone()[0] == 1 and not conn.in_transaction
    finally:
        conn.close()
