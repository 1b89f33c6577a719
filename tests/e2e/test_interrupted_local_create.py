"""An interrupted in-process create (``--api-base-url local``) is recoverable at once
(issue 8, point 8).

The CLI process owned the job's claim; once it is gone, the local backend notices (the
claim records the owning process) and settles the job as failed and refunded, so the
printed recovery command runs the create again under the same key straight away and the
agent is charged once. Before, the recovery waited 60 s and failed with TIMEOUT for the
ten minutes of the stale-claim window while ``jobs show`` said ``running``.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from clitools import SIGNUP, CliResult, invoke
from e2etools import script

pytestmark = pytest.mark.timeout(180)

#: A local video takes more than a second to render: long enough to be caught running.
VIDEO = ["--model", "local.video", "--model-parameters-json", '{"duration_seconds": 4}']


def run(*args: str, env: dict[str, str]) -> CliResult:
    """The CLI in this process (quicker than a subprocess) on the same config and data."""
    keep = ("HOME", "IMAGE_SKILL_LOCAL_DIR", "IMAGE_SKILL_CONFIG_PATH")
    return invoke(*args, env={name: env[name] for name in keep})


def _total_credits(env: dict[str, str]) -> int:
    quota = run("usage", "quota", "--api-base-url", "local", env=env)
    assert quota.exit_code == 0, quota.stdout
    value = quota.data["limits"]["total_remaining_credits"]
    assert isinstance(value, int)
    return value


def _running_job(db: Path, key: str) -> str | None:
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute(
                "SELECT job_id FROM jobs WHERE idempotency_key = ? AND status = 'running'",
                (key,),
            ).fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else str(row[0])


def test_the_recovery_of_an_interrupted_in_process_create_runs_at_once_and_charges_once(
    e2e_env: dict[str, str],
) -> None:
    signup = run(*SIGNUP, "--api-base-url", "local", env=e2e_env)
    assert signup.exit_code == 0, signup.stdout
    before = _total_credits(e2e_env)
    key = "interrupted-local-1"
    db = Path(e2e_env["IMAGE_SKILL_LOCAL_DIR"]) / "image-skill.sqlite3"

    proc = subprocess.Popen(
        [script(), "create", "--prompt", "a lighthouse in a storm", *VIDEO]
        + ["--api-base-url", "local", "--idempotency-key", key],
        env=e2e_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        job_id = None
        while job_id is None and proc.poll() is None and time.monotonic() < deadline:
            job_id = _running_job(db, key)
            time.sleep(0.01)
        assert job_id is not None, "the job was never seen running"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, out + err
    interrupted = json.loads(out)
    assert interrupted["error"]["code"] == "INTERRUPTED"
    recovery = interrupted["error"]["recovery"]
    assert recovery["idempotency_key"] == key
    assert Path(recovery["breadcrumb"]).exists()

    started = time.monotonic()
    replay = subprocess.run(
        ["bash", "-c", recovery["suggested_command"]],
        env=e2e_env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    elapsed = time.monotonic() - started
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert elapsed < 30, f"the recovery took {elapsed:.1f} s"
    done = json.loads(replay.stdout)
    assert done["ok"] is True and done["data"]["status"] == "completed"
    price = done["data"]["quota"]["consumed_credits"]
    assert price > 0
    assert _total_credits(e2e_env) == before - price  # charged once
    assert not Path(recovery["breadcrumb"]).exists()

    old = run("jobs", "show", job_id, "--api-base-url", "local", env=e2e_env)
    assert old.exit_code == 0, old.stdout
    assert old.data["job"]["status"] == "failed"
    assert old.data["job"]["error"] == {"code": "ABANDONED"}
    again = run(
        "create", "--prompt", "a lighthouse in a storm", *VIDEO,
        "--api-base-url", "local", "--idempotency-key", key,
        env=e2e_env,
    )  # fmt: skip
    assert again.exit_code == 0 and again.data["job_id"] == done["data"]["job_id"]
    assert again.data["request"]["replayed"] is True
    assert _total_credits(e2e_env) == before - price


def test_jobs_show_settles_a_job_whose_process_is_gone(e2e_env: dict[str, str]) -> None:
    signup = run(*SIGNUP, "--api-base-url", "local", env=e2e_env)
    assert signup.exit_code == 0, signup.stdout
    before = _total_credits(e2e_env)
    key = "killed-local-1"
    db = Path(e2e_env["IMAGE_SKILL_LOCAL_DIR"]) / "image-skill.sqlite3"
    proc = subprocess.Popen(
        [script(), "create", "--prompt", "a red kite", *VIDEO]
        + ["--api-base-url", "local", "--idempotency-key", key],
        env=e2e_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        job_id = None
        while job_id is None and proc.poll() is None and time.monotonic() < deadline:
            job_id = _running_job(db, key)
            time.sleep(0.01)
        assert job_id is not None, "the job was never seen running"
        proc.kill()  # no chance to report anything
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    shown = run("jobs", "show", job_id, "--api-base-url", "local", env=e2e_env)
    assert shown.exit_code == 0, shown.stdout
    assert shown.data["job"]["status"] == "failed"
    assert shown.data["job"]["error"] == {"code": "ABANDONED"}
    assert _total_credits(e2e_env) == before  # the reservation went back
