"""`batch create` as a process against `local serve`: killed or interrupted halfway, the
same command run again finishes the batch and the account is debited once per line."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from batchtools import IMAGE_CREDITS, credits, fund, prompts, results, write_batch
from clitools import SIGNUP, CliResult
from e2etools import run, script
from faults import Fault, FaultServer

pytestmark = pytest.mark.timeout(180)


def _account(base: str, env: dict[str, str]) -> list[str]:
    where = ["--api-base-url", base]

    def cli(*args: str) -> CliResult:
        return run(*args, env=env)

    signup = cli(*SIGNUP, *where)
    assert signup.exit_code == 0, signup.stdout
    fund(cli, *where)
    return where


def _finished(path: Path) -> int:
    """Records appended so far (a row being written may be cut short)."""
    if not path.exists():
        return 0
    done = 0
    for row in path.read_text(encoding="utf-8").splitlines():
        try:
            json.loads(row)
        except ValueError:
            continue
        done += 1
    return done


def _start(source: Path, where: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [script(), "batch", "create", str(source), "--concurrency", "3", *where],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while _finished(path) < count:
        assert proc.poll() is None, "the batch finished before it could be stopped"
        assert time.monotonic() < deadline, "no results appeared"
        time.sleep(0.02)


def _in_flight(env: dict[str, str]) -> list[Path]:
    """Breadcrumbs left (a SIGKILL may leave the hidden temporary file of one being
    written; doctor ignores those, and so does this)."""
    folder = Path(env["IMAGE_SKILL_CONFIG_PATH"]).parent / "in-flight"
    found = folder.glob("*.json") if folder.exists() else []
    return sorted(path for path in found if not path.name.startswith("."))


def test_a_killed_batch_run_again_debits_only_the_rest(
    served: str, e2e_env: dict[str, str], tmp_path: Path
) -> None:
    where = _account(served, e2e_env)
    before = credits(lambda *a: run(*a, env=e2e_env), *where)
    source = write_batch(tmp_path / "twelve.jsonl", prompts(12))
    log = tmp_path / "twelve.results.jsonl"
    proc = _start(source, where, e2e_env)
    try:
        _wait_for(log, 3, proc)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before = [r for r in results(log) if r["status"] == "succeeded"]
    assert 3 <= len(done_before) < 12

    again = run("batch", "create", str(source), "--concurrency", "3", *where, env=e2e_env)
    assert again.exit_code == 0, again.stdout
    data = again.data
    assert data["counts"]["succeeded"] == 12 and data["already_succeeded"] == len(done_before)
    assert data["sent"] == 12 - len(done_before)
    records = results(log)
    assert [r["line"] for r in records] == list(range(1, 13))
    assert len({r["job_id"] for r in records}) == 12
    # Exactly one debit per line over both runs, whatever was in flight at the kill.
    assert credits(lambda *a: run(*a, env=e2e_env), *where) == before - 12 * IMAGE_CREDITS
    assert _in_flight(e2e_env) == []


def test_ctrl_c_stops_sending_reports_a_summary_and_the_rerun_finishes(
    served: str, e2e_env: dict[str, str], tmp_path: Path
) -> None:
    lines = 12
    with FaultServer(upstream=served) as fs:
        # Every create takes at least 0.4 s through the proxy, so when the first result is
        # written at most two rounds of three lines can have started: Ctrl-C then always
        # lands with lines still unsent, however fast the backend draws.
        fs.script("POST", "/v1/create", Fault(proxy=True, delay=0.4), repeat=True)
        where = _account(fs.url, e2e_env)
        before = credits(lambda *a: run(*a, env=e2e_env), *where)
        source = write_batch(tmp_path / "twelve.jsonl", prompts(lines))
        log = tmp_path / "twelve.results.jsonl"
        proc = _start(source, where, e2e_env)
        try:
            _wait_for(log, 1, proc)
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 130
        envelope = json.loads(out)
        assert envelope["ok"] is False and envelope["error"]["code"] == "INTERRUPTED"
        data = envelope["data"]
        tally = data["counts"]
        assert tally["lines"] == lines and tally["failed"] == 0
        assert tally["succeeded"] + tally["skipped"] + tally["unknown"] == lines
        assert 1 <= tally["succeeded"] <= 6 and tally["skipped"] >= lines - 6
        for record in data["lines"]:
            if record["status"] == "skipped":
                assert record["reason"] == "interrupted" and record["job_id"] is None
        resume = f"batch create {source} --concurrency 3 --api-base-url {fs.url} --json"
        assert envelope["error"]["recovery"]["suggested_command"].endswith(resume)
        assert data["next_command"].endswith(resume)
        assert results(log) == data["lines"]  # one record per line, as the summary says

        fs.clear()  # the re-run needs no slow link
        again = run("batch", "create", str(source), "--concurrency", "3", *where, env=e2e_env)
        assert again.exit_code == 0, again.stdout
        assert again.data["counts"]["succeeded"] == lines
        after = credits(lambda *a: run(*a, env=e2e_env), *where)
    assert after == before - lines * IMAGE_CREDITS
    assert _in_flight(e2e_env) == []


def test_a_lost_reply_leaves_the_line_unknown_and_the_rerun_replays_it(
    served: str, e2e_env: dict[str, str], tmp_path: Path
) -> None:
    with FaultServer(upstream=served) as fs:
        # Signed up through the proxy: a saved token is sent only to its own base URL.
        where = _account(fs.url, e2e_env)
        before = credits(lambda *a: run(*a, env=e2e_env), *where)
        source = write_batch(tmp_path / "three.jsonl", prompts(3))
        # The backend runs (and debits) the first create; its reply never arrives.
        fs.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
        first = run("batch", "create", str(source), "--concurrency", "1", *where, env=e2e_env)
        assert first.exit_code == 7, first.stdout
        assert first.json["error"]["code"] == "HOSTED_API_REQUEST_FAILED"
        assert first.json["error"]["retryable"] is True
        lines = first.data["lines"]
        assert [r["status"] for r in lines] == ["unknown", "succeeded", "succeeded"]
        assert first.data["counts"]["unknown"] == 1
        # The line in doubt keeps its breadcrumb (doctor lists it); the others settled.
        [crumb] = _in_flight(e2e_env)
        assert json.loads(crumb.read_text())["idempotency_key"] == lines[0]["idempotency_key"]

        again = run("batch", "create", str(source), *where, env=e2e_env)
        assert again.exit_code == 0, again.stdout
        [replayed] = again.data["lines"][:1]
        assert replayed["status"] == "succeeded" and replayed["replayed"] is True
        assert replayed["idempotency_key"] == lines[0]["idempotency_key"]
        assert again.data["sent"] == 1 and again.data["debited_this_run_usd"] == 0
        assert credits(lambda *a: run(*a, env=e2e_env), *where) == before - 3 * IMAGE_CREDITS
        assert _in_flight(e2e_env) == []
