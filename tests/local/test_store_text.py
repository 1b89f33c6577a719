"""Text the store writes stays the same text however it is made: timestamps, JSON columns,
recorded events and the rendered commands of replies."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from image_skill.local.activity import event_public, record_activity
from image_skill.local.agents import signup_agent
from image_skill.local.cli_commands import cli_command
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store, dumps, iso, transaction


def _strftime_iso(dt: datetime) -> str:
    """The original formula of :func:`iso`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def test_iso_text_matches_the_strftime_formula() -> None:
    rng = random.Random(7)
    samples = [
        datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # a short year stays short
        datetime(1000, 1, 1, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=5))),  # crosses a day
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    for _ in range(2000):
        offset = timezone(timedelta(minutes=rng.randint(-720, 720)))
        samples.append(
            datetime(
                rng.randint(1000, 9998),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                rng.randint(0, 999_999),
                tzinfo=offset,
            )
        )
    for dt in samples:
        assert iso(dt) == _strftime_iso(dt), dt
    assert iso(datetime(2025, 1, 2, 3, 4, 5, 678_901, tzinfo=UTC)) == "2025-01-02T03:04:05.678Z"


def test_dumps_is_compact_sorted_and_keeps_unicode() -> None:
    value = {"b": [1, 2.5, None], "a": {"é": "ü", "c": True}}
    expected = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    assert dumps(value) == expected == '{"a":{"c":true,"é":"ü"},"b":[1,2.5,null]}'


def test_a_command_from_words_is_rendered_the_same_every_time() -> None:
    words = ["credits", "quote", "--pack", "starter 500", "--json"]
    first = cli_command("http://127.0.0.1:9", words)
    assert first == (
        "image-skill credits quote --pack 'starter 500' --api-base-url http://127.0.0.1:9 --json"
    )
    assert words == ["credits", "quote", "--pack", "starter 500", "--json"]  # not changed
    assert cli_command("http://127.0.0.1:9", tuple(words)) == first
    assert cli_command("local", words).endswith("--api-base-url local --json")
    words.append("--x")  # a caller's later change does not reach the rendered text
    assert cli_command("http://127.0.0.1:9", words) != first


def test_a_recorded_event_is_the_public_form_of_its_stored_row(
    local_settings: LocalSettings,
) -> None:
    store = Store(local_settings)
    with store.connection() as conn:
        org = signup_agent(
            conn, agent_contact=None, agent_name="e", runtime="t", free_credits=0
        ).actor.organization_id
        details: dict[str, Any] = {"z": 1, "a": {"y": (1, 2), "b": 0.5}, "plan_receipt": None}
        with transaction(conn):
            event = record_activity(
                conn,
                "job.planned",
                organization_id=org,
                subject_id="job_x",
                status="planned",
                trace_id="trace_e",
                links={"job_id": "job_x"},
                estimated_usd=0.05,
                details=details,
            )
        row = conn.execute(
            "SELECT * FROM activity_events WHERE event_id = ?", (event["event_id"],)
        ).fetchone()
    assert event == event_public(row)
    # Decoded from the stored text: sorted keys, tuples become lists.
    assert (
        json.dumps(event["details"])
        == '{"a": {"b": 0.5, "y": [1, 2]}, "plan_receipt": null, "z": 1}'
    )
    assert event["links"]["job_id"] == "job_x" and event["cost"] == {"estimated_usd": 0.05}
