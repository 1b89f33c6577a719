"""Activity ledger reads and feedback writes against the real local backend."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from image_skill.local.app import create_app
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store
from image_skill.local.transport import InProcessTransport

EXIT = "x-image-skill-exit-code"
QUEUE_OFFLINE = {
    "state": "skipped",
    "reason": "offline",
    "issue_urls": [],
    "issue_numbers": [],
    "mode": "offline",
    "github_mutation": False,
}


def feedback(client: httpx.Client, headers: dict[str, str], **body: Any) -> httpx.Response:
    return client.post("/v1/feedback", json=body, headers=headers)


def activity(client: httpx.Client, headers: dict[str, str], **params: Any) -> httpx.Response:
    return client.get("/v1/activity", params=params, headers=headers)


# ----------------------------------------------------------------------------- feedback


def test_feedback_is_accepted_with_events(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    r = feedback(
        local_client,
        auth_headers,
        type="user_feedback",
        title="Upload hint unclear",
        body="The upload error did not say which types are allowed.",
        command="image-skill upload cat.bmp",
        expected="a list of allowed types",
        actual="a generic error",
        evidence=["trace:trace_0123456789abcdef"],
        surface=["cli", "docs"],
    )
    assert r.status_code == 200, r.text
    assert r.headers[EXIT] == "0"
    env = r.json()
    assert env["command"] == "image-skill feedback create"
    d = env["data"]
    assert d["feedback_id"].startswith("sig_") and d["event_id"].startswith("evt_")
    assert d["state"] == "accepted"
    assert d["quality"]["weak_signal"] is False
    assert d["quality"]["missing_fields"] == ["proof_needed"]
    assert d["dedupe"]["duplicate_of"] is None
    assert d["feedback"]["severity"] == "medium" and d["feedback"]["next_state"] == "watch"

    shown = local_client.get(f"/v1/activity/{d['feedback_id']}", headers=auth_headers)
    data = shown.json()["data"]
    assert data["request"] == {"reference": d["feedback_id"], "reference_type": "feedback_id"}
    assert data["event"] is None
    by_type = {e["type"]: e for e in data["events"]}
    assert set(by_type) == {"feedback.created", "feedback.github_queue.processed"}
    assert by_type["feedback.created"]["event_id"] == d["event_id"]
    assert by_type["feedback.created"]["links"]["feedback_id"] == d["feedback_id"]
    assert by_type["feedback.github_queue.processed"]["details"]["github_queue"] == QUEUE_OFFLINE
    assert by_type["feedback.created"]["trace_id"] == env["trace_id"]


def test_feedback_redacts_tokens_everywhere(
    local_client: httpx.Client, auth_headers: dict[str, str], local_settings: LocalSettings
) -> None:
    token = auth_headers["authorization"].split(" ", 1)[1]
    r = feedback(
        local_client,
        auth_headers,
        title=f"my token {token} leaked",
        body=f"Authorization: Bearer {token}",
        actual=f"saw {token}",
        evidence=[f"token:{token}"],
        dedupe_key=f"leak-{token}",
    )
    assert r.status_code == 200, r.text
    assert token not in r.text
    d = r.json()["data"]
    assert "[REDACTED]" in d["feedback"]["title"]
    assert d["redaction"]["count"] >= 5
    assert any("redacted" in w for w in r.json()["warnings"])
    store = Store(local_settings)
    with store.connection() as conn:
        dump = "\n".join(conn.iterdump())
    assert token not in dump
    assert token[:12] not in dump
    listed = activity(local_client, auth_headers)
    assert token not in listed.text


def test_feedback_dedupe_key_points_to_first(
    local_client: httpx.Client, auth_headers: dict[str, str], signup: Any
) -> None:
    first = feedback(local_client, auth_headers, title="dup", dedupe_key="k1").json()["data"]
    second = feedback(local_client, auth_headers, body="dup again", dedupe_key="k1").json()["data"]
    third = feedback(local_client, auth_headers, body="again", dedupe_key="k1").json()["data"]
    other_key = feedback(local_client, auth_headers, title="x", dedupe_key="k2").json()["data"]
    assert first["dedupe"]["duplicate_of"] is None
    assert second["dedupe"]["duplicate_of"] == first["feedback_id"]
    assert third["dedupe"]["duplicate_of"] == first["feedback_id"]
    assert other_key["dedupe"]["duplicate_of"] is None
    assert len({first["feedback_id"], second["feedback_id"], third["feedback_id"]}) == 3
    # Dedupe is per organization.
    other = {"authorization": f"Bearer {signup(local_client, 'o@example.com', 'o')}"}
    theirs = feedback(local_client, other, title="dup", dedupe_key="k1").json()["data"]
    assert theirs["dedupe"]["duplicate_of"] is None


def test_feedback_needs_title_or_body(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    for body in ({}, {"title": "   "}, {"type": "bug", "severity": "high"}):
        r = feedback(local_client, auth_headers, **body)
        assert r.status_code == 400, body
        assert r.headers[EXIT] == "2"
        assert r.json()["error"]["code"] == "INVALID_ARGUMENTS"
    for bad in ({"surface": 5}, {"evidence": [1, 2]}, {"allow_weak_signal": "yes"}):
        r = feedback(local_client, auth_headers, title="ok", **bad)
        assert r.status_code == 400, bad
    csv = feedback(local_client, auth_headers, title="ok", surface="cli, docs")
    assert csv.json()["data"]["feedback"]["surface"] == ["cli", "docs"]


def test_weak_signal_is_flagged_and_can_be_allowed(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    weak = feedback(local_client, auth_headers, title="meh")
    assert weak.json()["data"]["quality"]["weak_signal"] is True
    assert any("weak signal" in w for w in weak.json()["warnings"])
    allowed = feedback(local_client, auth_headers, title="meh", allow_weak_signal=True)
    assert allowed.json()["data"]["quality"]["weak_signal"] is True
    assert not any("weak signal" in w for w in allowed.json()["warnings"])


def test_feedback_fails_closed_when_storage_unavailable(tmp_path: Path, signup: Any) -> None:
    settings = LocalSettings(
        data_dir=tmp_path / "d", faults=frozenset({"feedback_storage_unavailable"})
    )
    app = create_app(settings)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://local.test") as client:
        headers = {"authorization": f"Bearer {signup(client)}"}
        r = feedback(client, headers, title="t", body="b")
        assert r.status_code == 503
        assert r.headers[EXIT] == "7"
        err = r.json()["error"]
        assert err["code"] == "FEEDBACK_STORAGE_UNAVAILABLE" and err["retryable"] is True
        events = activity(client, headers).json()["data"]["events"]
        assert not [e for e in events if e["type"].startswith("feedback.")]
    with Store(settings).connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


def test_feedback_requires_auth(local_client: httpx.Client) -> None:
    r = feedback(local_client, {}, title="t")
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_REQUIRED"


# ----------------------------------------------------------------------------- activity


def test_activity_list_newest_first_with_limit_and_subject(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    ids = [
        feedback(local_client, auth_headers, title=f"n{i}").json()["data"]["feedback_id"]
        for i in range(3)
    ]
    r = activity(local_client, auth_headers)
    assert r.status_code == 200 and r.headers[EXIT] == "0"
    d = r.json()["data"]
    assert d["source"] == "hosted_activity_ledger"
    subjects = [e["subject"]["id"] for e in d["events"]]
    # Two events per feedback, newest first.
    assert subjects == [ids[2], ids[2], ids[1], ids[1], ids[0], ids[0]]
    stamps = [e["occurred_at"] for e in d["events"]]
    assert stamps == sorted(stamps, reverse=True)

    limited = activity(local_client, auth_headers, limit=3).json()["data"]["events"]
    assert [e["event_id"] for e in limited] == [e["event_id"] for e in d["events"][:3]]

    only = activity(local_client, auth_headers, subject=ids[1]).json()["data"]["events"]
    assert {e["subject"]["id"] for e in only} == {ids[1]} and len(only) == 2

    trace = d["events"][0]["trace_id"]
    by_trace = activity(local_client, auth_headers, subject=trace).json()["data"]["events"]
    assert {e["subject"]["id"] for e in by_trace} == {ids[2]}


def test_activity_limit_bounds(local_client: httpx.Client, auth_headers: dict[str, str]) -> None:
    for bad in ("0", "-1", "2.5", "abc"):
        r = activity(local_client, auth_headers, limit=bad)
        assert r.status_code == 400 and r.headers[EXIT] == "2", bad
    big = activity(local_client, auth_headers, limit=1000)
    assert big.status_code == 200
    assert big.json()["data"]["request"]["limit"] == 100


def test_activity_subject_matches_array_link(
    local_client: httpx.Client, auth_headers: dict[str, str]
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (300, 300)).save(buf, format="PNG")
    data = buf.getvalue()
    body = {
        "source_kind": "local_path",
        "filename": "x.png",
        "remote_origin": None,
        "mime_type": "image/png",
        "content_length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes_base64": base64.b64encode(data).decode(),
    }
    asset = local_client.post("/v1/upload", json=body, headers=auth_headers).json()["data"]["asset"]
    by_job = activity(local_client, auth_headers, subject=asset["job_id"]).json()["data"]
    assert [e["type"] for e in by_job["events"]] == ["asset.uploaded"]
    shown = local_client.get(f"/v1/activity/{asset['job_id']}", headers=auth_headers)
    assert shown.json()["data"]["request"]["reference_type"] == "job_id"
    assert [e["links"]["asset_ids"] for e in shown.json()["data"]["events"]] == [
        [asset["asset_id"]]
    ]


def test_activity_show_event_and_not_found(
    local_client: httpx.Client, auth_headers: dict[str, str], signup: Any
) -> None:
    event_id = feedback(local_client, auth_headers, title="x").json()["data"]["event_id"]
    r = local_client.get(f"/v1/activity/{event_id}", headers=auth_headers)
    d = r.json()["data"]
    assert d["request"] == {"reference": event_id, "reference_type": "event_id"}
    assert d["event"]["event_id"] == event_id and d["events"] == [d["event"]]

    missing = local_client.get("/v1/activity/evt_000000000000000000000000", headers=auth_headers)
    assert missing.status_code == 404 and missing.headers[EXIT] == "1"
    assert missing.json()["error"]["code"] == "ACTIVITY_NOT_FOUND"

    empty = local_client.get("/v1/activity/job_000000000000000000000000", headers=auth_headers)
    assert empty.status_code == 200 and empty.json()["data"]["events"] == []

    other = {"authorization": f"Bearer {signup(local_client, 'z@example.com', 'z')}"}
    theirs = local_client.get(f"/v1/activity/{event_id}", headers=other)
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "ACTIVITY_NOT_FOUND"


@pytest.mark.parametrize("path", ["/v1/activity", "/v1/activity/evt_x"])
def test_activity_requires_auth(local_client: httpx.Client, path: str) -> None:
    r = local_client.get(path)
    assert r.status_code == 401 and r.headers[EXIT] == "3"
