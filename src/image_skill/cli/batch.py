"""`image-skill batch create FILE.jsonl`: one create per line, with a shared budget, bounded
concurrency and a resume that never charges twice.

The lines (:mod:`image_skill.cli.batch_lines`) are checked first; a malformed one is
reported with its line number and the others still run. Each line has a deterministic
idempotency key, every live line goes through create's guarded spend, and each outcome is
appended to a results file (``FILE.results.jsonl`` next to the input unless ``--results``
says otherwise) as soon as it is known (:mod:`image_skill.cli.batch_run`). Running the same
command again skips the lines that succeeded without a request and resends the others under
their keys, so the server replays what did go through instead of charging again
(:mod:`image_skill.cli.batch_plan`). One summary envelope goes to stdout; ``--human`` adds a
progress line per finished line on stderr.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from image_skill import envelope as E
from image_skill.cli import _outputs as O
from image_skill.cli import _spend as S
from image_skill.cli import batch_plan as P
from image_skill.cli import interrupts
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.cli.batch_lines import Batch, parse_batch
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.cli._app import AppState
    from image_skill.cli.batch_run import Options, Outcome

LABEL = "image-skill batch create"
DEFAULT_CONCURRENCY = 2
MAX_CONCURRENCY = 8
#: A batch file larger than this is refused (it is read whole).
MAX_BATCH_BYTES = 16 * 1024 * 1024


@click.group("batch")
@common_options
def batch() -> None:
    """Run many creates from one JSON Lines file, with one budget and a safe resume."""


#: The help of `batch create`, unindented so that docs/cli.md shows it as text.
HELP = """Create one job per line of a JSON Lines file (keys as in the create body).

Each line is a JSON object with "prompt" and any of provider, model, intent, aspect_ratio,
output_count, max_estimated_usd_per_image, max_usd, model_parameters and accept_unknown_cost.
Each line gets its own idempotency key, derived from the file and the line; run the same
command again after a failure or an interrupt: finished lines are skipped and the rest are
sent with the same keys, so nothing is charged twice."""


@batch.command("create", help=HELP)
@click.argument("file", metavar="FILE")
@click.option(
    "--concurrency",
    type=click.IntRange(1, MAX_CONCURRENCY),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    metavar="N",
    help=f"Lines in flight at once (1-{MAX_CONCURRENCY}).",
)
@click.option("--output-dir", metavar="DIR", help="Download each line's assets into DIR.")
@click.option("--overwrite", is_flag=True, help="Let --output-dir replace existing files.")
@click.option(
    "--max-total-usd",
    metavar="USD",
    help="Budget for the whole batch; a line that would pass it is not sent.",
)
@click.option(
    "--results", metavar="PATH", help="Results file (default: FILE.results.jsonl next to FILE)."
)
@click.option("--dry-run", is_flag=True, help="Plan every line at no cost.")
@click.option(
    "--accept-unknown-cost",
    is_flag=True,
    help="Allow models whose cost is not known before running (every line).",
)
@common_options
def batch_create(
    file: str,
    concurrency: int,
    output_dir: str | None,
    overwrite: bool,
    max_total_usd: str | None,
    results: str | None,
    dry_run: bool,
    accept_unknown_cost: bool,
) -> Result:
    """See :data:`HELP`."""
    from image_skill.cli.batch_run import Options, Runner

    app = state()
    source = Path(os.path.abspath(os.path.expanduser(file)))
    parsed = parse_batch(_read_batch(source))
    if not parsed.lines:
        return E.invalid(
            LABEL,
            f"{source} holds no lines; write one JSON object per line, such as "
            '{"prompt": "a lighthouse at dusk", "model": "local.image"}',
        )
    limit = S.number(LABEL, "max-total-usd", max_total_usd)
    if limit is not None and limit < 0:
        return E.invalid(LABEL, "--max-total-usd must not be negative")
    if output_dir is not None and dry_run:
        return E.invalid(LABEL, "--output-dir downloads created assets; a dry run creates none")
    folder = None
    if output_dir is not None:
        folder = os.path.join(os.path.abspath(os.path.expanduser(output_dir)), "")
        O.precheck_output(LABEL, folder, overwrite, None)
    results_path = _results_path(source, results)
    earlier = _read_results(results_path)
    priors = P.match_priors(parsed, earlier)
    if not dry_run:
        _check_writable(results_path)
    token = app.resolve_token(app.argv_label(LABEL), allow_missing=dry_run).token
    client = app.client(token)
    options = Options(
        concurrency=concurrency,
        output_dir=folder,
        overwrite=overwrite,
        accept_unknown_cost=accept_unknown_cost,
        dry_run=dry_run,
        budget_limit=Decimal(str(limit)) if limit is not None else None,
    )
    runner = Runner(
        app,
        client,
        parsed,
        priors,
        options,
        token=token is not None,
        results_path=None if dry_run else results_path,
    )
    outcome = runner.run()
    orphans = P.unmatched(earlier, priors)
    for record in (r for r in orphans if r.get("status") == P.UNKNOWN):
        outcome.warnings.append(
            f"the results file records a line in doubt (key {record['idempotency_key']}, "
            f"then line {record['line']}) that no line of {source.name} matches any more "
            "(edited or deleted), so this run did not resend it; its outcome is unknown and "
            "it may have been charged: `doctor` lists its breadcrumb and the command that "
            "settles it"
        )
    # Every line has its outcome: a signal from here on must not cut the summary.
    interrupts.outcome_known()
    if not dry_run:
        _compact(results_path, outcome, orphans)
    words = _command_words(source, results, concurrency, folder, overwrite, max_total_usd)
    if accept_unknown_cost:
        words.insert(-1, "--accept-unknown-cost")
    return _summary(app, parsed, outcome, options, results_path, words)


def _read_batch(source: Path) -> bytes:
    try:
        if source.is_dir():
            raise IsADirectoryError(21, "is a directory")
        with open(source, "rb") as stream:
            content = stream.read(MAX_BATCH_BYTES + 1)
    except OSError as exc:
        raise CommandFailed(
            E.error_result(
                LABEL,
                E.INPUT_FILE_UNREADABLE,
                f"cannot read the batch file {source} ({exc.strerror or exc})",
                recovery={"path": str(source), "hint": "give the path of a JSON Lines file"},
            )
        ) from None
    if len(content) > MAX_BATCH_BYTES:
        raise CommandFailed(
            E.invalid(LABEL, f"the batch file {source} is over {MAX_BATCH_BYTES} bytes")
        )
    return content


def _results_path(source: Path, given: str | None) -> Path:
    if given is not None:
        path = Path(os.path.abspath(os.path.expanduser(given)))
    else:
        stem = source.name[: -len(".jsonl")] if source.name.endswith(".jsonl") else source.name
        path = source.with_name(f"{stem}.results.jsonl")
    if path == source:
        raise CommandFailed(E.invalid(LABEL, "--results must not be the batch file itself"))
    return path


def _read_results(path: Path) -> list[dict[str, Any]]:
    """The earlier records of this results file (none when it does not exist yet)."""
    if not os.path.lexists(path):
        return []
    try:
        if not path.is_file():
            raise IsADirectoryError(21, "not a regular file")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandFailed(
            E.error_result(
                LABEL,
                E.INPUT_FILE_UNREADABLE,
                f"cannot read the results file {path} ({reason})",
                recovery={"path": str(path), "hint": "choose another --results"},
            )
        ) from None
    records, problem = P.parse_results(text)
    if problem is not None:
        raise CommandFailed(
            E.error_result(
                LABEL,
                E.OUTPUT_EXISTS,
                f"{path} exists and is not a batch results file ({problem}); it was left untouched",
                recovery={"path": str(path), "hint": "choose another --results or move it"},
            )
        )
    return records


def _check_writable(path: Path) -> None:
    folder = path.parent
    if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
        return
    raise CommandFailed(
        E.error_result(
            LABEL,
            E.OUTPUT_NOT_WRITABLE,
            f"the results file {path} cannot be written: {folder} is not a writable directory",
            recovery={"output_path": str(path), "hint": "choose another --results"},
        )
    )


def _compact(path: Path, outcome: Outcome, orphans: list[dict[str, Any]]) -> None:
    """Rewrite the results file: one record per line of the batch, then the records of
    lines no longer in it (:func:`image_skill.cli.batch_plan.unmatched`)."""
    from image_skill._atomic import write_atomic

    text = P.results_text([*outcome.records.values(), *orphans])
    try:
        with interrupts.deferred():
            write_atomic(path, text.encode("utf-8"), mode=0o644)
    except OSError as exc:
        outcome.warnings.append(
            f"could not rewrite the results file {path} ({exc.strerror or exc}); the records "
            "appended while the batch ran are still there"
        )


def _command_words(
    source: Path,
    results: str | None,
    concurrency: int,
    folder: str | None,
    overwrite: bool,
    max_total_usd: str | None,
) -> list[str]:
    """The live batch command again: the resume (or, after a dry run, the real run)."""
    words = ["batch", "create", str(source)]
    if concurrency != DEFAULT_CONCURRENCY:
        words += ["--concurrency", str(concurrency)]
    if folder is not None:
        words += ["--output-dir", folder]
        if overwrite:
            words.append("--overwrite")
    if max_total_usd is not None:
        words += ["--max-total-usd", max_total_usd]
    if results is not None:
        words += ["--results", os.path.abspath(os.path.expanduser(results))]
    return [*words, "--json"]


def _summary(
    app: AppState,
    parsed: Batch,
    outcome: Outcome,
    options: Options,
    results_path: Path,
    words: list[str],
) -> Result:
    from image_skill.cli._recovery import spend_command

    records = [outcome.records[n] for n in sorted(outcome.records)]
    tally = P.counts(records)
    debited = sum(
        (Decimal(str(r["debited_usd"])) for r in records if r.get("debited_usd") is not None),
        Decimal(0),
    )
    problem = P.final_error(records)
    remaining = outcome.budget.remaining()
    data: dict[str, Any] = {
        "batch_file": words[2],
        "batch_sha256": parsed.sha256,
        "dry_run": options.dry_run,
        "results_path": None if options.dry_run else str(results_path),
        "concurrency": options.concurrency,
        "counts": tally,
        "already_succeeded": outcome.carried,
        "sent": outcome.sent,
        "replayed": sum(1 for r in records if r.get("replayed") is True),
        "max_total_usd": P.usd_number(options.budget_limit),
        "budget_remaining_usd": P.usd_number(remaining),
        "lines": records,
    }
    if options.dry_run:
        data["estimated_total_usd"] = P.usd_number(outcome.budget.committed)
    else:
        data["debited_usd"] = P.usd_number(debited)
        data["debited_this_run_usd"] = P.usd_number(outcome.debited_this_run)
    needed = options.dry_run or problem is not None
    enough = _enough_budget(records, outcome, options)
    if enough is not None:
        # The budget ran out: the same budget would send nothing more (it counts what
        # earlier runs debited), so the command offered is the one with enough.
        words = _with_budget(words, enough)
    data["next_command"] = spend_command(app, words) if needed else None
    warnings = list(outcome.warnings)
    if problem is None and not outcome.interrupted:
        return E.ok_result(LABEL, data, warnings=warnings)
    code, message = problem if problem is not None else (E.INTERRUPTED, "interrupted")
    if outcome.interrupted:
        code, message = E.INTERRUPTED, f"interrupted: {message}"
    recovery: dict[str, Any] = {
        "suggested_command": data["next_command"],
        "results_path": data["results_path"],
        "note": "run the same command again: lines that succeeded are skipped without a "
        "request, and the others are sent with the same idempotency keys, so nothing is "
        "charged twice",
    }
    # A malformed line needs an edit first; anything else may go through on a re-run.
    retryable = any(
        (r.get("error") or {}).get("code") != E.INVALID_ARGUMENTS
        for r in records
        if r.get("status") != P.SUCCEEDED
    )
    if enough is not None:
        recovery["max_total_usd_needed"] = P.usd_number(enough)
        recovery["note"] = (
            "--max-total-usd ran out before every line was sent; it counts what earlier runs "
            "of this file debited, so the same command would send nothing more. The "
            "suggested command raises it to what the unsent lines need; lines that succeeded "
            "are skipped without a request"
        )
    if not retryable:
        recovery["note"] = (
            "fix the lines named in data.lines, then run the same command: the lines that "
            "succeeded are skipped without a request (the results file records them)"
        )
    exit_code = _exit_code(code, records, outcome.exit_codes)
    result = E.error_result(
        LABEL, code, message, retryable=retryable, recovery=recovery, exit_code=exit_code
    )
    result.envelope["data"] = data
    result.envelope["warnings"] = warnings
    return result


def _enough_budget(
    records: list[dict[str, Any]], outcome: Outcome, options: Options
) -> Decimal | None:
    """The ``--max-total-usd`` that also covers the lines skipped for the budget (None when
    none was skipped for it, or one of those has no known cost)."""
    skipped = [r for r in records if r.get("status") == P.SKIPPED and r.get("reason") == "budget"]
    if options.budget_limit is None or not skipped or not outcome.over_budget_usd:
        return None
    return outcome.budget.committed + outcome.over_budget_usd


def _with_budget(words: list[str], usd: Decimal) -> list[str]:
    index = words.index("--max-total-usd")
    return [*words[: index + 1], format(usd.normalize(), "f"), *words[index + 2 :]]


def _exit_code(code: str, records: list[dict[str, Any]], answered: dict[int, int]) -> int:
    """The exit code of the batch's failure ``code``: the one its lines' creates exited
    with (a quota refusal is 5, as for create), else the code's own."""
    if code == E.INTERRUPTED:
        return int(E.ExitCode.INTERRUPTED)
    for record in records:
        if (record.get("error") or {}).get("code") == code and record["line"] in answered:
            return answered[record["line"]]
    if code == P.BUDGET_GUARD_EXCEEDED:
        return int(E.ExitCode.INVALID_ARGUMENTS)  # as the server exits for it
    return E.CLIENT_EXIT_CODES.get(code, int(E.ExitCode.GENERIC))


COMMANDS = [batch]
