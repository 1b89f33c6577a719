"""`doctor`: always exit 0; reports reachability, auth sources and unfinished spends as the
0.1.70 in-flight report, reading breadcrumbs in exactly the npm client's shape and ours."""

from __future__ import annotations

import json
import os
import shlex
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from clitools import invoke
from image_skill.cli import inflight

LOCAL = ("--api-base-url", "local")
DAY_MS = 86_400_000
REPORT_KEYS = [
    "schema",
    "directory",
    "count",
    "recoverable_count",
    "ttl_elapsed_count",
    "sweep_eligible_count",
    "invalid_count",
    "swept_count",
    "reservation_ttl_ms",
    "sweep_after_ms",
    "sweep_requested",
    "entries",
    "note",
]
ENTRY_KEYS = [
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


def _iso(ms_ago: int) -> str:
    moment = time.time() - ms_ago / 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + ".000Z"


def npm_breadcrumb(key: str, operation: str, argv: list[str], ms_ago: int) -> str:
    """A breadcrumb byte for byte as the npm client 0.1.70 writes it."""
    record = {
        "schema": "image-skill.in-flight-spend.v1",
        "command": f"image-skill {operation}",
        "operation": operation,
        "idempotency_key": key,
        "recover_command": f"image-skill {operation} --idempotency-key {key} "
        "<same arguments> --json",
        "argv": argv,
        "started_at": _iso(ms_ago),
    }
    return json.dumps(record, indent=2) + "\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cfg = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    path = inflight.in_flight_dir(cfg)
    path.mkdir(parents=True)
    return path


def _report(*extra: str) -> dict[str, Any]:
    res = invoke("doctor", *LOCAL, *extra)
    assert res.exit_code == 0, res.stdout
    report = res.data["in_flight"]
    assert isinstance(report, dict)
    return report


def test_doctor_on_local_backend(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    res = invoke("doctor", *LOCAL)
    assert res.exit_code == 0
    data = res.data
    assert data["hosted_api"]["reachable"] is True and data["hosted_api"]["status"] == "ok"
    assert data["auth"] == {"config_path": str(cfg), "saved_token": False, "env_token": False}
    # in_flight comes right after auth and before docs (0.1.70 §6.3)
    keys = list(data)
    assert keys.index("in_flight") == keys.index("auth") + 1 == keys.index("docs") - 1
    report = data["in_flight"]
    assert list(report) == REPORT_KEYS
    assert report["schema"] == "image-skill.in-flight-spend-report.v1"
    assert report["directory"] == str(cfg.parent / "in-flight")
    assert report["count"] == report["invalid_count"] == report["swept_count"] == 0
    assert (report["reservation_ttl_ms"], report["sweep_after_ms"]) == (900000, 86400000)
    assert report["entries"] == [] and report["sweep_requested"] is False
    assert res.json["warnings"] == []
    assert data["local_backend"]["installed"] is True


def test_npm_breadcrumbs_are_listed_with_a_runnable_recovery(folder: Path) -> None:
    argv = ["--intent", "video", "--prompt", "waves at $(dawn)", "--model", "fal.ltx", "--json"]
    (folder / "create-1-aa.json").write_text(npm_breadcrumb("create-1-aa", "create", argv, 60_000))
    (folder / "old-key.json").write_text(
        npm_breadcrumb("old-key", "edit", ["--input", "image_a", "--prompt", "p q"], 2 * DAY_MS)
    )
    report = _report()
    assert report["count"] == 2 and report["recoverable_count"] == 1
    assert report["ttl_elapsed_count"] == 1 and report["sweep_eligible_count"] == 1
    first, old = report["entries"]  # file-name order
    assert list(first) == ENTRY_KEYS and first["file"] == "create-1-aa.json"
    assert first["path"] == str(folder / "create-1-aa.json")
    assert (first["operation"], first["command"]) == ("create", "image-skill create")
    assert first["state"] == "recoverable" and first["sweep_eligible"] is False
    assert 60_000 <= first["age_ms"] < 120_000
    assert first["original_recover_command"].endswith("<same arguments> --json")
    # Rebuilt from argv: the key and --json are added once, every word is shell-quoted.
    words = shlex.split(first["recover_command"])
    assert words[words.index("create") + 1 :] == [*argv, "--idempotency-key", "create-1-aa"]
    assert "'waves at $(dawn)'" in first["recover_command"]
    assert old["state"] == "ttl_elapsed" and old["sweep_eligible"] is True
    assert old["age_ms"] >= 2 * DAY_MS
    old_words = shlex.split(old["recover_command"])
    assert old_words[old_words.index("edit") + 1 :] == [
        "--input",
        "image_a",
        "--prompt",
        "p q",
        "--idempotency-key",
        "old-key",
        "--json",
    ]
    assert "sweep" in old["warning"] and first["warning"] != old["warning"]


def test_a_token_recorded_by_the_npm_client_is_never_echoed(folder: Path) -> None:
    token = "isk_r_" + "T" * 32
    argv = ["--prompt", "x", "--token", token, "--json"]
    (folder / "k.json").write_text(npm_breadcrumb("k", "create", argv, 1000))
    res = invoke("doctor", *LOCAL)
    assert token not in res.stdout
    [entry] = res.data["in_flight"]["entries"]
    words = shlex.split(entry["recover_command"])
    assert "--token" not in words and "--token-stdin" in words
    assert "--token-stdin" in entry["warning"]


def test_earlier_and_invalid_breadcrumbs(folder: Path) -> None:
    # Our own schema before 0.1.70 is still read; its ready command is kept.
    (folder / "legacy.json").write_text(
        json.dumps(
            {
                "schema": "image-skill.in-flight.v1",
                "idempotency_key": "legacy",
                "command": "image-skill create",
                "api_base_url": "local",
                "started_at": _iso(1000),
                "pid": 1,
                "recovery_command": "image-skill create --prompt x --idempotency-key legacy --json",
                "request": {"endpoint": "/v1/create"},
            }
        )
    )
    (folder / "broken.json").write_text("{not json")
    (folder / "other.json").write_text(json.dumps({"schema": "something.else.v1"}))
    (folder / "nokey.json").write_text(
        json.dumps({"schema": "image-skill.in-flight-spend.v1", "operation": "create"})
    )
    (folder / "README.txt").write_text("not a breadcrumb")
    report = _report()
    assert report["invalid_count"] == 3 and report["count"] == 1
    [entry] = report["entries"]
    assert entry["idempotency_key"] == "legacy" and entry["operation"] == "create"
    assert entry["recover_command"].endswith("--idempotency-key legacy --json")
    assert entry["original_recover_command"] is None


def test_missing_start_time_falls_back_to_the_file_time(folder: Path) -> None:
    path = folder / "k.json"
    record = json.loads(npm_breadcrumb("k", "create", [], 0))
    record["started_at"] = "not a time"
    path.write_text(json.dumps(record))
    two_days_ago = time.time() - 2 * 86400
    os.utime(path, (two_days_ago, two_days_ago))
    [entry] = _report()["entries"]
    assert entry["started_at"] == "not a time"
    assert entry["sweep_eligible"] is True and entry["state"] == "ttl_elapsed"


def test_sweep_removes_only_valid_sweep_eligible_files(folder: Path) -> None:
    (folder / "fresh.json").write_text(npm_breadcrumb("fresh", "create", [], 1000))
    (folder / "hour.json").write_text(npm_breadcrumb("hour", "create", [], 3_600_000))
    (folder / "stale.json").write_text(npm_breadcrumb("stale", "edit", [], 3 * DAY_MS))
    (folder / "broken.json").write_text("{")
    old = time.time() - 5 * 86400
    os.utime(folder / "broken.json", (old, old))
    plain = _report()
    assert plain["sweep_eligible_count"] == 1 and plain["swept_count"] == 0
    assert (folder / "stale.json").exists()  # plain doctor never deletes
    swept = _report("--sweep-in-flight")
    assert swept["sweep_requested"] is True and swept["swept_count"] == 1
    assert swept["count"] == 2 and swept["sweep_eligible_count"] == 0
    assert swept["recoverable_count"] == 1 and swept["ttl_elapsed_count"] == 1
    assert [e["file"] for e in swept["entries"]] == ["fresh.json", "hour.json"]
    assert sorted(p.name for p in folder.iterdir()) == ["broken.json", "fresh.json", "hour.json"]
    assert swept["invalid_count"] == 1


def test_an_unreadable_folder_is_reported_not_raised(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    cfg.parent.mkdir()
    (cfg.parent / "in-flight").write_text("a file where the folder should be")
    res = invoke("doctor", *LOCAL, "--sweep-in-flight")
    assert res.exit_code == 0
    report = res.data["in_flight"]
    assert list(report) == [
        "schema",
        "directory",
        "count",
        "recoverable_count",
        "ttl_elapsed_count",
        "sweep_eligible_count",
        "invalid_count",
        "entries",
        "error",
        "reservation_ttl_ms",
        "sweep_after_ms",
        "swept_count",
        "sweep_requested",
    ]
    assert report["count"] is None and report["entries"] == [] and report["swept_count"] == 0
    assert report["error"] == "in-flight directory could not be read"
    assert report["sweep_requested"] is True


def test_doctor_lists_our_own_unfinished_spend(account):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    # The saved token belongs to the local backend and is never sent elsewhere: give it in
    # the environment for the request to the dead port.
    from image_skill.config import config_path, saved_token

    token = saved_token(config_path())
    lost = invoke(
        "create",
        "--prompt",
        "secret words",
        "--api-base-url",
        f"http://127.0.0.1:{port}",
        env={"IMAGE_SKILL_TOKEN": token},
    )
    assert lost.exit_code == 7, lost.stdout
    printed = lost.json["error"]["recovery"]["suggested_command"]
    res = invoke("doctor", *LOCAL)
    assert res.exit_code == 0
    [entry] = res.data["in_flight"]["entries"]
    assert entry["recover_command"] == printed
    assert res.json["warnings"] and "recover_command" in res.json["warnings"][0]


def test_doctor_unreachable_is_still_exit_zero():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    res = invoke("doctor", "--api-base-url", f"http://127.0.0.1:{port}")
    assert res.exit_code == 0
    assert res.data["hosted_api"]["reachable"] is False
    assert res.data["hosted_api"]["error"]["code"] == "HOSTED_API_REQUEST_FAILED"
