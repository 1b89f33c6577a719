"""The pure parts of `batch create`: line parsing, keys, bodies, results, budget, summary."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

import pytest

from image_skill.api.requests import CreateRequest
from image_skill.cli import batch_plan as P
from image_skill.cli.batch_lines import (
    ACCEPTED_KEYS,
    Line,
    create_words,
    derive_key,
    line_body,
    parse_batch,
    parse_line,
)

GOOD = b'{"prompt": "a red cube", "model": "local.image"}'


def test_lines_are_numbered_as_in_an_editor_and_blank_lines_are_ignored() -> None:
    batch = parse_batch(b"\xef\xbb\xbf" + GOOD + b"\n\n   \n" + GOOD + b"\r\n")
    assert [line.number for line in batch.lines] == [1, 4]
    assert all(line.request is not None and line.error is None for line in batch.lines)
    # The BOM and the CRLF do not change a line's own hash.
    assert batch.lines[0].sha256 == batch.lines[1].sha256


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nope", "not valid JSON"),
        ('["a"]', "must be a JSON object"),
        ("{}", 'no "prompt"'),
        ('{"prompt": 3}', '"prompt" must be a string'),
        ('{"prompt": "x", "colour": "red"}', "unknown key 'colour'"),
        ('{"prompt": "x", "idempotency_key": "k"}', "derives each line's idempotency key"),
        ('{"prompt": "x", "dry_run": true}', "--dry-run"),
        ('{"prompt": "x", "references": []}', "no references"),
        ('{"prompt": "x", "model": 5}', "'model' must be a string"),
        ('{"prompt": "x", "output_count": 0}', "positive integer"),
        ('{"prompt": "x", "output_count": 1.5}', "positive integer"),
        ('{"prompt": "x", "output_count": true}', "positive integer"),
        ('{"prompt": "x", "max_usd": "1"}', "'max_usd' must be a number"),
        ('{"prompt": "x", "max_usd": false}', "'max_usd' must be a number"),
        ('{"prompt": "x", "model_parameters": [1]}', "must be a JSON object"),
        ('{"prompt": "x", "accept_unknown_cost": 1}', "true or false"),
    ],
)
def test_a_bad_line_names_what_is_wrong(text: str, reason: str) -> None:
    request, error = parse_line(text)
    assert request is None and error is not None and reason in error


def test_an_unknown_key_lists_the_accepted_ones() -> None:
    _, error = parse_line('{"prompt": "x", "seed": 1}')
    assert error is not None and all(key in error for key in ACCEPTED_KEYS)


def test_invalid_utf8_spoils_only_its_own_line() -> None:
    batch = parse_batch(GOOD + b'\n{"prompt": "\xff"}\n' + GOOD)
    assert [(line.number, line.error is None) for line in batch.lines] == [
        (1, True),
        (2, False),
        (3, True),
    ]
    assert batch.lines[1].error == "the line is not valid UTF-8"


def test_keys_are_deterministic_and_distinct_per_file_and_per_line() -> None:
    first, again = parse_batch(GOOD + b"\n" + GOOD), parse_batch(GOOD + b"\n" + GOOD)
    keys = [first.key(line) for line in first.lines]
    assert keys == [again.key(line) for line in again.lines]
    assert len(set(keys)) == 2  # the same prompt twice is two jobs
    other = parse_batch(GOOD + b"\n" + GOOD + b"\n")
    assert other.key(other.lines[0]) != keys[0]  # another file, another key
    line = first.lines[0]
    assert keys[0] == f"batch-{first.sha256[:16]}-1-{line.sha256[:12]}"
    assert derive_key(first.sha256, 1, line.sha256) == keys[0]
    assert len(keys[0]) <= 200 and all(c.isalnum() or c == "-" for c in keys[0])


def test_the_body_is_create_s_body_for_the_same_flags() -> None:
    text = (
        '{"prompt": "p", "model": "local.image", "output_count": 2.0, "max_usd": 1.0,'
        ' "max_estimated_usd_per_image": 0.25, "model_parameters": {"seed": 3}}'
    )
    request, _ = parse_line(text)
    assert request is not None
    body = line_body(request, key="k", dry_run=False, accept_unknown_cost=False)
    assert body == {
        "prompt": "p",
        "model": "local.image",
        "aspect_ratio": "1:1",
        "output_count": 2,
        "max_estimated_usd_per_image": 0.25,
        "max_usd": 1,
        "model_parameters": {"seed": 3},
        "idempotency_key": "k",
        "dry_run": False,
        "accept_unknown_cost": False,
    }
    expected = CreateRequest(
        prompt="p",
        model="local.image",
        aspect_ratio="1:1",
        output_count=2,
        max_estimated_usd_per_image=0.25,
        max_usd=1,
        model_parameters={"seed": 3},
        idempotency_key="k",
    ).to_body()
    assert list(body.items()) == list(expected.items())  # same keys, same order
    plan = line_body(request, key=None, dry_run=True, accept_unknown_cost=True)
    assert "idempotency_key" not in plan and plan["dry_run"] is True
    assert plan["accept_unknown_cost"] is True
    assert create_words(request) == [
        "--prompt",
        "p",
        "--model",
        "local.image",
        "--output-count",
        "2",
        "--max-estimated-usd-per-image",
        "0.25",
        "--max-usd",
        "1",
        "--model-parameters-json",
        '{"seed":3}',
    ]


def test_a_line_may_accept_unknown_cost_itself() -> None:
    request, _ = parse_line('{"prompt": "p", "accept_unknown_cost": true, "aspect_ratio": "16:9"}')
    assert request is not None
    body = line_body(request, key="k", dry_run=False, accept_unknown_cost=False)
    assert body["accept_unknown_cost"] is True and body["aspect_ratio"] == "16:9"
    assert create_words(request) == ["--prompt", "p", "--aspect-ratio", "16:9"]


LINE = Line(3, "ab" * 32)


def _record(status: str, **fields: object) -> dict[str, object]:
    record = P.line_record(LINE, status, key="batch-x-3-y")
    record.update(fields)
    return record


def test_results_keep_every_record_and_tolerate_a_cut_last_row() -> None:
    first = _record("unknown")
    later = _record("succeeded", job_id="job_1")
    text = P.results_text([first]) + P.results_text([later]) + '{"line": 4, "sta'
    records, problem = P.parse_results(text)
    assert problem is None and records == [first, later]
    assert list(later) == list(P.RESULT_KEYS)


@pytest.mark.parametrize(
    "text", ['{"line": 4, "sta\n{"line": 1}\n', "hello\n", '{"line": "1", "status": "x"}\n']
)
def test_a_file_that_is_no_results_file_is_refused(text: str) -> None:
    records, problem = P.parse_results(text)
    assert records == [] and problem is not None


def test_a_rerun_skips_successes_and_reuses_the_key_of_a_line_in_doubt() -> None:
    batch = parse_batch(GOOD)
    line = batch.lines[0]
    derived = batch.key(line)
    same = {"line_sha256": line.sha256, "idempotency_key": "batch-old-1-x"}
    assert P.decide(batch, line, None) == P.Decision("send", derived, None)
    carry = P.decide(batch, line, {**same, "status": "succeeded"})
    assert carry.action == "carry" and carry.key == "batch-old-1-x"
    for status in ("unknown", "failed", "skipped"):
        decision = P.decide(batch, line, {**same, "status": status})
        assert (decision.action, decision.key) == ("send", "batch-old-1-x")
    changed = {**same, "status": "succeeded", "line_sha256": "0" * 64}
    assert P.decide(batch, line, changed) == P.Decision("send", derived, None)
    no_key = {**same, "status": "failed", "idempotency_key": None}
    assert P.decide(batch, line, no_key).key == derived


def test_the_debit_is_credits_times_the_unit() -> None:
    pricing = {"credits_required": 9, "credit_unit_usd": 0.01}
    assert P.debit_usd({"cost": {"credit_pricing": pricing}}) == Decimal("0.09")
    assert P.debit_usd({"cost": {"credit_pricing": {"credits_required": 12}}}) == Decimal("0.12")
    for data in (None, {}, {"cost": {}}, {"cost": {"credit_pricing": {"credits_required": None}}}):
        assert P.debit_usd(data) is None
    assert P.debit_usd({"cost": {"credit_pricing": {"credits_required": True}}}) is None


def _envelope(ok: bool, data: dict[str, object] | None, code: str | None = None) -> dict:
    error = None if ok else {"code": code, "message": "m", "retryable": False}
    return {"ok": ok, "data": data, "error": error}


def test_a_create_envelope_becomes_a_record() -> None:
    data = {
        "job_id": "job_1",
        "assets": [{"asset_id": "image_1"}, {"asset_id": "image_2"}],
        "downloads": [{"output_path": "/o/a.png"}],
        "request": {"replayed": True},
        "cost": {"credit_pricing": {"credits_required": 18, "credit_unit_usd": 0.01}},
    }
    ok = P.from_create(LINE, "k", _envelope(True, data), known=True)
    assert ok["status"] == "succeeded" and ok["job_id"] == "job_1"
    assert ok["asset_ids"] == ["image_1", "image_2"] and ok["files"] == ["/o/a.png"]
    assert ok["debited_usd"] == 0.18 and ok["replayed"] is True and ok["error"] is None
    download = P.from_create(
        LINE, "k", _envelope(False, data, "ASSET_DOWNLOAD_FAILED"), known=False
    )
    assert (download["status"], download["reason"], download["job_id"]) == (
        "failed",
        "download",
        "job_1",
    )
    refused = P.from_create(LINE, "k", _envelope(False, None, "BUDGET_GUARD_EXCEEDED"), known=True)
    assert refused["status"] == "failed"
    assert refused["error"] == {"code": "BUDGET_GUARD_EXCEEDED", "message": "m"}
    doubt = P.from_create(LINE, "k", _envelope(False, None, "TIMEOUT"), known=False)
    assert doubt["status"] == "unknown" and doubt["idempotency_key"] == "k"


def test_the_budget_counts_spent_and_in_flight_lines() -> None:
    budget = P.Budget(Decimal("0.20"))
    assert budget.reserve(1, Decimal("0.09")) and budget.reserve(2, Decimal("0.09"))
    assert not budget.reserve(3, Decimal("0.09"))  # 0.27 would pass 0.20
    assert budget.reserve(3, Decimal("0.02"))  # exactly at the limit is allowed
    budget.release(3)
    budget.settle(1, Decimal("0.05"))  # it debited less than estimated
    assert budget.committed == Decimal("0.14") and budget.remaining() == Decimal("0.06")
    budget.settle(2, None)  # no figure: the estimate stands
    assert budget.spent == Decimal("0.14") and budget.held == {}
    assert P.Budget(None).reserve(1, Decimal(10**6)) and P.Budget(None).remaining() is None


def test_counts_and_the_batch_error() -> None:
    ok = _record("succeeded")
    bad = _record("failed", error={"code": "INVALID_ARGUMENTS", "message": "m"})
    over = _record("skipped", error={"code": "BUDGET_GUARD_EXCEEDED", "message": "m"})
    planned = _record("planned")
    assert P.counts([ok, bad, over, planned]) == {
        "lines": 4,
        "succeeded": 1,
        "failed": 1,
        "skipped": 1,
        "unknown": 0,
        "planned": 1,
    }
    assert P.final_error([ok, planned]) is None
    assert P.final_error([ok, bad, bad]) == (
        "INVALID_ARGUMENTS",
        "2 of the batch's lines did not succeed (2 failed)",
    )
    code, message = P.final_error([bad, over]) or ("", "")
    assert code == "BATCH_INCOMPLETE" and message.endswith("(1 failed, 1 skipped)")


def test_results_text_is_one_sorted_json_line_per_record() -> None:
    records = [{"line": 10, "status": "failed"}, {"line": 2, "status": "succeeded"}]
    text = P.results_text(records)
    assert [json.loads(row)["line"] for row in text.splitlines()] == [2, 10]
    assert text.endswith("\n") and text.count("\n") == 2


def test_parsed_values_are_frozen() -> None:
    batch = parse_batch(GOOD)
    decision = P.decide(batch, batch.lines[0], None)
    for value, name in ((batch, "sha256"), (batch.lines[0], "number"), (decision, "key")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, "x")


def test_numbers_follow_create_s_flag_rules() -> None:
    request, _ = parse_line(
        '{"prompt": "p", "output_count": 1, "max_usd": 9007199254740991.0,'
        ' "max_estimated_usd_per_image": 9007199254740992.0}'
    )
    assert request is not None and request.output_count == 1
    assert isinstance(request.max_usd, int)  # below 2**53: an integral float is an int
    assert isinstance(request.max_estimated_usd_per_image, float)  # 2**53: kept as it was
    words = create_words(parse_line('{"prompt": "p", "model_parameters": {"style": "café"}}')[0])
    assert words[-1] == '{"style":"café"}'


def test_debit_edges() -> None:
    def pricing(**fields: object) -> dict[str, object]:
        return {"cost": {"credit_pricing": fields}}

    assert P.debit_usd(pricing(credits_required=9, credit_unit_usd=0.02)) == Decimal("0.18")
    assert P.debit_usd(pricing(credits_required=0, credit_unit_usd=0.02)) == Decimal(0)
    assert P.debit_usd(pricing(credits_required=-1)) is None
    for unit in (True, 0, -1, "0.5", None):  # not a usable unit: the contract's 0.01
        assert P.debit_usd(pricing(credits_required=3, credit_unit_usd=unit)) == Decimal("0.03")


def test_record_defaults_and_rounding() -> None:
    record = P.line_record(LINE, "failed", key=None, debited_usd=Decimal("0.1234567"))
    assert record["replayed"] is False and record["debited_usd"] == 0.123457
    assert P.line_record(LINE, "failed", key=None, debited_usd=Decimal(2))["debited_usd"] == 2
    text = P.results_text([{**record, "error": {"code": "X", "message": "café"}}])
    assert "café" in text  # written as UTF-8, not escaped


def test_results_problems_name_the_row() -> None:
    assert P.parse_results('{"line": 4, "sta\n{"line": 1}\n')[1] == "row 1 is not JSON"
    good = P.results_text([_record("failed")])
    assert P.parse_results(good + "[]\n")[1] == "row 2 is not a batch results record"


def test_only_a_failed_download_of_a_job_that_ran_is_a_download_failure() -> None:
    no_downloads = P.from_create(
        LINE, "k", _envelope(False, {"job_id": "job_1"}, "TIMEOUT"), known=False
    )
    assert no_downloads["status"] == "unknown" and no_downloads["reason"] is None
    no_job = P.from_create(LINE, "k", _envelope(False, {"downloads": []}, "X"), known=True)
    assert no_job["status"] == "failed" and no_job["reason"] is None


def test_an_empty_recorded_key_is_not_reused() -> None:
    batch = parse_batch(GOOD)
    line = batch.lines[0]
    prior = {"line_sha256": line.sha256, "idempotency_key": "", "status": "unknown"}
    assert P.decide(batch, line, prior).key == batch.key(line)


def test_an_empty_code_is_no_batch_code() -> None:
    odd = _record("failed", error={"code": "", "message": "m"})
    assert P.final_error([odd])[0] == "BATCH_INCOMPLETE"  # type: ignore[index]
    assert P.BUDGET_GUARD_EXCEEDED == "BUDGET_GUARD_EXCEEDED"  # the server's code


def test_settling_a_line_never_reserved_adds_only_its_debit() -> None:
    budget = P.Budget(Decimal(1))
    budget.settle(9, None)
    assert budget.spent == 0
    budget.settle(9, Decimal("0.25"))
    assert budget.spent == Decimal("0.25")


def test_the_command_help_names_every_accepted_key() -> None:
    from image_skill.cli.batch import batch_create

    text = " ".join((batch_create.help or "").split())
    assert all(key in text for key in ACCEPTED_KEYS)


def _texts(*prompts: str) -> bytes:
    return "".join(json.dumps({"prompt": p}) + "\n" for p in prompts).encode()


def _done(batch: Any, number: int, status: str = "succeeded") -> dict[str, Any]:
    line = next(item for item in batch.lines if item.number == number)
    return P.line_record(line, status, key=batch.key(line), job_id=f"job_{number}")


def test_a_finished_line_stays_finished_when_lines_are_inserted_or_moved() -> None:
    old = parse_batch(_texts("a", "b", "c"))
    records = [_done(old, 1), _done(old, 2, "unknown"), _done(old, 3)]
    new = parse_batch(_texts("new", "c", "a", "b"))
    matched = P.match_priors(new, records)
    assert sorted(matched) == [2, 3, 4]
    assert matched[3]["job_id"] == "job_1" and matched[2]["job_id"] == "job_3"
    assert P.decide(new, new.lines[2], matched[3]).action == "carry"
    in_doubt = P.decide(new, new.lines[3], matched[4])
    assert (in_doubt.action, in_doubt.key) == ("send", old.key(old.lines[1]))
    assert P.decide(new, new.lines[0], matched.get(1)).key == new.key(new.lines[0])


def test_equal_lines_keep_their_own_records_and_a_changed_line_matches_none() -> None:
    old = parse_batch(_texts("x", "y", "x"))
    records = [_done(old, 1), _done(old, 3, "failed")]
    new = parse_batch(_texts("y!", "x", "x"))  # line 1 edited away, the two x's moved up
    matched = P.match_priors(new, records)
    assert [matched[2]["job_id"], matched[3]["job_id"]] == ["job_1", "job_3"]
    assert 1 not in matched


def test_a_run_killed_before_compaction_loses_no_earlier_record() -> None:
    """Run 1 wrote a and b at lines 1-2; run 2 (a line inserted on top) appended line 1's
    new record and was killed: a's record under line 1 must still match a, now line 2."""
    old = parse_batch(_texts("a", "b"))
    new = parse_batch(_texts("new", "a", "b"))
    text = P.results_text([_done(old, 1), _done(old, 2)]) + P.results_text([_done(new, 1)])
    records, problem = P.parse_results(text)
    assert problem is None
    matched = P.match_priors(new, records)
    assert [matched[n]["job_id"] for n in (1, 2, 3)] == ["job_1", "job_1", "job_2"]
    assert matched[2]["line_sha256"] == new.lines[1].sha256
    assert matched[1]["idempotency_key"] == new.key(new.lines[0])


def test_the_latest_record_of_a_key_wins_and_keyless_records_match_nothing() -> None:
    batch = parse_batch(_texts("a"))
    first = _done(batch, 1, "unknown")
    last = _done(batch, 1, "succeeded")
    keyless = {**_done(batch, 1), "idempotency_key": None, "job_id": "job_x"}
    assert P.match_priors(batch, [first, last])[1]["status"] == "succeeded"
    assert P.match_priors(batch, [keyless]) == {}


def test_records_no_line_matches_any_more_are_kept_apart() -> None:
    old = parse_batch(_texts("a", "b", "c"))
    records = [_done(old, 1, "unknown"), _done(old, 2, "unknown"), _done(old, 3, "failed")]
    new = parse_batch(_texts("a!", "b"))  # a edited, c deleted, b kept
    left = P.unmatched(records, P.match_priors(new, records))
    assert [(r["line"], r["status"]) for r in left] == [(1, "unknown"), (3, "failed")]
    settled = [*records, _done(old, 1, "succeeded")]
    assert [r["status"] for r in P.unmatched(settled, P.match_priors(new, settled))] == [
        "succeeded",
        "failed",
    ]
    assert P.unmatched(records, P.match_priors(old, records)) == []


def test_the_records_of_unsent_lines() -> None:
    batch = parse_batch(_texts("a"))
    line = batch.lines[0]
    plan = P.plan_failed(line, "k", {"code": "MODEL_NOT_FOUND", "message": "m", "extra": 1})
    assert (plan["status"], plan["reason"], plan["idempotency_key"]) == ("failed", "plan", "k")
    assert plan["error"] == {"code": "MODEL_NOT_FOUND", "message": "m"}
    assert P.plan_failed(line, "k", None)["error"] == {"code": None, "message": None}
    budget = P.over_budget(line, "k", "it would debit $0.09")
    assert (budget["status"], budget["reason"]) == ("skipped", "budget")
    assert budget["error"]["code"] == "BUDGET_GUARD_EXCEEDED"
    assert budget["error"]["message"] == (
        "line 1 was not sent: it would debit $0.09, which does not fit in what is left of "
        "--max-total-usd"
    )
    before = P.interrupted_before(line, "k")
    assert (before["status"], before["reason"]) == ("skipped", "interrupted")
    assert before["error"] == {
        "code": "INTERRUPTED",
        "message": "line 1 was not sent (interrupted)",
    }
    doubt = P.in_doubt(line, "k")
    assert (doubt["status"], doubt["reason"], doubt["idempotency_key"]) == (
        "unknown",
        "interrupted",
        "k",
    )
    assert doubt["error"]["code"] == "INTERRUPTED" and "same key" in doubt["error"]["message"]
    assert P.decimal_usd(0.09) == Decimal("0.09") and P.decimal_usd(2) == Decimal(2)
    assert P.decimal_usd(True) is None and P.decimal_usd("0.1") is None


def test_the_progress_line() -> None:
    record = {"line": 7, "status": "succeeded", "job_id": "job_1", "error": None}
    assert P.progress(record, 3, 12) == "[3/12] line 7: succeeded job_1"
    failed = {"line": 2, "status": "failed", "job_id": None, "error": {"code": "X"}}
    assert P.progress(failed, 1, 2) == "[1/2] line 2: failed (X)"
    assert P.progress({**failed, "error": {"code": ""}}, 1, 2) == "[1/2] line 2: failed"
