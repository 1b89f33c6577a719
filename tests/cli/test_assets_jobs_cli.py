"""assets / jobs / activity / feedback commands against the in-process local backend."""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from clitools import invoke
from image_skill.api.client import ImageSkillClient
from image_skill.cli import jobs as jobs_module
from image_skill.cli.feedback import feedback_body

LOCAL = ("--api-base-url", "local")
SIGNUP = ("signup", "--agent", "--agent-contact", "a@example.com", "--agent-name", "n")
SIGNUP += ("--runtime", "t", *LOCAL)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory for downloads, and a saved token for the first agent."""
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "config.json"))
    out = tmp_path / "work"
    out.mkdir()
    monkeypatch.chdir(out)
    res = invoke(*SIGNUP)
    assert res.exit_code == 0, res.stdout
    return out


def _token() -> str:
    import json
    import os

    with open(os.environ["IMAGE_SKILL_CONFIG_PATH"], encoding="utf-8") as handle:
        token = json.load(handle)["token"]
    assert isinstance(token, str)
    return token


def _create(*extra: str, dry_run: bool = False) -> dict[str, Any]:
    """Create a job through the CLI when `create` exists, else through the client."""
    args = ["create", "--prompt", "a red cube", "--aspect-ratio", "16:9", *extra, *LOCAL]
    if dry_run:
        args.append("--dry-run")
    res = invoke(*args)
    if res.code == "PUBLIC_CLI_COMMAND_NOT_AVAILABLE":
        body: dict[str, Any] = {"prompt": "a red cube", "aspect_ratio": "16:9"}
        if dry_run:
            body["dry_run"] = True
        body["idempotency_key"] = f"test-{time.time_ns()}"
        body["accept_unknown_cost"] = False
        with ImageSkillClient(base_url="local", token=_token()) as client:
            result = client.create(body)
        assert result.exit_code == 0, result.envelope
        data = result.data
    else:
        assert res.exit_code == 0, res.stdout
        data = res.data
    assert isinstance(data, dict)
    return data


def created_org(job_id: str) -> str:
    res = invoke("jobs", "show", job_id, *LOCAL)
    org = res.json["actor"]["organization_id"]
    assert isinstance(org, str)
    return org


def _served_bytes(url: str) -> bytes:
    with ImageSkillClient(base_url="local") as client, client.stream(url) as response:
        assert response.status_code == 200
        return response.read()


# -- assets ----------------------------------------------------------------------------


def test_assets_get_writes_the_served_bytes_as_a_16_9_png(work: Path) -> None:
    asset = _create()["assets"][0]
    res = invoke("assets", "get", asset["asset_id"], "--output", "cube.png", *LOCAL)
    assert res.exit_code == 0, res.stdout
    env = res.json
    assert env["command"] == "image-skill assets get"
    assert env["data"]["request"] == {"reference": asset["asset_id"], "reference_type": "asset_id"}
    download = env["data"]["download"]
    target = work / "cube.png"
    assert download["output_path"] == str(target)
    assert download["verified"] == {"length": True, "sha256": True}
    assert download["overwritten"] is False
    written = target.read_bytes()
    assert written == _served_bytes(asset["url"])
    assert download["bytes"] == len(written) == asset["content_length"]
    assert download["sha256"] == hashlib.sha256(written).hexdigest() == asset["sha256"]
    with Image.open(io.BytesIO(written)) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert (width, height) == (asset["width"], asset["height"])
    assert abs(width / height - 16 / 9) < 0.01
    assert [p.name for p in work.iterdir()] == ["cube.png"]  # no temp file left


def test_assets_get_by_owned_url_into_a_directory(work: Path) -> None:
    asset = _create()["assets"][0]
    res = invoke("assets", "get", asset["url"], "--output", "media/", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["request"]["reference_type"] == "url"
    target = work / "media" / f"{asset['asset_id']}.png"
    assert res.data["download"]["output_path"] == str(target)
    assert target.read_bytes() == _served_bytes(asset["url"])
    show = invoke("assets", "show", "--id", asset["url"], *LOCAL)
    assert show.exit_code == 0 and show.json["command"] == "image-skill assets show"
    assert show.data["asset"]["sha256"] == asset["sha256"]


def test_assets_get_never_overwrites_without_the_flag(work: Path) -> None:
    asset = _create()["assets"][0]
    existing = work / "keep.png"
    existing.write_bytes(b"my own file")
    res = invoke("assets", "get", asset["asset_id"], "--output", "keep.png", *LOCAL)
    assert (res.exit_code, res.code) == (9, "OUTPUT_EXISTS")
    assert res.json["error"]["retryable"] is False
    assert existing.read_bytes() == b"my own file"
    assert sorted(p.name for p in work.iterdir()) == ["keep.png"]
    res = invoke("assets", "get", asset["asset_id"], "--output", "keep.png", "--overwrite", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["download"]["overwritten"] is True
    assert existing.read_bytes() == _served_bytes(asset["url"])


@pytest.mark.parametrize(
    "reference",
    [
        "https://evil.example/a/image_abc.png",
        "http://media.image-skill.com/a/image_abc.png",
        "./image_abc.png",
        "job_abc",
    ],
)
def test_assets_rejects_foreign_references_before_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: str
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "none.json"))
    res = invoke("assets", "show", reference, *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill assets"


def test_assets_needs_a_reference_then_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "none.json"))
    res = invoke("assets", "get", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    res = invoke("assets", "get", "image_abc", *LOCAL)
    assert (res.exit_code, res.code) == (3, "AUTH_REQUIRED")
    assert res.json["command"] == "image-skill assets"
    res = invoke("assets", "frobnicate", *LOCAL)
    assert (res.exit_code, res.code) == (3, "AUTH_REQUIRED")  # token is checked first


def test_unknown_asset_is_not_found(work: Path) -> None:
    res = invoke("assets", "get", "image_doesnotexist", *LOCAL)
    assert res.exit_code != 0 and res.json["ok"] is False
    assert list(work.iterdir()) == []


# -- jobs --------------------------------------------------------------------------------


def test_another_agents_job_and_asset_are_not_found(work: Path, tmp_path: Path) -> None:
    created = _create()
    job_id, asset_id = created["job_id"], created["assets"][0]["asset_id"]
    assert invoke("jobs", "show", job_id, *LOCAL).exit_code == 0
    second = [arg if arg != "a@example.com" else "b@example.com" for arg in SIGNUP]
    other = invoke(*second, "--show-token", "--no-save")
    assert other.exit_code == 0, other.stdout
    token = other.data["token"]
    assert other.json["actor"]["organization_id"] != created_org(job_id)
    res = invoke("jobs", "show", "--job-id", job_id, "--token", token, *LOCAL)
    assert res.exit_code != 0 and res.json["ok"] is False
    assert "NOT_FOUND" in str(res.code)
    res = invoke("assets", "get", asset_id, "--token", token, *LOCAL)
    assert res.exit_code != 0 and "NOT_FOUND" in str(res.code)
    assert list(work.iterdir()) == []


def test_jobs_wait_returns_a_terminal_job_with_the_request_timing(work: Path) -> None:
    job_id = _create()["job_id"]
    res = invoke("jobs", "wait", job_id, "--timeout-ms", "5000", "--poll-interval-ms", "10", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["job"]["status"] == "completed"
    assert res.data["request"]["timeout_ms"] == 5000
    assert res.data["request"]["poll_interval_ms"] == 10


def test_jobs_wait_on_a_planned_job_times_out_at_its_deadline(work: Path) -> None:
    job_id = _create(dry_run=True)["job_id"]
    show = invoke("jobs", "show", job_id, *LOCAL)
    assert show.exit_code == 0 and show.data["job"]["status"] == "planned"
    started = time.monotonic()
    res = invoke("jobs", "wait", job_id, "--timeout-ms", "300", "--poll-interval-ms", "50", *LOCAL)
    elapsed = time.monotonic() - started
    assert (res.exit_code, res.code) == (8, "TIMEOUT")
    error = res.json["error"]
    assert error["retryable"] is True
    assert job_id in error["message"] and "300ms" in error["message"]
    assert error["recovery"]["retry_after_seconds"] == 1
    # Waiting again on a plan can never end: the recovery says so and shows the plan instead.
    assert error["recovery"]["last_status"] == "planned"
    assert "--dry-run" in error["recovery"]["note"]
    command = error["recovery"]["suggested_command"]
    assert command.endswith(f"jobs show {job_id} --api-base-url local --json")
    assert 0.3 <= elapsed < 3


def test_jobs_wait_writes_its_timeout_as_javascript_would(work: Path) -> None:
    # The npm client interpolates the number (String(1e-7) is "1e-7", not Python's "1e-07").
    job_id = _create(dry_run=True)["job_id"]
    res = invoke("jobs", "wait", job_id, "--timeout-ms", "0.0000001", *LOCAL)
    assert (res.exit_code, res.code) == (8, "TIMEOUT")
    assert res.json["error"]["message"].endswith("within 1e-7ms")


def test_jobs_wait_timeout_on_a_running_job_suggests_waiting_again(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _create()["job_id"]
    real_job = ImageSkillClient.job

    def running(self: ImageSkillClient, job: str, **kwargs: Any) -> Any:
        result = real_job(self, job, **kwargs)
        result.envelope["data"]["job"]["status"] = "running"
        return result

    monkeypatch.setattr(ImageSkillClient, "job", running)
    res = invoke("jobs", "wait", job_id, "--timeout-ms", "0", *LOCAL)
    assert (res.exit_code, res.code) == (8, "TIMEOUT")
    recovery = res.json["error"]["recovery"]
    assert recovery["last_status"] == "running" and "note" not in recovery
    assert (
        f"jobs wait {job_id} --timeout-ms 0 --poll-interval-ms 1000"
        in recovery["suggested_command"]
    )


def test_jobs_wait_polls_with_the_injected_sleep(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _create(dry_run=True)["job_id"]
    clock = [0.0]
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(jobs_module, "_monotonic", lambda: clock[0])
    monkeypatch.setattr(jobs_module, "_sleep", fake_sleep)
    res = invoke("jobs", "wait", job_id, "--timeout-ms", "2500", *LOCAL)
    assert res.code == "TIMEOUT"
    # 1 s interval, the last sleep is cut short at the deadline, then one final poll.
    assert sleeps == [1.0, 1.0, 0.5]


def test_jobs_wait_negative_timeout_never_polls(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("no request expected")

    monkeypatch.setattr(ImageSkillClient, "job", boom)
    res = invoke("jobs", "wait", "job_x", "--timeout-ms", "-1", *LOCAL)
    assert (res.exit_code, res.code) == (8, "TIMEOUT")


def test_jobs_requires_an_id(work: Path) -> None:
    res = invoke("jobs", "wait", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill jobs"
    res = invoke("jobs", "explode", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")


# -- activity and feedback ----------------------------------------------------------------


def test_activity_list_and_show_for_a_planned_job(work: Path) -> None:
    job_id = _create(dry_run=True)["job_id"]
    res = invoke("activity", "list", "--subject", job_id, "--limit", "1e1", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.json["command"] == "image-skill activity list"
    assert "job.planned" in [event["type"] for event in res.data["events"]]
    assert res.data["request"]["limit"] == 10
    show = invoke("activity", "show", job_id, *LOCAL)
    assert show.exit_code == 0, show.stdout
    assert show.json["command"] == "image-skill activity show"
    assert job_id in show.stdout


def test_activity_checks_the_token_before_the_subcommand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "none.json"))
    for args in (("activity", "show"), ("activity", "nope"), ("activity",)):
        res = invoke(*args, *LOCAL)
        assert (res.exit_code, res.code) == (3, "AUTH_REQUIRED")
        assert res.json["command"] == "image-skill activity"


def test_activity_show_requires_a_reference(work: Path) -> None:
    res = invoke("activity", "show", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill activity show"


def test_feedback_create_redacts_tokens(work: Path) -> None:
    secret = "isk_r_" + "A1b2C3d4" * 4
    res = invoke(
        "feedback", "create", "--title", "download friction",
        "--body", f"my token {secret} leaked in a log",
        "--severity", "high", "--surface", "cli, assets,", "--evidence", "trace_1",
        *LOCAL,
    )  # fmt: skip
    assert res.exit_code == 0, res.stdout
    assert res.json["command"] == "image-skill feedback create"
    assert secret not in res.stdout


def test_feedback_create_needs_title_or_body(work: Path) -> None:
    res = invoke("feedback", "create", "--severity", "low", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill feedback create"
    res = invoke("feedback", "list", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill feedback"


def test_feedback_body_key_order_and_defaults() -> None:
    flags: dict[str, Any] = {name: None for name in ("type_", "title", "body", "severity")}
    flags.update(title="t", trace_id="trace_1", command="image-skill x", dedupe_key="d")
    flags.update(proof_needed="p", source="agent", surface=" a, ,b ", allow_weak_signal=True)
    body = feedback_body(flags)
    assert list(body) == [
        "type", "title", "severity", "confidence", "next_state", "command", "proof_needed",
        "dedupe_key", "source", "trace_id", "surface", "evidence", "allow_weak_signal",
    ]  # fmt: skip
    assert body["type"] == "user_feedback" and body["severity"] == "medium"
    assert body["next_state"] == "watch"
    assert body["surface"] == ["a", "b"] and body["evidence"] == []
    assert feedback_body({"body": "b"})["surface"] == ["cli"]
    assert "allow_weak_signal" not in feedback_body({"body": "b"})
