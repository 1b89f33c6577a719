"""The bookkeeping of `batch create`: results records, what a re-run does with them, the
batch budget and the summary. Pure: values in, values out, no I/O, no clock.

A results file holds one JSON object per input line (keys in :data:`RESULT_KEYS` order).
``status`` is one of:

* ``succeeded``: the job ran (``job_id``, ``asset_ids``, ``files``, ``debited_usd``);
* ``failed``: the request was refused or failed for certain, or the line is malformed;
  nothing was charged (or, for a failed download, the job was charged once and a re-run
  replays it for free under the same key);
* ``skipped``: never sent (``reason``: ``budget`` or ``interrupted``);
* ``unknown``: sent, outcome unknown (interrupted, no reply); a re-run sends the same key, so
  the server replays or finishes the original and never charges twice.

A line's earlier record is found by its text (:func:`match_priors`), not only by its number:
the record with the same number and text first, else the first unclaimed record of the same
text (so inserting, deleting or moving lines keeps every finished line finished). A re-run
(:func:`decide`) skips a line whose record says ``succeeded`` (no request at all), and sends
every other line with the key the record names (so a changed file never changes the key of a
line in doubt), else with the derived key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from image_skill.cli.batch_lines import Batch, Line

__all__ = [
    "RESULT_KEYS",
    "Budget",
    "Decision",
    "counts",
    "debit_usd",
    "decimal_usd",
    "decide",
    "final_error",
    "from_create",
    "in_doubt",
    "interrupted_before",
    "line_record",
    "match_priors",
    "over_budget",
    "parse_results",
    "plan_failed",
    "progress",
    "results_text",
    "unmatched",
    "usd_number",
]

SUCCEEDED, FAILED, SKIPPED, UNKNOWN = "succeeded", "failed", "skipped", "unknown"
#: A dry run's status for a line it planned (dry runs write no results file).
PLANNED = "planned"
STATUSES = (SUCCEEDED, FAILED, SKIPPED, UNKNOWN)
RESULT_KEYS = (
    "line",
    "status",
    "reason",
    "job_id",
    "asset_ids",
    "files",
    "idempotency_key",
    "line_sha256",
    "debited_usd",
    "replayed",
    "error",
)
#: The unit of a credit when a reply does not say (contract: credit_unit_usd 0.01).
CREDIT_UNIT_USD = Decimal("0.01")


def line_record(
    line: Line,
    status: str,
    *,
    key: str | None,
    reason: str | None = None,
    job_id: str | None = None,
    asset_ids: Iterable[str] = (),
    files: Iterable[str] = (),
    debited_usd: Decimal | None = None,
    replayed: bool = False,
    error: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A results record, keys in :data:`RESULT_KEYS` order."""
    return {
        "line": line.number,
        "status": status,
        "reason": reason,
        "job_id": job_id,
        "asset_ids": list(asset_ids),
        "files": list(files),
        "idempotency_key": key,
        "line_sha256": line.sha256,
        "debited_usd": usd_number(debited_usd),
        "replayed": replayed,
        "error": dict(error) if error is not None else None,
    }


def usd_number(value: Decimal | None) -> float | int | None:
    """A USD amount as JSON prints it: an int when whole, else rounded to 6 places."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else round(number, 6)


def parse_results(text: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every record of a results file in file order, and a problem when the file is not one
    (a line that is no record; only the very last line may be cut short, as a process
    killed while appending leaves it). A run killed before it compacts the file leaves the
    records of earlier runs under line numbers that may since name other lines: all are
    kept, and :func:`match_priors` sorts them out."""
    records: list[dict[str, Any]] = []
    rows = [row for row in text.split("\n") if row.strip()]
    for index, row in enumerate(rows):
        try:
            value = json.loads(row)
        except ValueError:
            if index == len(rows) - 1 and not text.endswith("\n"):
                break
            return [], f"row {index + 1} is not JSON"
        if not _is_record(value):
            return [], f"row {index + 1} is not a batch results record"
        records.append(value)
    return records, None


def match_priors(batch: Batch, records: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """Each line's earlier record, by the line's current number.

    Records are grouped by idempotency key (the last one of a key is its outcome; a record
    without a key, a malformed line's, is not matched). A line takes the record with its own
    number and text, else the first record (lowest earlier line number) of its text that no
    other line took. Each record goes to one line at most, so two equal lines keep their own
    keys. A line whose text changed matches nothing: it is a new request.
    """
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        key = record.get("idempotency_key")
        if isinstance(key, str) and key:
            latest.pop(key, None)
            latest[key] = dict(record)
    exact: dict[tuple[int, str], str] = {}
    by_text: dict[str, list[str]] = {}
    for key, record in sorted(latest.items(), key=lambda item: int(item[1]["line"])):
        exact.setdefault((int(record["line"]), str(record["line_sha256"])), key)
        by_text.setdefault(str(record["line_sha256"]), []).append(key)
    taken: set[str] = set()
    matched: dict[int, dict[str, Any]] = {}
    for line in batch.lines:
        key = exact.get((line.number, line.sha256))
        if key is not None:
            matched[line.number] = latest[key]
            taken.add(key)
    for line in batch.lines:
        if line.number in matched or line.request is None:
            continue
        for key in by_text.get(line.sha256, ()):
            if key not in taken:
                matched[line.number] = latest[key]
                taken.add(key)
                break
    return matched


def _is_record(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("line"), int)
        and value.get("status") in STATUSES
        and isinstance(value.get("line_sha256"), str)
        and "idempotency_key" in value
    )


@dataclass(frozen=True)
class Decision:
    """``carry``: keep the earlier success, send nothing; ``send``: send with ``key``."""

    action: str
    key: str
    prior: dict[str, Any] | None = None


def decide(batch: Batch, line: Line, prior: Mapping[str, Any] | None) -> Decision:
    """What a run does with ``line`` given its earlier record (see the module docstring)."""
    same = prior is not None and prior.get("line_sha256") == line.sha256
    if same and prior is not None:
        if prior.get("status") == SUCCEEDED:
            return Decision("carry", str(prior.get("idempotency_key")), dict(prior))
        key = prior.get("idempotency_key")
        if isinstance(key, str) and key:
            return Decision("send", key, dict(prior))
    return Decision("send", batch.key(line), None)


def debit_usd(data: object) -> Decimal | None:
    """What a create reply (or dry-run plan) debits: ``credits_required`` times the credit
    unit, from ``data.cost.credit_pricing``; None when the cost is not known."""
    if not isinstance(data, dict):
        return None
    cost = data.get("cost")
    pricing = cost.get("credit_pricing") if isinstance(cost, dict) else None
    if not isinstance(pricing, dict):
        return None
    credits = pricing.get("credits_required")
    if not isinstance(credits, int | float) or isinstance(credits, bool) or credits < 0:
        return None
    unit = pricing.get("credit_unit_usd")
    if isinstance(unit, int | float) and not isinstance(unit, bool) and unit > 0:
        return Decimal(str(credits)) * Decimal(str(unit))
    return Decimal(str(credits)) * CREDIT_UNIT_USD


def from_create(
    line: Line, key: str, envelope: Mapping[str, Any], *, known: bool
) -> dict[str, Any]:
    """The record of a line's live create, from the envelope it printed. ``known``: the
    spend's outcome is settled (:func:`image_skill.cli.inflight.outcome_known`)."""
    data = envelope.get("data")
    data = data if isinstance(data, dict) else {}
    assets = [a for a in data.get("assets") or [] if isinstance(a, dict)]
    asset_ids = [str(a["asset_id"]) for a in assets if isinstance(a.get("asset_id"), str)]
    downloads = [d for d in data.get("downloads") or [] if isinstance(d, dict)]
    files = [str(d["output_path"]) for d in downloads if isinstance(d.get("output_path"), str)]
    job_id = data.get("job_id") if isinstance(data.get("job_id"), str) else None
    request = data.get("request")
    replayed = isinstance(request, dict) and request.get("replayed") is True
    common: dict[str, Any] = {
        "key": key,
        "job_id": job_id,
        "asset_ids": asset_ids,
        "files": files,
        "replayed": replayed,
    }
    if envelope.get("ok") is True:
        return line_record(line, SUCCEEDED, debited_usd=debit_usd(data), **common)
    error = envelope.get("error")
    error = error if isinstance(error, dict) else {}
    brief = {"code": error.get("code"), "message": error.get("message")}
    if job_id is not None and "downloads" in data:
        # The job ran and was charged; only its download failed. A re-run sends the same
        # key, which replays the job for free and downloads again.
        return line_record(
            line, FAILED, reason="download", debited_usd=debit_usd(data), error=brief, **common
        )
    return line_record(line, FAILED if known else UNKNOWN, error=brief, **common)


@dataclass
class Budget:
    """``--max-total-usd``: the debit of lines spent or in flight never passes ``limit``.

    A line reserves its estimate before it is sent (:meth:`reserve`), which fails when the
    total would pass the limit; :meth:`settle` replaces the estimate with what it debited,
    :meth:`release` drops it when nothing was charged. A line in doubt keeps its reservation.
    Not thread-safe: the runner holds a lock around every call.
    """

    limit: Decimal | None
    spent: Decimal = Decimal(0)
    held: dict[int, Decimal] = field(default_factory=dict)

    @property
    def committed(self) -> Decimal:
        return self.spent + sum(self.held.values(), Decimal(0))

    def reserve(self, number: int, usd: Decimal) -> bool:
        if self.limit is not None and self.committed + usd > self.limit:
            return False
        self.held[number] = usd
        return True

    def settle(self, number: int, usd: Decimal | None) -> None:
        held = self.held.pop(number, Decimal(0))
        self.spent += usd if usd is not None else held

    def release(self, number: int) -> None:
        self.held.pop(number, None)

    def remaining(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.committed


def counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``{lines, succeeded, failed, skipped, unknown}`` over the records, plus any other
    status they hold (a dry run's ``planned``)."""
    tally = dict.fromkeys(("lines", *STATUSES), 0)
    for record in records:
        tally["lines"] += 1
        status = record.get("status")
        if isinstance(status, str):
            tally[status] = tally.get(status, 0) + 1
    return tally


def final_error(records: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    """``(code, message)`` for a batch that did not fully succeed, else None.

    When every line that did not succeed failed with one code (all malformed: the
    ``INVALID_ARGUMENTS`` of exit 2; all over budget: ``BUDGET_GUARD_EXCEEDED``), that code
    names the batch's failure; mixed codes are ``BATCH_INCOMPLETE``.
    """
    problems = [r for r in records if r.get("status") not in (SUCCEEDED, PLANNED)]
    if not problems:
        return None
    codes = {(r.get("error") or {}).get("code") for r in problems}
    tally = counts(problems)
    parts = [f"{tally[s]} {s}" for s in (FAILED, SKIPPED, UNKNOWN) if tally[s]]
    message = f"{len(problems)} of the batch's lines did not succeed ({', '.join(parts)})"
    if len(codes) == 1:
        (code,) = codes
        if isinstance(code, str) and code:
            return code, message
    return BATCH_INCOMPLETE, message


#: Ours: some lines of a batch did not succeed, for different reasons.
BATCH_INCOMPLETE = "BATCH_INCOMPLETE"
#: The server's code for a budget guard; a line over ``--max-total-usd`` is skipped with it.
BUDGET_GUARD_EXCEEDED = "BUDGET_GUARD_EXCEEDED"


def results_text(records: Iterable[Mapping[str, Any]]) -> str:
    """The results file: one compact JSON line per record, in line order."""
    ordered = sorted(records, key=lambda r: int(r["line"]))
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ordered)


def progress(record: Mapping[str, Any], done: int, total: int) -> str:
    """The ``--human`` progress line of a finished line: ``[3/12] line 7: succeeded job_...``."""
    what = str(record["status"])
    if record.get("job_id"):
        what += f" {record['job_id']}"
    error = record.get("error")
    if isinstance(error, dict) and error.get("code"):
        what += f" ({error['code']})"
    return f"[{done}/{total}] line {record['line']}: {what}"


def unmatched(
    records: Iterable[Mapping[str, Any]], matched: Mapping[int, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The earlier records (the latest of each key) that no line of the file matches any
    more: their line was edited or deleted. They stay in the results file, so a line put
    back later is still known; one in doubt (``unknown``) is not resent by a re-run."""
    kept = {r.get("idempotency_key") for r in matched.values()}
    latest = {r.get("idempotency_key"): dict(r) for r in records if r.get("idempotency_key")}
    return [r for k, r in latest.items() if k not in kept]


# -- the records of lines that were not sent, or whose outcome is open -------------------

INTERRUPTED = "INTERRUPTED"  # the CLI's code, image_skill.envelope.INTERRUPTED


def decimal_usd(value: object) -> Decimal | None:
    """A record's USD number as a Decimal (None for anything else)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return None


def plan_failed(line: Line, key: str, error: Mapping[str, Any] | None) -> dict[str, Any]:
    """A line whose free plan (the dry run before a budgeted spend) was refused."""
    error = error or {}
    brief = {"code": error.get("code"), "message": error.get("message")}
    return line_record(line, FAILED, key=key, reason="plan", error=brief)


def over_budget(line: Line, key: str, why: str) -> dict[str, Any]:
    error = {
        "code": BUDGET_GUARD_EXCEEDED,
        "message": f"line {line.number} was not sent: {why}, which does not fit in what is "
        "left of --max-total-usd",
    }
    return line_record(line, SKIPPED, key=key, reason="budget", error=error)


def interrupted_before(line: Line, key: str) -> dict[str, Any]:
    error = {"code": INTERRUPTED, "message": f"line {line.number} was not sent (interrupted)"}
    return line_record(line, SKIPPED, key=key, reason="interrupted", error=error)


def in_doubt(line: Line, key: str | None) -> dict[str, Any]:
    error = {
        "code": INTERRUPTED,
        "message": f"line {line.number} was in flight when the batch was interrupted; its "
        "outcome is unknown and a re-run sends the same key (never a second charge)",
    }
    return line_record(line, UNKNOWN, key=key, reason="interrupted", error=error)
