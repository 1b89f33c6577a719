"""GET /v1/jobs/{id}, idempotent exactly-once debits, quota and injected faults."""

from __future__ import annotations

import json
import shlex
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest

from createtools import EXIT, PROMPT, Headers, balance, create, ok
from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.app import create_app
from image_skill.local.settings import LocalSettings
from image_skill.local.transport import InProcessTransport


# Unlike createtools.fails, this does not also require data to be None.
def fails(response: httpx.Response, status: int, code: str, exit_code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers[EXIT] == str(exit_code)
    env = response.json()
    assert env["ok"] is False and env["error"]["code"] == code
    assert PROMPT not in response.text
    error = env["error"]
    assert isinstance(error, dict)
    return error


def job_count(settings: LocalSettings, status: str | None = None) -> int:
    with sqlite3.connect(settings.db_path) as conn:
        sql = "SELECT COUNT(*) FROM jobs WHERE operation != 'upload'"
        if status is None:
            return int(conn.execute(sql).fetchone()[0])
        return int(conn.execute(sql + " AND status = ?", (status,)).fetchone()[0])


def media_files(settings: LocalSettings) -> list[str]:
    return sorted(p.name for p in settings.media_dir.iterdir() if not p.name.startswith("."))


@contextmanager
def client_for(settings: LocalSettings) -> Iterator[httpx.Client]:
    """A client onto a separate app over the same data dir (e.g. with faults on)."""
    transport = InProcessTransport(create_app(settings))
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        yield client


@pytest.fixture
def other_headers(local_client: httpx.Client, signup: Any) -> Headers:
    token = signup(local_client, contact="other@example.com", name="other-agent")
    return {"authorization": f"Bearer {token}"}


# ------------------------------------------------------------------------------- jobs


def test_jobs_show_mirrors_the_job_and_hides_the_prompt(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    created = ok(create(local_client, auth_headers, idempotency_key="show-1"))
    response = local_client.get(f"/v1/jobs/{created['job_id']}", headers=auth_headers)
    data = ok(response)
    assert response.json()["command"] == "image-skill jobs show"
    assert PROMPT not in response.text
    job = data["job"]
    assert data["request"] == {"job_id": created["job_id"]}
    assert data["status"] == data["state"] == job["status"] == "completed"
    assert data["assets"] == job["assets"] and data["cost"] == job["cost"]
    assert [a["asset_id"] for a in job["assets"]] == [a["asset_id"] for a in created["assets"]]
    assert job["cost"]["credit_pricing"]["credits_required"] == 9
    assert set(job["cost"]) == {"estimated_usd", "provider_reported_usd_ticks", "credit_pricing"}
    assert job["operation"] == "create" and job["capability"]["id"].startswith("is.image.")
    assert job["quota"] == {"consumed_credits": 9}
    assert job["safety"] == {"status": "allowed"}
    assert job["trace_id"].startswith("trace_") and job["completed_at"]
    assert job["created_at"] <= job["updated_at"]
    assert job["request"]["idempotency_key"] == "show-1"
    assert "plan_receipt" not in job and "error" not in job


def test_another_organizations_job_is_not_found(
    local_client: httpx.Client, auth_headers: Headers, other_headers: Headers
) -> None:
    job_id = ok(create(local_client, auth_headers))["job_id"]
    theirs = fails(
        local_client.get(f"/v1/jobs/{job_id}", headers=other_headers), 404, "JOB_NOT_FOUND", 1
    )
    unknown = fails(
        local_client.get("/v1/jobs/job_000000000000000000000000", headers=other_headers),
        404,
        "JOB_NOT_FOUND",
        1,
    )
    assert theirs["message"] == unknown["message"]
    fails(local_client.get(f"/v1/jobs/{job_id}"), 401, "AUTH_REQUIRED", 3)


def test_dry_run_stores_a_planned_job_and_spends_nothing(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    before = ok(local_client.get("/v1/quota", headers=auth_headers))
    data = ok(create(local_client, auth_headers, dry_run=True, output_count=2))
    assert data["status"] == "planned" and data["assets"] == []
    assert data["quota"]["consumed_credits"] == 0
    assert data["cost"]["credit_pricing"]["credits_required"] == 18
    after = ok(local_client.get("/v1/quota", headers=auth_headers))
    assert after["limits"] == before["limits"]
    assert after["daily_jobs"]["used"] == before["daily_jobs"]["used"] == 0
    assert media_files(local_settings) == []
    job = ok(local_client.get(f"/v1/jobs/{data['job_id']}", headers=auth_headers))["job"]
    assert job["status"] == "planned" and job["assets"] == []
    receipt = job["plan_receipt"]
    assert receipt["dry_run"] is True and receipt["output_count"] == 2
    assert receipt["provider_call"] is receipt["credit_debit"] is receipt["media_write"] is False
    assert receipt["credit_pricing"]["credits_required"] == 18
    assert [p["index"] for p in receipt["planned_outputs"]] == [0, 1]
    events = ok(local_client.get(f"/v1/activity?subject={data['job_id']}", headers=auth_headers))
    assert [e["type"] for e in events["events"]] == ["job.planned"]
    assert events["events"][0]["details"]["plan_receipt"] == receipt


# ------------------------------------------------------------------------ idempotency


def test_same_key_twice_is_one_job_and_one_debit(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    before = balance(local_client, auth_headers)
    first = ok(create(local_client, auth_headers, idempotency_key="same-key"))
    response = create(local_client, auth_headers, idempotency_key="same-key")
    second = ok(response)
    assert second["job_id"] == first["job_id"] and second["assets"] == first["assets"]
    assert second["request"]["replayed"] is True and first["request"]["replayed"] is False
    assert response.json()["warnings"]
    assert balance(local_client, auth_headers) == before - 9
    assert job_count(local_settings) == 1
    error = fails(
        create(local_client, auth_headers, idempotency_key="same-key", aspect_ratio="16:9"),
        409,
        "IDEMPOTENCY_KEY_CONFLICT",
        2,
    )
    assert error["recovery"]["job_id"] == first["job_id"]
    # The key is scoped to the endpoint and the organization: no conflict elsewhere.
    assert ok(create(local_client, auth_headers))["job_id"] != first["job_id"]
    assert balance(local_client, auth_headers) == before - 18


def test_concurrent_same_key_requests_debit_once(
    live_server: str, local_settings: LocalSettings
) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        signup = {"agent_contact": "c@example.com", "agent_name": "c", "runtime": "pytest"}
        token = ok(client.post("/v1/agent-signups", json=signup))["token"]
        headers = {"authorization": f"Bearer {token}"}
        before = balance(client, headers)
    results: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        with httpx.Client(base_url=live_server, timeout=60) as client:
            start.wait()
            response = create(client, headers, idempotency_key="burst-key")
            with lock:
                results.append(response)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    job_ids = {ok(response)["job_id"] for response in results}
    assert len(job_ids) == 1
    with httpx.Client(base_url=live_server) as client:
        assert balance(client, headers) == before - 9
    assert job_count(local_settings) == 1
    assert sum(1 for r in results if r.json()["data"]["request"]["replayed"] is False) == 1


# ------------------------------------------------------------------------------ quota


def test_quota_exhaustion_is_exit_5_with_a_credits_recovery(
    local_client: httpx.Client, auth_headers: Headers
) -> None:
    ok(create(local_client, auth_headers, output_count=3))  # 27 of the 30 free credits
    error = fails(create(local_client, auth_headers), 402, "QUOTA_EXCEEDED", 5)
    recovery = error["recovery"]
    assert recovery["suggested_command"] == (
        "image-skill credits methods --api-base-url local --json"
    )
    assert recovery["credits_required"] == 9 and recovery["total_remaining_credits"] == 3
    assert balance(local_client, auth_headers) == 3
    dry = ok(create(local_client, auth_headers, dry_run=True))
    assert dry["quota"]["sufficient_for_live_run"] is False


def test_daily_cap_limits_free_funded_jobs(local_settings: LocalSettings, signup: Any) -> None:
    settings = replace(local_settings, daily_job_cap=1, free_credits=100)
    with client_for(settings) as client:
        headers = {"authorization": f"Bearer {signup(client)}"}
        ok(create(client, headers))
        error = fails(create(client, headers), 402, "QUOTA_EXCEEDED", 5)
        assert error["recovery"]["reason"] == "daily_job_cap"
        assert error["recovery"]["retry_after_seconds"] >= 1
        assert balance(client, headers) == 91


# ------------------------------------------------------------------------------ faults


def test_provider_failure_charges_nothing_and_the_same_key_later_succeeds_once(
    local_settings: LocalSettings, signup: Any
) -> None:
    faulty = replace(local_settings, faults=frozenset({"provider_failure"}))
    with client_for(faulty) as client:
        headers = {"authorization": f"Bearer {signup(client)}"}
        before = balance(client, headers)
        body = {
            "idempotency_key": "retry-me",
            "aspect_ratio": "16:9",
            "model_parameters": {"seed": 3},
        }
        error = fails(create(client, headers, **body), 502, "PROVIDER_FAILURE", 7)
        assert error["retryable"] is True
        recovery = error["recovery"]
        assert recovery["idempotency_key"] == "retry-me"
        argv = shlex.split(recovery["suggested_command"])
        assert argv[:2] == ["image-skill", "create"]
        pairs = dict(zip(argv[2::2], argv[3::2], strict=False))
        assert pairs["--idempotency-key"] == "retry-me"
        assert pairs["--aspect-ratio"] == "16:9"
        assert json.loads(pairs["--model-parameters-json"]) == {"seed": 3}
        assert pairs["--prompt-file"] in recovery["placeholders"]
        failed_id = recovery["job_id"]
        assert balance(client, headers) == before
        job = ok(client.get(f"/v1/jobs/{failed_id}", headers=headers))["job"]
        assert job["status"] == "failed" and job["error"] == {"code": "PROVIDER_FAILURE"}
        assert job["quota"] == {"consumed_credits": 0}
        events = ok(client.get(f"/v1/activity?subject={failed_id}", headers=headers))["events"]
        assert [(e["type"], e["status"]) for e in events] == [("job.completed", "failed")]
        assert ok(client.get("/v1/quota", headers=headers))["daily_jobs"]["used"] == 0
    with client_for(local_settings) as client:
        first = ok(create(client, headers, **body))
        again = ok(create(client, headers, **body))
        assert first["job_id"] == again["job_id"] != failed_id
        assert balance(client, headers) == before - 9


def test_storage_failure_is_exit_9_and_releases_the_reservation(
    local_settings: LocalSettings, signup: Any
) -> None:
    faulty = replace(local_settings, faults=frozenset({"storage_write_failure"}))
    with client_for(faulty) as client:
        headers = {"authorization": f"Bearer {signup(client)}"}
        before = balance(client, headers)
        error = fails(
            create(client, headers, idempotency_key="disk", output_count=2),
            507,
            "ARTIFACT_STORAGE_WRITE_FAILED",
            9,
        )
        assert error["retryable"] is False
        assert balance(client, headers) == before
        job = ok(client.get(f"/v1/jobs/{error['recovery']['job_id']}", headers=headers))["job"]
        assert job["status"] == "failed" and job["assets"] == []
    assert media_files(local_settings) == []


def test_a_stale_in_progress_claim_is_released_and_rerun(
    local_client: httpx.Client, auth_headers: Headers, local_settings: LocalSettings
) -> None:
    before = balance(local_client, auth_headers)
    first = ok(create(local_client, auth_headers, idempotency_key="crashed"))
    # Simulate a server that died after reserving: job running, credits held, key claimed.
    with sqlite3.connect(local_settings.db_path) as conn:
        conn.execute(
            "UPDATE jobs SET status = 'running', credits_reserved = 9, credits_debited = 0"
            " WHERE job_id = ?",
            (first["job_id"],),
        )
        conn.execute(
            "UPDATE idempotency_records SET state = 'in_progress',"
            " updated_at = '2000-01-01T00:00:00.000Z'"
        )
    again = ok(create(local_client, auth_headers, idempotency_key="crashed"))
    assert again["job_id"] != first["job_id"] and again["request"]["replayed"] is False
    old = ok(local_client.get(f"/v1/jobs/{first['job_id']}", headers=auth_headers))["job"]
    assert old["status"] == "failed" and old["error"] == {"code": "ABANDONED"}
    assert balance(local_client, auth_headers) == before - 9
    replay = ok(create(local_client, auth_headers, idempotency_key="crashed"))
    assert replay["job_id"] == again["job_id"] and replay["request"]["replayed"] is True
