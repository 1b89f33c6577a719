"""The pure in-flight report (cli/inflight_report.py): validity, age and states, the rebuilt
recovery words, redaction and the report shapes (contract 0.1.70 §6.3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from image_skill.cli import inflight_report as R

NOW = 1_800_000_000_000
SPEND = "image-skill.in-flight-spend.v1"


def record(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": SPEND,
        "command": "image-skill create",
        "operation": "create",
        "idempotency_key": "k",
        "recover_command": "image-skill create --idempotency-key k <same arguments> --json",
        "argv": ["--prompt", "p"],
        "started_at": "2027-01-15T08:00:00.000Z",
    }
    base.update(extra)
    return base


def read(content: Any, name: str = "k.json", mtime_ms: int | None = NOW) -> R.FileRead:
    return R.FileRead(name, f"/d/{name}", content, mtime_ms)


def render(words: Sequence[str], entry: R.Entry) -> str:
    return " ".join(["PROG", *words]) + (f" <{entry.token_source}>" if entry.token_source else "")


@pytest.mark.parametrize(
    "content",
    [
        None,
        [],
        "text",
        record(schema="image-skill.in-flight-spend.v2"),
        record(idempotency_key=7),
        record(operation=None),
        {"schema": "image-skill.in-flight.v1", "idempotency_key": "k", "command": 3},
        {"schema": "image-skill.in-flight.v1", "idempotency_key": "k", "command": "create"},
    ],
)
def test_invalid_files(content: Any) -> None:
    assert R.parse_entry(read(content), NOW) is None


def test_age_states_and_the_clock() -> None:
    started = R._parse_time_ms("2027-01-15T08:00:00.000Z")
    assert started is not None
    for age, state, sweep in [
        (0, "recoverable", False),
        (899_999, "recoverable", False),
        (900_000, "ttl_elapsed", False),
        (86_399_999, "ttl_elapsed", False),
        (86_400_000, "ttl_elapsed", True),
    ]:
        entry = R.parse_entry(read(record()), started + age)
        assert entry is not None
        assert (entry.age_ms, entry.state, entry.sweep_eligible) == (age, state, sweep)
    # a start in the future is age 0, never negative
    future = R.parse_entry(read(record()), started - 5000)
    assert future is not None and future.age_ms == 0
    # an unparsable start falls back to the file time; without either the file is invalid
    fallback = R.parse_entry(read(record(started_at=None), mtime_ms=NOW - 1000), NOW)
    assert fallback is not None and fallback.age_ms == 1000 and fallback.started_at is None
    assert R.parse_entry(read(record(started_at="x"), mtime_ms=None), NOW) is None


def test_recover_words_add_the_key_and_json_only_when_missing() -> None:
    def words(argv: list[str]) -> list[str]:
        entry = R.parse_entry(read(record(argv=argv)), NOW)
        assert entry is not None
        return R.recover_words(entry)[0]

    assert words(["--prompt", "p"]) == [
        "create",
        "--prompt",
        "p",
        "--idempotency-key",
        "k",
        "--json",
    ]
    assert words(["--idempotency-key=z", "--json"]) == ["create", "--idempotency-key=z", "--json"]
    assert words(["--json", "--idempotency-key", "z"]) == [
        "create",
        "--json",
        "--idempotency-key",
        "z",
    ]
    # non-string argv items are dropped, as 0.1.70 does
    entry = R.parse_entry(read(record(argv=["--prompt", 3, None, "p"])), NOW)
    assert entry is not None and entry.argv == ("--prompt", "p")
    buy = R.parse_entry(read(record(operation="credits buy", argv=[])), NOW)
    assert buy is not None and R.recover_words(buy)[0][:2] == ["credits", "buy"]


def test_token_values_never_reach_the_recovery() -> None:
    token = "isk_r_" + "a" * 30
    entry = R.parse_entry(
        read(record(argv=["--token", token, "--prompt", f"x {token}", f"--token={token}"])), NOW
    )
    assert entry is not None
    words, redacted, replaced = R.recover_words(entry)
    assert token not in " ".join(words)
    assert words.count("--token-stdin") == 1 and "--token" not in words
    assert redacted and replaced
    view = R.entry_view(entry, render)
    assert token not in str(view) and "--token-stdin" in view["warning"]
    assert "[REDACTED]" in view["warning"]


def test_entry_view_keys_and_the_earlier_schema() -> None:
    entry = R.parse_entry(read(record(token_source="env", token_env="IMAGE_SKILL_TOKEN")), NOW)
    assert entry is not None
    view = R.entry_view(entry, render)
    assert list(view)[:12] == [
        "file",
        "path",
        "operation",
        "command",
        "idempotency_key",
        "started_at",
        "age_ms",
        "state",
        "sweep_eligible",
        "recover_command",
        "original_recover_command",
        "warning",
    ]
    assert view["recover_command"].endswith("<env>") and view["token_source"] == "env"
    assert view["original_recover_command"] == record()["recover_command"]
    legacy = R.parse_entry(
        read(
            {
                "schema": "image-skill.in-flight.v1",
                "idempotency_key": "old",
                "command": "image-skill edit",
                "started_at": "2027-01-15T08:00:00.000Z",
                "recovery_command": "python -m image_skill edit --prompt 'isk_r_abcdefghij' --json",
            }
        ),
        NOW,
    )
    assert legacy is not None and legacy.operation == "edit"
    legacy_view = R.entry_view(legacy, render)
    assert (
        legacy_view["recover_command"] == "python -m image_skill edit --prompt '[REDACTED]' --json"
    )
    assert legacy_view["original_recover_command"] is None


def test_report_counts_and_notes() -> None:
    entries = [
        e
        for e in (
            R.parse_entry(read(record(), "a.json"), R._parse_time_ms(record()["started_at"]) or 0),
            R.parse_entry(read(record(), "b.json"), NOW + 3_600_000),
        )
        if e is not None
    ]
    report = R.build_report(
        "/d", entries, invalid_count=2, swept_count=1, sweep_requested=True, render=render
    )
    assert report["count"] == 2 and report["recoverable_count"] == 1
    assert report["ttl_elapsed_count"] == 1 and report["invalid_count"] == 2
    assert report["note"] == R.NOTE_PENDING
    empty = R.build_report(
        "/d", [], invalid_count=0, swept_count=0, sweep_requested=False, render=render
    )
    assert empty["count"] == 0 and empty["entries"] == [] and empty["note"] == R.NOTE_EMPTY
    error = R.error_report("/d", sweep_requested=False)
    assert error["error"] == "in-flight directory could not be read" and "note" not in error
