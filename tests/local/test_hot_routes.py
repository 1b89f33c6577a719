"""The hot routes' fast handling keeps its promises: a dry run never makes the event loop
wait for the write lock, and recording an event costs the same however many are stored."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx

from image_skill.local.activity import record_activity
from image_skill.local.agents import signup_agent
from image_skill.local.app import create_app
from image_skill.local.deps import LOOP_COMMITS_PER_CHECKPOINT
from image_skill.local.server import serve_in_thread
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store

DRY_RUN = {"prompt": "a lighthouse at dusk", "aspect_ratio": "1:1", "dry_run": True}


def _token(base: str) -> str:
    reply = httpx.post(
        base + "/v1/agent-signups",
        json={"agent_name": "hot", "runtime": "pytest", "return_token": True},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["data"]["token"])


def test_dry_run_waits_for_a_held_write_lock_off_the_event_loop(
    local_settings: LocalSettings,
) -> None:
    app = create_app(local_settings)
    with serve_in_thread(app=app) as (base, _stop):
        headers = {"authorization": f"Bearer {_token(base)}"}
        httpx.post(base + "/v1/create", json=DRY_RUN, headers=headers)  # warm the pool
        conn = app.state.store.acquire()
        lock = conn.write_lock
        replies: list[httpx.Response] = []
        lock.acquire()  # another writer (a live job's commit) holds the lock
        try:
            worker = threading.Thread(
                target=lambda: replies.append(
                    httpx.post(base + "/v1/create", json=DRY_RUN, headers=headers, timeout=30)
                )
            )
            worker.start()
            time.sleep(0.3)  # the dry run is now waiting for the lock
            assert not replies
            started = time.monotonic()
            health = httpx.get(base + "/healthz", timeout=5)
            health_seconds = time.monotonic() - started
            assert worker.is_alive() and not replies  # still waiting: the lock is held
        finally:
            lock.release()
            app.state.store.release(conn)
        worker.join(timeout=30)
        # The loop answered another request while the dry run waited in a worker thread.
        assert health.status_code == 200 and health_seconds < 2.0
        assert len(replies) == 1 and replies[0].status_code == 200, replies
        data = replies[0].json()["data"]
        assert data["status"] == "planned" and data["job_id"].startswith("job_")
        job = httpx.get(f"{base}/v1/jobs/{data['job_id']}", headers=headers)
        assert job.status_code == 200 and job.json()["data"]["status"] == "planned"
        events = httpx.get(base + "/v1/activity", headers=headers).json()["data"]
        planned = [e for e in events["events"] if e["type"] == "job.planned"]
        assert data["job_id"] in {e["links"]["job_id"] for e in planned}


def _steps_of_one_event(conn: sqlite3.Connection, org: str, subject: str) -> tuple[int, int]:
    """SQLite VM steps spent recording one event, and the seq it was given."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn.set_progress_handler(count, 1)
    try:
        event = record_activity(
            conn, "job.planned", organization_id=org, subject_id=subject, status="planned"
        )
    finally:
        conn.set_progress_handler(None, 1)
    seq = conn.execute("SELECT seq FROM activity_events WHERE event_id = ?", (event["event_id"],))
    return steps, int(seq.fetchone()[0])


def test_recording_an_event_does_not_slow_down_as_events_pile_up(
    local_settings: LocalSettings,
) -> None:
    store = Store(local_settings)
    with store.connection() as conn:
        agent = signup_agent(
            conn,
            agent_contact=None,
            agent_name="seq",
            runtime="pytest",
            free_credits=0,
            revoke_previous=False,
            trace_id="trace_seq",
            discovery_source=None,
        ).actor
        org = agent.organization_id
        conn.execute("BEGIN")
        for i in range(20):
            record_activity(conn, "job.planned", organization_id=org, subject_id=f"job_{i}")
        few_steps, few_seq = _steps_of_one_event(conn, org, "job_few")
        for i in range(3000):
            record_activity(conn, "job.planned", organization_id=org, subject_id=f"job_m{i}")
        many_steps, many_seq = _steps_of_one_event(conn, org, "job_many")
        conn.execute("COMMIT")
        top = conn.execute("SELECT MAX(seq), COUNT(*) FROM activity_events").fetchone()
    # Each event still takes the next seq ...
    assert many_seq == few_seq + 3001 == top[0] and top[0] == top[1]
    # ... and 3,000 more stored events add (almost) nothing to the cost of the next one
    # (reading MAX(seq) through activity_org took about one step per stored event).
    assert many_steps < few_steps + 100, (few_steps, many_steps)


def test_dry_runs_on_the_loop_still_get_their_log_checkpointed(
    local_settings: LocalSettings,
) -> None:
    app = create_app(local_settings)
    database = local_settings.data_dir / "image-skill.sqlite3"
    with serve_in_thread(app=app) as (base, _stop):
        headers = {"authorization": f"Bearer {_token(base)}"}
        with httpx.Client(base_url=base, headers=headers) as client:
            client.post("/v1/create", json=DRY_RUN)
            pages_before = database.stat().st_size
            for _ in range(LOOP_COMMITS_PER_CHECKPOINT + 2):
                assert client.post("/v1/create", json=DRY_RUN).status_code == 200
        deadline = time.monotonic() + 10
        while database.stat().st_size == pages_before and time.monotonic() < deadline:
            time.sleep(0.05)
        # The loop's commits skip SQLite's own checkpoint; the background one copied
        # the log into the database file (so the log does not grow without end) ...
        assert database.stat().st_size > pages_before
        # ... and the pooled connection went back to checkpointing on its own commits.
        conn = app.state.store.acquire()
        try:
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        finally:
            app.state.store.release(conn)
