"""The runner of `batch create`: worker threads (at most ``--concurrency``) share one API
client and send the lines in file order; the main thread collects their records, appends each
to the results file as it arrives and answers Ctrl-C.

Every live line goes through the same guarded spend as `create`
(:func:`image_skill.cli._spend.spend_and_download`): its breadcrumb is written before the
request, names the line's own key and a `create` replay that sends the very same body, and
goes away only once the outcome is known. With ``--max-total-usd`` a line is first planned
(a free dry run) for its debit, which is reserved in the budget before the live request.

Ctrl-C (or SIGTERM): no line is sent after it; lines in flight get :data:`GRACE_SECONDS` to
finish, and any still running is recorded as ``unknown`` (its breadcrumb stays, and a re-run
sends the same key). Lines never sent are ``skipped`` with reason ``interrupted``.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image_skill import envelope as E
from image_skill.cli import batch_plan as P
from image_skill.cli import interrupts
from image_skill.cli.batch_fetch import fetch_files, needs_files
from image_skill.cli.batch_lines import Batch, Line, create_words, line_body
from image_skill.cli.batch_turns import Turns

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.cli._app import AppState
    from image_skill.envelope import Result

CREATE_LABEL = "image-skill create"
#: How long in-flight lines may still finish after Ctrl-C before they count as unknown.
GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class Options:
    concurrency: int
    output_dir: str | None
    overwrite: bool
    accept_unknown_cost: bool
    dry_run: bool
    budget_limit: Decimal | None


@dataclass
class Outcome:
    """What a run ends with: one record per line, and how it ended."""

    records: dict[int, dict[str, Any]]
    interrupted: bool = False
    sent: int = 0
    #: Lines an earlier run finished: skipped without a request.
    carried: int = 0
    #: The exit code of each line's create (or plan) that was answered.
    exit_codes: dict[int, int] = field(default_factory=dict)
    debited_this_run: Decimal = Decimal(0)
    budget: P.Budget = field(default_factory=lambda: P.Budget(None))
    warnings: list[str] = field(default_factory=list)
    #: What the lines skipped for ``--max-total-usd`` would debit; None once one of them
    #: has no known cost (then no budget can be said to cover them).
    over_budget_usd: Decimal | None = Decimal(0)

    def skipped_for_budget(self, estimate: Decimal | None) -> None:
        """Count a line skipped for the budget (the caller holds the runner's lock)."""
        if estimate is None or self.over_budget_usd is None:
            self.over_budget_usd = None
        else:
            self.over_budget_usd += estimate


class Runner:
    def __init__(
        self,
        app: AppState,
        client: ImageSkillClient,
        batch: Batch,
        priors: dict[int, dict[str, Any]],
        options: Options,
        *,
        token: bool,
        results_path: Path | None,
    ) -> None:
        self.app = app
        # Worker threads print nothing but the in_flight notices: no spinner per thread.
        self.quiet = dataclasses.replace(app, fmt="json")
        self.client = client
        self.batch = batch
        self.priors = priors
        self.options = options
        self.token = token
        self.results_path = results_path
        self.lock = threading.Lock()
        self.stop = False
        self.in_flight: set[int] = set()
        self.todo: queue.Queue[tuple[Line, P.Decision]] = queue.Queue()
        self.done: queue.Queue[dict[str, Any]] = queue.Queue()
        self.outcome = Outcome({}, budget=P.Budget(options.budget_limit))
        self.turns = Turns(self.lock, ())
        #: Finished lines whose files this run's --output-dir lacks (batch_fetch).
        self.fetching: dict[int, dict[str, Any]] = {}

    # -- the main thread --------------------------------------------------------------

    def run(self) -> Outcome:
        sending: dict[int, tuple[Line, str]] = {}
        for line in self.batch.lines:
            prior = self.priors.get(line.number)
            if line.request is None:
                error = {
                    "code": E.INVALID_ARGUMENTS,
                    "message": f"line {line.number}: {line.error}",
                }
                self._record(P.line_record(line, P.FAILED, key=None, error=error))
                continue
            decision = P.decide(self.batch, line, prior)
            if decision.action == "carry" and decision.prior is not None:
                debited = P.decimal_usd(decision.prior.get("debited_usd"))
                self.outcome.budget.settle(line.number, debited)
                self.outcome.carried += 1
                # The record now names the line's current number (lines may have moved).
                record = {**decision.prior, "line": line.number}
                if not needs_files(record, self.options.output_dir):
                    self._record(record, append=False)
                    continue
                self.fetching[line.number] = record  # sent nothing; its files are fetched
            sending[line.number] = (line, decision.key)
            self.todo.put((line, decision))
        # The budget is shared out in file order.
        self.turns = Turns(self.lock, [n for n in sending if n not in self.fetching])
        workers = [
            threading.Thread(target=self._work, name=f"batch-{n}", daemon=True)
            for n in range(min(self.options.concurrency, len(sending)))
        ]
        for worker in workers:
            worker.start()
        waiting = len(sending)
        try:
            while waiting:
                waiting -= self._collect(0.2)
        except KeyboardInterrupt:
            self.outcome.interrupted = True
            self._wind_down(sending)
        return self.outcome

    def _collect(self, timeout: float) -> int:
        """Record the next finished line (waiting up to ``timeout``); 1 if there was one."""
        try:
            record = self.done.get(timeout=timeout)
        except queue.Empty:
            return 0
        with interrupts.deferred():
            self._record(record)
        return 1

    def _wind_down(self, sending: dict[int, tuple[Line, str]]) -> None:
        """After Ctrl-C: send nothing more; lines in flight get :data:`GRACE_SECONDS` to
        finish, then count as ``unknown`` (their breadcrumbs stay)."""
        with self.lock:
            self.stop = True

        def open_lines() -> list[int]:
            return [number for number in sending if number not in self.outcome.records]

        with interrupts.deferred():
            deadline = time.monotonic() + GRACE_SECONDS
            while open_lines() and time.monotonic() < deadline:
                self._collect(0.05)
            while not self.done.empty():
                self._collect(0)
            with self.lock:
                running = set(self.in_flight)
            for number in open_lines():
                line, key = sending[number]
                # A line not yet sent never will be: the workers check the stop flag
                # under the same lock before they send.
                if number in self.fetching:  # finished before; only its files are missing
                    self._record(self.fetching[number], append=False)
                    continue
                ended = P.in_doubt if number in running else P.interrupted_before
                self._record(ended(line, key))

    def _record(self, record: dict[str, Any], *, append: bool = True) -> None:
        number = int(record["line"])
        self.outcome.records[number] = record
        if self.app.fmt == "human":
            text = P.progress(record, len(self.outcome.records), len(self.batch.lines))
            self.app.out.notice(text if append else f"{text} (earlier run)")
        if append and self.results_path is not None and not self.options.dry_run:
            self._append(record)

    def _append(self, record: dict[str, Any]) -> None:
        assert self.results_path is not None
        try:
            with open(self.results_path, "a", encoding="utf-8") as stream:
                stream.write(P.results_text([record]))
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            warning = (
                f"could not append to the results file {self.results_path} "
                f"({exc.strerror or exc.__class__.__name__}); a re-run still charges nothing "
                "twice (the server replays each line's key), but it sends every line again"
            )
            if warning not in self.outcome.warnings:
                self.outcome.warnings.append(warning)

    # -- the worker threads -------------------------------------------------------------

    def _work(self) -> None:
        while True:
            try:
                line, decision = self.todo.get_nowait()
            except queue.Empty:
                return
            if line.number in self.fetching:
                self.done.put(self._fetch(self.fetching[line.number]))
                continue
            try:
                record = self._line(line, decision.key)
            except Exception as exc:  # a bug must not lose the line's outcome
                code = E.PUBLIC_CLI_FAILED
                error = {"code": code, "message": f"{exc.__class__.__name__}: {exc}"}
                with self.lock:
                    sent = line.number in self.in_flight
                status = P.UNKNOWN if sent else P.FAILED
                record = P.line_record(line, status, key=decision.key, error=error)
            self.done.put(record)

    def _fetch(self, record: dict[str, Any]) -> dict[str, Any]:
        assert self.options.output_dir is not None
        try:
            fetched, warning = fetch_files(
                self.quiet,
                self.client,
                record,
                self.options.output_dir,
                overwrite=self.options.overwrite,
            )
        except Exception as exc:  # a bug must not turn a finished line into a failed one
            fetched, warning = record, f"line {record['line']}: {exc.__class__.__name__}: {exc}"
        if warning is not None:
            with self.lock:
                self.outcome.warnings.append(warning)
        return fetched

    def _line(self, line: Line, key: str) -> dict[str, Any]:
        try:
            return self._run_line(line, key)
        finally:
            if self.options.budget_limit is not None:
                with self.lock:
                    self.turns.done(line.number, lambda: self.stop)

    def _run_line(self, line: Line, key: str) -> dict[str, Any]:
        assert line.request is not None
        options = self.options
        estimate: Decimal | None = None
        if options.dry_run or options.budget_limit is not None:
            with self.lock:
                if self.stop:
                    return P.interrupted_before(line, key)
            plan = self._plan(line)
            if not plan.ok:
                self.outcome.exit_codes[line.number] = plan.exit_code
                return P.plan_failed(line, key, plan.error)
            estimate = P.debit_usd(plan.data)
            if options.dry_run:
                return self._planned(line, key, plan, estimate)
        with self.lock:
            if options.budget_limit is not None:
                self.turns.wait(line.number, lambda: self.stop)
            if self.stop:
                return P.interrupted_before(line, key)
            if options.budget_limit is not None:
                self.turns.done(line.number, lambda: self.stop)
                if estimate is None:
                    self.outcome.skipped_for_budget(None)
                    return P.over_budget(line, key, "its cost is not known before it runs")
                if not self.outcome.budget.reserve(line.number, estimate):
                    self.outcome.skipped_for_budget(estimate)
                    return P.over_budget(line, key, f"it would debit ${estimate}")
            self.in_flight.add(line.number)
            self.outcome.sent += 1
        result = self._spend(line, key)
        self.outcome.exit_codes[line.number] = result.exit_code
        from image_skill.cli.inflight import outcome_known

        record = P.from_create(line, key, result.envelope, known=outcome_known(result))
        with self.lock:
            self._keep_warnings(line, record, result)
            self.in_flight.discard(line.number)
            debit = P.decimal_usd(record.get("debited_usd"))
            if record["job_id"] is not None and record["status"] != P.UNKNOWN:
                self.outcome.budget.settle(line.number, debit)
                if not record["replayed"] and debit is not None:
                    self.outcome.debited_this_run += debit
            elif record["status"] == P.FAILED:
                self.outcome.budget.release(line.number)
        return record

    def _keep_warnings(self, line: Line, record: dict[str, Any], result: Result) -> None:
        """A line's warnings (a breadcrumb that could not be written, say) go into the
        summary, named by line; a replay's own note is already counted in ``replayed``."""
        warnings = result.envelope.get("warnings")
        for warning in warnings if isinstance(warnings, list) else []:
            if not isinstance(warning, str) or (record["replayed"] and "replay" in warning):
                continue
            text = f"line {line.number}: {warning}"
            if text not in self.outcome.warnings:
                self.outcome.warnings.append(text)

    def _body(self, line: Line, key: str | None, dry_run: bool) -> dict[str, Any]:
        assert line.request is not None
        return line_body(
            line.request,
            key=key,
            dry_run=dry_run,
            accept_unknown_cost=self.options.accept_unknown_cost,
        )

    def _plan(self, line: Line) -> Result:
        body = self._body(line, None, True)
        return self.quiet.call(self.client.create(body, auth=self.token), label=CREATE_LABEL)

    def _planned(
        self, line: Line, key: str, plan: Result, estimate: Decimal | None
    ) -> dict[str, Any]:
        limit = self.options.budget_limit
        # Every planned debit counts towards the estimated total, with or without a limit.
        with self.lock:
            if limit is not None:
                self.turns.wait(line.number, lambda: self.stop)
                self.turns.done(line.number, lambda: self.stop)
            fits = estimate is not None and self.outcome.budget.reserve(line.number, estimate)
            if fits:
                self.outcome.budget.settle(line.number, estimate)
            elif limit is not None:
                self.outcome.skipped_for_budget(estimate)
        if limit is not None and not fits:
            why = "its cost is not known" if estimate is None else f"it would debit ${estimate}"
            return P.over_budget(line, key, why)
        record = P.line_record(line, P.PLANNED, key=key, debited_usd=estimate)
        data = plan.data if isinstance(plan.data, dict) else {}
        model = data.get("model")
        record["model"] = model.get("id") if isinstance(model, dict) else None
        record["estimated_debit_usd"] = record.pop("debited_usd")
        return record

    def _spend(self, line: Line, key: str) -> Result:
        from image_skill.cli import _spend as S
        from image_skill.cli._recovery import spend_command

        assert line.request is not None
        app, options = self.quiet, self.options
        words = ["create", *create_words(line.request)]
        words += S.recovery_tail(
            [],
            accept_unknown_cost=options.accept_unknown_cost or line.request.accept_unknown_cost,
            output=options.output_dir,
            overwrite=options.overwrite,
            key=key,
        )
        recovery_command = spend_command(app, words)
        body = self._body(line, key, False)
        send: Callable[[], Result] = lambda: app.call(  # noqa: E731
            self.client.create(body), recovery_command=recovery_command, label=CREATE_LABEL
        )
        return S.spend_and_download(
            app,
            self.client,
            label=CREATE_LABEL,
            key=key,
            words=words,
            recovery_command=recovery_command,
            send=send,
            warnings=[],
            output=options.output_dir,
            overwrite=options.overwrite,
            # A replayed line finds its files where the first run put them: no name-2 copy.
            keep_identical=True,
        )
