"""A spend claim records the process that owns it; a same-key request does not wait for a
process that is gone (issue 8, point 8).

Crashes are simulated the way ``test_a_stale_in_progress_claim_is_released_and_rerun``
does it (a finished job turned back into a running one with its credits held), except that
the claim is fresh: only the recorded owner says whether anybody will finish it.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
from typing import Any

import httpx
import pytest

from createtools import Headers, balance, create, fails, ok
from image_skill.local.billing import owner, spend
from image_skill.local.jobs import execute
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import now_iso


def _gone_process() -> dict[str, Any]:
    """The identity of a process that ran on this machine and has exited (and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        identity = {**owner.this_process(), "pid": proc.pid}
        stat = owner._stat(proc.pid)
        assert stat is not None
        identity["start_ticks"] = stat[1]
    finally:
        proc.kill()
        proc.wait()
    return identity


def _crash(settings: LocalSettings, job_id: str, claim_owner: Any) -> None:
    """Turn a finished job back into a running one whose fresh claim names ``claim_owner``."""
    with sqlite3.connect(settings.db_path) as conn:
        conn.execute(
            "UPDATE jobs SET status = 'running', credits_reserved = 9, credits_debited = 0"
            " WHERE job_id = ?",
            (job_id,),
        )
        conn.execute(
            "UPDATE idempotency_records SET state = 'in_progress', updated_at = ?,"
            " response_json = ? WHERE resource_id = ?",
            (now_iso(), json.dumps({"claim_owner": claim_owner}), job_id),
        )


@pytest.fixture(autouse=True)
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # A request that (wrongly) waits gives up after a second instead of a minute.
    monkeypatch.setattr(spend, "WAIT_SECONDS", 1.0)


def test_a_claim_whose_process_is_gone_is_refunded_and_rerun_at_once(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    before = balance(local_client, auth_headers)
    first = ok(create(local_client, auth_headers, idempotency_key="owner-gone"))
    _crash(local_settings, first["job_id"], _gone_process())
    again = ok(create(local_client, auth_headers, idempotency_key="owner-gone"))
    assert again["job_id"] != first["job_id"] and again["request"]["replayed"] is False
    old = ok(local_client.get(f"/v1/jobs/{first['job_id']}", headers=auth_headers))["job"]
    assert old["status"] == "failed" and old["error"] == {"code": "ABANDONED"}
    assert balance(local_client, auth_headers) == before - 9
    replay = ok(create(local_client, auth_headers, idempotency_key="owner-gone"))
    assert replay["job_id"] == again["job_id"] and replay["request"]["replayed"] is True
    assert balance(local_client, auth_headers) == before - 9


def test_a_claim_whose_pid_now_names_another_process_is_rerun(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    first = ok(create(local_client, auth_headers, idempotency_key="pid-reused"))
    reused = {**owner.this_process(), "start_ticks": "1"}  # our pid, another start time
    _crash(local_settings, first["job_id"], reused)
    again = ok(create(local_client, auth_headers, idempotency_key="pid-reused"))
    assert again["job_id"] != first["job_id"]


def test_jobs_show_settles_a_job_whose_process_is_gone(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    before = balance(local_client, auth_headers)
    first = ok(create(local_client, auth_headers, idempotency_key="show-orphan"))
    _crash(local_settings, first["job_id"], _gone_process())
    assert balance(local_client, auth_headers) == before - 9  # held by the "running" job
    job = ok(local_client.get(f"/v1/jobs/{first['job_id']}", headers=auth_headers))["job"]
    assert job["status"] == "failed" and job["error"] == {"code": "ABANDONED"}
    assert balance(local_client, auth_headers) == before
    again = ok(create(local_client, auth_headers, idempotency_key="show-orphan"))
    assert again["job_id"] != first["job_id"] and again["request"]["replayed"] is False
    assert balance(local_client, auth_headers) == before - 9


def test_a_claim_whose_process_still_runs_is_waited_for(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    first = ok(create(local_client, auth_headers, idempotency_key="owner-alive"))
    _crash(local_settings, first["job_id"], owner.this_process())
    error = fails(
        create(local_client, auth_headers, idempotency_key="owner-alive"), 504, "TIMEOUT", 8
    )
    assert error["retryable"] is True
    job = ok(local_client.get(f"/v1/jobs/{first['job_id']}", headers=auth_headers))["job"]
    assert job["status"] == "running"


def test_a_job_abandoned_while_it_ran_cannot_complete_or_charge(
    local_client: httpx.Client,
    auth_headers: Headers,
    local_settings: LocalSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If a claim is judged abandoned while its request is in fact still producing, the
    late result is discarded: one charge, one completed job for the key."""
    before = balance(local_client, auth_headers)
    started, release = threading.Event(), threading.Event()
    real_produce = execute.produce
    calls: list[int] = []

    def slow_first(plan: Any, settings: LocalSettings) -> Any:
        calls.append(1)
        if len(calls) == 1:
            started.set()
            assert release.wait(30)
        return real_produce(plan, settings)

    monkeypatch.setattr(execute, "produce", slow_first)
    replies: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: replies.append(create(local_client, auth_headers, idempotency_key="late")),
    )
    worker.start()
    try:
        assert started.wait(30)
        with sqlite3.connect(local_settings.db_path) as conn:
            conn.execute(
                "UPDATE idempotency_records SET response_json = ? WHERE idem_key = 'late'",
                (json.dumps({"claim_owner": _gone_process()}),),
            )
        second = ok(create(local_client, auth_headers, idempotency_key="late"))
    finally:
        release.set()
        worker.join(30)
    error = fails(replies[0], 504, "TIMEOUT", 8)
    assert error["retryable"] is True and error["recovery"]["idempotency_key"] == "late"
    assert balance(local_client, auth_headers) == before - 9
    replay = ok(create(local_client, auth_headers, idempotency_key="late"))
    assert replay["job_id"] == second["job_id"] and replay["request"]["replayed"] is True


# -- the liveness rule itself ------------------------------------------------------------


def test_only_a_certainly_gone_process_counts_as_gone() -> None:
    me = owner.this_process()
    assert owner.is_gone(me) is False
    assert owner.is_gone(_gone_process()) is True
    assert owner.is_gone({**me, "start_ticks": "1"}) is True
    # What cannot be checked from here counts as still running.
    assert owner.is_gone({**me, "host": socket.gethostname() + "-elsewhere"}) is False
    assert owner.is_gone({**me, "pid_namespace": "pid:[1]"}) is False
    for malformed in (None, "x", {}, {"pid": "1"}, {"pid": True}, {**me, "pid": -1}):
        assert owner.is_gone(malformed) is False
    if me["boot_id"]:
        assert owner.is_gone({**me, "boot_id": "another-boot"}) is True
