"""`batch create` against the in-process local backend: debits, budget, bad lines, resume."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from batchtools import IMAGE_CREDITS, credits, fund, prompts, results, write_batch
from clitools import invoke
from spendtools import LOCAL, in_flight_files

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def funded(account: Path) -> Path:
    fund(invoke, *LOCAL)
    return account


def batch(*args: str) -> dict:
    res = invoke("batch", "create", *args, *LOCAL)
    envelope = res.json
    envelope["_exit"] = res.exit_code
    envelope["_stderr"] = res.stderr
    return envelope


def test_twelve_lines_at_concurrency_three_debit_twelve_jobs_once(
    funded: Path, tmp_path: Path
) -> None:
    source = write_batch(tmp_path / "pictures.jsonl", prompts(12))
    before = credits(invoke, *LOCAL)
    run = batch(str(source), "--concurrency", "3")
    assert run["_exit"] == 0 and run["ok"] is True, run["error"]
    data = run["data"]
    assert data["counts"] == {"lines": 12, "succeeded": 12, "failed": 0, "skipped": 0, "unknown": 0}
    assert data["sent"] == 12 and data["already_succeeded"] == 0 and data["replayed"] == 0
    assert data["debited_usd"] == data["debited_this_run_usd"] == 1.08
    assert data["next_command"] is None
    assert credits(invoke, *LOCAL) == before - 12 * IMAGE_CREDITS
    records = results(tmp_path / "pictures.results.jsonl")
    assert [r["line"] for r in records] == list(range(1, 13))
    assert len({r["job_id"] for r in records}) == 12
    assert all(r["status"] == "succeeded" and len(r["asset_ids"]) == 1 for r in records)
    assert records == data["lines"]
    # One in_flight notice per live line, and every breadcrumb settled.
    notices = [json.loads(row) for row in run["_stderr"].splitlines() if row.strip()]
    assert sorted(n["in_flight"]["idempotency_key"] for n in notices) == sorted(
        r["idempotency_key"] for r in records
    )
    assert in_flight_files(funded) == []

    again = batch(str(source), "--concurrency", "3")
    assert again["_exit"] == 0 and again["data"]["sent"] == 0
    assert again["data"]["already_succeeded"] == 12 and again["_stderr"] == ""
    assert credits(invoke, *LOCAL) == before - 12 * IMAGE_CREDITS


def test_without_the_results_file_a_rerun_is_replayed_by_the_server_for_free(
    funded: Path, tmp_path: Path
) -> None:
    source = write_batch(tmp_path / "two.jsonl", prompts(2))
    first = batch(str(source))
    assert first["ok"] is True
    before = credits(invoke, *LOCAL)
    (tmp_path / "two.results.jsonl").unlink()
    again = batch(str(source))
    assert again["ok"] is True and again["data"]["sent"] == 2 and again["data"]["replayed"] == 2
    assert [r["job_id"] for r in again["data"]["lines"]] == [
        r["job_id"] for r in first["data"]["lines"]
    ]
    assert again["data"]["debited_this_run_usd"] == 0
    assert credits(invoke, *LOCAL) == before


def test_a_line_s_breadcrumb_replay_is_the_same_create(funded: Path, tmp_path: Path) -> None:
    """The create command a line's breadcrumb records sends the very same body: replayed
    with the line's key it returns the line's job instead of charging again."""
    line = {"prompt": "a teapot", "model": "local.image", "max_usd": 1, "aspect_ratio": "16:9"}
    source = write_batch(tmp_path / "one.jsonl", [line])
    [record] = batch(str(source))["data"]["lines"]
    before = credits(invoke, *LOCAL)
    replay = invoke(
        "create",
        "--prompt",
        "a teapot",
        "--model",
        "local.image",
        "--aspect-ratio",
        "16:9",
        "--max-usd",
        "1",
        "--idempotency-key",
        record["idempotency_key"],
        *LOCAL,
    )
    assert replay.exit_code == 0, replay.stdout
    assert replay.data["job_id"] == record["job_id"]
    assert replay.data["request"]["replayed"] is True
    assert credits(invoke, *LOCAL) == before


def test_a_budget_that_covers_five_lines_sends_five(funded: Path, tmp_path: Path) -> None:
    source = write_batch(tmp_path / "eight.jsonl", prompts(8))
    before = credits(invoke, *LOCAL)
    run = batch(str(source), "--max-total-usd", "0.45", "--concurrency", "3")
    assert run["ok"] is False and run["_exit"] == 2
    assert run["error"]["code"] == "BUDGET_GUARD_EXCEEDED"
    data = run["data"]
    assert data["counts"] == {"lines": 8, "succeeded": 5, "failed": 0, "skipped": 3, "unknown": 0}
    assert data["sent"] == 5 and data["debited_usd"] == 0.45 and data["budget_remaining_usd"] == 0
    skipped = [r for r in data["lines"] if r["status"] == "skipped"]
    assert all(r["reason"] == "budget" and r["job_id"] is None for r in skipped)
    assert all("--max-total-usd" in r["error"]["message"] for r in skipped)
    assert credits(invoke, *LOCAL) == before - 5 * IMAGE_CREDITS
    # The same budget on a re-run counts what was already spent: nothing more is sent.
    again = batch(str(source), "--max-total-usd", "0.45")
    assert again["data"]["sent"] == 0 and again["data"]["already_succeeded"] == 5
    assert credits(invoke, *LOCAL) == before - 5 * IMAGE_CREDITS
    # So the command offered is the one whose budget covers the rest, and it runs as printed.
    assert "--max-total-usd 0.72" in data["next_command"], data["next_command"]
    assert run["error"]["recovery"]["max_total_usd_needed"] == 0.72
    assert "--max-total-usd 0.72" in again["data"]["next_command"]
    done = subprocess.run(
        ["bash", "-c", data["next_command"]], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout
    finished = json.loads(done.stdout)
    assert finished["ok"] is True and finished["data"]["sent"] == 3
    assert finished["data"]["next_command"] is None
    assert credits(invoke, *LOCAL) == before - 8 * IMAGE_CREDITS


def test_malformed_lines_are_reported_by_number_and_the_rest_runs(
    funded: Path, tmp_path: Path
) -> None:
    good = prompts(3)
    source = write_batch(
        tmp_path / "mixed.jsonl",
        [
            good[0],
            "{not json",
            good[1],
            {"prompt": "x", "colour": "red"},
            "",
            {"model": "m"},
            good[2],
        ],
    )
    before = credits(invoke, *LOCAL)
    run = batch(str(source))
    assert run["_exit"] == 2 and run["error"]["code"] == "INVALID_ARGUMENTS"
    assert run["error"]["retryable"] is False
    lines = {r["line"]: r for r in run["data"]["lines"]}
    assert sorted(lines) == [1, 2, 3, 4, 6, 7]  # line 5 is blank
    assert [n for n, r in lines.items() if r["status"] == "succeeded"] == [1, 3, 7]
    for number, words in ((2, "not valid JSON"), (4, "unknown key 'colour'"), (6, '"prompt"')):
        assert lines[number]["status"] == "failed"
        assert lines[number]["error"]["code"] == "INVALID_ARGUMENTS"
        assert lines[number]["error"]["message"].startswith(f"line {number}: ")
        assert words in lines[number]["error"]["message"]
        assert lines[number]["idempotency_key"] is None
    assert credits(invoke, *LOCAL) == before - 3 * IMAGE_CREDITS


def test_a_dry_run_plans_every_line_and_spends_nothing(funded: Path, tmp_path: Path) -> None:
    source = write_batch(tmp_path / "plan.jsonl", prompts(3))
    before = credits(invoke, *LOCAL)
    run = batch(str(source), "--dry-run", "--max-total-usd", "0.2")
    assert run["error"]["code"] == "BUDGET_GUARD_EXCEEDED", run
    data = run["data"]
    assert data["dry_run"] is True and data["results_path"] is None
    assert [r["status"] for r in data["lines"]] == ["planned", "planned", "skipped"]
    assert data["lines"][0]["model"] == "local.image"
    assert data["lines"][0]["estimated_debit_usd"] == 0.09
    assert data["estimated_total_usd"] == 0.18
    assert "--dry-run" not in data["next_command"]
    assert credits(invoke, *LOCAL) == before
    assert not (tmp_path / "plan.results.jsonl").exists() and run["_stderr"] == ""
    plain = batch(str(source), "--dry-run")
    assert plain["ok"] is True and plain["data"]["counts"]["planned"] == 3
    # Without a budget the estimate still adds up every planned line (was: 0).
    assert plain["data"]["estimated_total_usd"] == 0.27
    assert plain["data"]["budget_remaining_usd"] is None


def test_output_dir_downloads_every_line_and_never_overwrites(funded: Path, tmp_path: Path) -> None:
    source = write_batch(tmp_path / "files.jsonl", prompts(2))
    out = tmp_path / "out"
    run = batch(str(source), "--output-dir", str(out))
    assert run["ok"] is True, run["error"]
    files = [Path(f) for r in run["data"]["lines"] for f in r["files"]]
    assert len(files) == 2 and all(f.parent == out and f.is_file() for f in files)
    for record in run["data"]["lines"]:
        [asset_id] = record["asset_ids"]
        [path] = record["files"]
        shown = invoke("assets", "show", asset_id, *LOCAL)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert shown.data["asset"]["sha256"] == digest
    kept = {f: f.read_bytes() for f in files}
    # A replay finds each asset already in the folder, byte for byte: it keeps that file
    # and writes no name-2 copy. A file that is no longer the asset is never touched; the
    # asset then goes next to it.
    files[1].write_bytes(b"edited by hand")
    (tmp_path / "files.results.jsonl").unlink()
    again = batch(str(source), "--output-dir", str(out))
    assert again["ok"] is True and again["data"]["replayed"] == 2
    new = [Path(f) for r in again["data"]["lines"] for f in r["files"]]
    assert new[0] == files[0] and files[0].read_bytes() == kept[files[0]]
    assert new[1] == files[1].with_name(f"{files[1].stem}-2.png")
    assert new[1].read_bytes() == kept[files[1]]
    assert files[1].read_bytes() == b"edited by hand"
    assert sorted(out.iterdir()) == sorted({*files, new[1]})


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["--concurrency", "0"], "INVALID_ARGUMENTS", 2),
        (["--concurrency", "9"], "INVALID_ARGUMENTS", 2),
        (["--max-total-usd", "-1"], "INVALID_ARGUMENTS", 2),
        (["--max-total-usd", "lots"], "INVALID_ARGUMENTS", 2),
        (["--dry-run", "--output-dir", "out"], "INVALID_ARGUMENTS", 2),
    ],
)
def test_bad_options_are_refused_before_anything_is_sent(
    account: Path, tmp_path: Path, args: list[str], code: str, exit_code: int
) -> None:
    source = write_batch(tmp_path / "b.jsonl", prompts(1))
    res = invoke("batch", "create", str(source), *args, *LOCAL)
    assert res.exit_code == exit_code and res.code == code, res.stdout
    assert not (tmp_path / "b.results.jsonl").exists()


def test_a_missing_or_empty_file_and_a_foreign_results_file(account: Path, tmp_path: Path) -> None:
    missing = invoke("batch", "create", str(tmp_path / "nope.jsonl"), *LOCAL)
    assert missing.exit_code == 9 and missing.code == "INPUT_FILE_UNREADABLE"
    empty = write_batch(tmp_path / "empty.jsonl", ["", "  "])
    res = invoke("batch", "create", str(empty), *LOCAL)
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    source = write_batch(tmp_path / "b.jsonl", prompts(1))
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes\n", encoding="utf-8")
    res = invoke("batch", "create", str(source), "--results", str(foreign), *LOCAL)
    assert res.exit_code == 9 and res.code == "OUTPUT_EXISTS"
    assert foreign.read_text(encoding="utf-8") == "my notes\n"
    same = invoke("batch", "create", str(source), "--results", str(source), *LOCAL)
    assert same.exit_code == 2 and same.code == "INVALID_ARGUMENTS"


def test_human_mode_prints_progress_on_stderr(funded: Path, tmp_path: Path) -> None:
    source = write_batch(tmp_path / "h.jsonl", [*prompts(1), "oops"])
    res = invoke("batch", "create", str(source), "--human", *LOCAL)
    assert res.exit_code == 2
    progress = [row for row in res.stderr.splitlines() if row.startswith("[")]
    # The bad line is known before anything is sent; the good one follows when it is done.
    assert progress[0] == "[1/2] line 2: failed (INVALID_ARGUMENTS)"
    assert progress[1].startswith("[2/2] line 1: succeeded job_") and len(progress) == 2


def test_a_refused_line_gives_the_batch_create_s_exit_code(account: Path, tmp_path: Path) -> None:
    """The free preview covers three local images: the fourth is refused for quota, and the
    batch exits 5 as that create would."""
    source = write_batch(tmp_path / "four.jsonl", prompts(4))
    run = batch(str(source), "--concurrency", "1")
    assert run["_exit"] == 5 and run["error"]["code"] == "QUOTA_EXCEEDED"
    assert [r["status"] for r in run["data"]["lines"]] == ["succeeded"] * 3 + ["failed"]
    assert run["data"]["lines"][3]["error"]["code"] == "QUOTA_EXCEEDED"
    assert in_flight_files(account) == []  # a certain refusal settles its breadcrumb


def test_a_breadcrumb_that_cannot_be_written_is_named_in_the_summary(
    funded: Path, tmp_path: Path
) -> None:
    folder = funded.parent / "in-flight"
    folder.rmdir()  # empty: the purchase's breadcrumb settled
    folder.write_text("not a folder", encoding="utf-8")
    source = write_batch(tmp_path / "w.jsonl", prompts(1))
    run = batch(str(source))
    assert run["ok"] is True
    [record] = run["data"]["lines"]
    [warning] = run["warnings"]
    assert warning.startswith("line 1: could not write the in-flight breadcrumb")
    assert f"--idempotency-key {record['idempotency_key']}" in warning


def test_lines_inserted_above_finished_ones_charge_only_the_new_lines(
    funded: Path, tmp_path: Path
) -> None:
    """Editing the file changes every derived key; the results file still finds each
    finished line by its text, so only the new line is sent and debited."""
    source = write_batch(tmp_path / "grow.jsonl", prompts(2))
    first = batch(str(source))
    assert first["ok"] is True and first["data"]["sent"] == 2
    before = credits(invoke, *LOCAL)
    new = {"prompt": "inserted on top", "model": "local.image"}
    write_batch(source, [new, *prompts(2)])
    again = batch(str(source))
    assert again["ok"] is True, again["error"]
    assert again["data"]["sent"] == 1 and again["data"]["already_succeeded"] == 2
    assert credits(invoke, *LOCAL) == before - IMAGE_CREDITS
    lines = again["data"]["lines"]
    assert [r["line"] for r in lines] == [1, 2, 3]
    assert [r["job_id"] for r in lines[1:]] == [r["job_id"] for r in first["data"]["lines"]]
    stored = results(tmp_path / "grow.results.jsonl")
    assert [r["line"] for r in stored] == [1, 2, 3] and stored == lines


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_budget_covers_the_first_lines_of_the_file_that_fit(
    funded: Path, tmp_path: Path, dry_run: bool
) -> None:
    """Line 1 costs $0.18 and fits a $0.20 budget; line 2 ($0.09) then does not, whatever
    plan answers first at concurrency 3, and neither does line 3."""
    lines = [{**prompts(1)[0], "output_count": 2}, *prompts(2)]
    source = write_batch(tmp_path / "order.jsonl", lines)
    args = ["--max-total-usd", "0.2", "--concurrency", "3"]
    run = batch(str(source), *args, *(["--dry-run"] if dry_run else []))
    assert run["error"]["code"] == "BUDGET_GUARD_EXCEEDED", run["error"]
    first = "planned" if dry_run else "succeeded"
    assert [r["status"] for r in run["data"]["lines"]] == [first, "skipped", "skipped"]
    assert run["error"]["recovery"]["max_total_usd_needed"] == 0.36


def test_a_rerun_with_output_dir_fetches_finished_lines_files_for_free(
    funded: Path, tmp_path: Path
) -> None:
    """Finished lines are never sent again; with --output-dir their missing files are
    downloaded (assets get, no charge), files already there are kept."""
    source = write_batch(tmp_path / "later.jsonl", prompts(2))
    first = batch(str(source))
    assert first["ok"] is True and all(r["files"] == [] for r in first["data"]["lines"])
    before = credits(invoke, *LOCAL)
    out = tmp_path / "later-out"
    again = batch(str(source), "--output-dir", str(out))
    assert again["ok"] is True, again["error"]
    assert again["data"]["sent"] == 0 and again["data"]["already_succeeded"] == 2
    files = [Path(r["files"][0]) for r in again["data"]["lines"]]
    for record, path in zip(again["data"]["lines"], files, strict=True):
        shown = invoke("assets", "show", record["asset_ids"][0], *LOCAL)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == shown.data["asset"]["sha256"]
        assert path.parent == out
    assert credits(invoke, *LOCAL) == before
    assert results(tmp_path / "later.results.jsonl") == again["data"]["lines"]
    files[0].unlink()
    third = batch(str(source), "--output-dir", str(out))
    assert [Path(r["files"][0]) for r in third["data"]["lines"]] == files
    assert sorted(out.iterdir()) == sorted(files) and third["_stderr"] == ""
    assert credits(invoke, *LOCAL) == before


def test_a_line_in_doubt_edited_away_is_named_in_a_warning(funded: Path, tmp_path: Path) -> None:
    source = write_batch(tmp_path / "doubt.jsonl", prompts(2))
    first = batch(str(source))
    assert first["ok"] is True
    stored = results(tmp_path / "doubt.results.jsonl")
    stored[0]["status"] = "unknown"  # as a run killed mid-request leaves it
    (tmp_path / "doubt.results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in stored))
    write_batch(source, [{"prompt": "a new first line", "model": "local.image"}, prompts(2)[1]])
    again = batch(str(source))
    assert again["ok"] is True and again["data"]["sent"] == 1
    [warning] = again["warnings"]
    assert stored[0]["idempotency_key"] in warning and "doctor" in warning


def test_a_line_deleted_and_put_back_later_is_not_charged_again(
    funded: Path, tmp_path: Path
) -> None:
    source = write_batch(tmp_path / "back.jsonl", prompts(3))
    first = batch(str(source))
    assert first["ok"] is True
    before = credits(invoke, *LOCAL)
    write_batch(source, prompts(3)[1:])  # line 1 deleted
    fewer = batch(str(source))
    assert fewer["ok"] is True and fewer["data"]["sent"] == 0
    assert [r["line"] for r in fewer["data"]["lines"]] == [1, 2]
    # The results file still holds the deleted line's record.
    stored = results(tmp_path / "back.results.jsonl")
    assert {r["job_id"] for r in stored} == {r["job_id"] for r in first["data"]["lines"]}
    write_batch(source, prompts(3))  # and put back
    again = batch(str(source))
    assert again["ok"] is True and again["data"]["sent"] == 0
    assert again["data"]["already_succeeded"] == 3
    assert [r["job_id"] for r in again["data"]["lines"]] == [
        r["job_id"] for r in first["data"]["lines"]
    ]
    assert credits(invoke, *LOCAL) == before
