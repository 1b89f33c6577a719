"""Run a validated create/edit: dry-run plans, live jobs, replays and failures.

Live flow (reserve → produce → capture, release on failure):

1. one transaction: re-check the idempotency key, check funds, insert the ``running`` job,
   debit the reservation, claim the key;
2. outside any transaction: the offline provider call (:func:`.produce.produce`);
3. one transaction: store the assets, complete the job, record the usage event and the
   ``asset.created`` / ``usage.credit_consumed`` / ``job.completed`` events, settle the key.

A provider or storage failure releases the reservation, marks the job ``failed`` with a
``job.completed`` event (``status: "failed"``) and settles the key as failed, so a retry
with the same key runs once more and is charged once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from image_skill.local.activity import record_activity
from image_skill.local.billing import spend
from image_skill.local.errors import ApiError
from image_skill.local.jobs import rows as jobs
from image_skill.local.jobs.plans import (
    PROMPT_PLACEHOLDER,
    Context,
    Outcome,
    dry_run,
    job_reply,
    replay,
    retry_command,
)
from image_skill.local.jobs.produce import Output, produce
from image_skill.local.jobs.validation import JobRequest, Plan, build_plan
from image_skill.local.store.assets import (
    AssetStorageError,
    artifact_storage_error,
    asset_file_path,
    store_asset,
)
from image_skill.local.store.db import new_id, now_iso, transaction


def _abandon(ctx: Context, job_id: str | None, code: str) -> None:
    """Fail a job whose claim went stale (inside a transaction)."""
    if job_id is not None:
        abandon_job(ctx.conn, job_id, code, trace_id=ctx.trace_id)


def abandon_job(conn: sqlite3.Connection, job_id: str, code: str, *, trace_id: str) -> None:
    """Fail and refund a running job that nobody will finish (inside a transaction)."""
    row = conn.execute(
        "SELECT status, organization_id, actor_id, operation FROM jobs WHERE job_id = ?",
        (job_id,),
    ).fetchone()
    if row is None or row["status"] in jobs.TERMINAL:
        return
    spend.release_job(conn, job_id, trace_id=trace_id)
    jobs.mark_failed(conn, job_id, code)
    _failed_event(
        conn, row["organization_id"], row["actor_id"], job_id, code, row["operation"], trace_id
    )


def settle_orphan(
    conn: sqlite3.Connection, organization_id: str, job_id: str, trace_id: str
) -> None:
    """Fail and refund ``job_id`` when the process running it is gone, and free its key so a
    same-key request runs again (``jobs show`` then tells the truth at once)."""
    if spend.orphaned_claim(conn, organization_id, job_id) is None:
        return
    with transaction(conn):
        record = spend.orphaned_claim(conn, organization_id, job_id)  # again, under the lock
        if record is None:
            return
        abandon_job(conn, job_id, "ABANDONED", trace_id=trace_id)
        operation = "edit" if record["endpoint"] == spend.ENDPOINTS["edit"] else "create"
        spend.settle_key(conn, organization_id, operation, record["idem_key"], ok=False, status=500)


def _failed_event(
    conn: sqlite3.Connection,
    organization_id: str,
    actor_id: str,
    job_id: str,
    code: str,
    operation: str,
    trace_id: str,
) -> None:
    record_activity(
        conn,
        "job.completed",
        organization_id=organization_id,
        actor_id=actor_id,
        subject_id=job_id,
        operation=operation,
        status="failed",
        summary="Job failed; no credits were charged.",
        trace_id=trace_id,
        links={"job_id": job_id},
        details={"error_code": code},
    )


class _Abandoned(Exception):
    """The job's claim was given up (and refunded) while it ran; its result is discarded."""


def _abandoned_error(key: str | None) -> ApiError:
    return ApiError(
        504,
        "TIMEOUT",
        "this request ran so long that its idempotency claim was given up and refunded; "
        "retry with the same idempotency key to get the outcome of the request that took over",
        retryable=True,
        recovery={"idempotency_key": key} if key is not None else None,
    )


@dataclass
class Reservation:
    job_id: str
    usage_event_id: str


def _reserve(ctx: Context, plan: Plan, req_hash: str) -> Reservation | Outcome | None:
    """Claim + fund + debit in one transaction; an ``Outcome`` means replay, ``None`` wait."""
    actor, key = ctx.actor, plan.request.idempotency_key
    assert actor is not None
    with transaction(ctx.conn):
        if key is not None:
            state = spend.key_state(ctx.conn, actor, plan.operation, key, req_hash)
            if state.action == "replay":
                return replay(ctx, state.job_id)
            if state.action == "wait":
                return None
            if state.action == "retry":
                _abandon(ctx, state.job_id, "ABANDONED")
        funding = spend.check_funds(
            ctx.conn, actor, ctx.settings, plan.credits_required, base=ctx.cli_base
        )
        job_id, usage_id = new_id("job_"), new_id("usage_")
        jobs.insert_job(
            ctx.conn,
            plan,
            organization_id=actor.organization_id,
            actor_id=actor.actor_id,
            status="running",
            trace_id=ctx.trace_id,
            job_id=job_id,
            credits_reserved=plan.credits_required,
            counts_daily_cap=funding.counts_daily_cap,
            usage_event_id=usage_id,
        )
        spend.reserve(
            ctx.conn,
            actor,
            plan.credits_required,
            funding,
            job_id=job_id,
            usage_event_id=usage_id,
            trace_id=ctx.trace_id,
        )
        if key is not None:
            spend.claim_key(ctx.conn, actor, plan.operation, key, req_hash, job_id)
    return Reservation(job_id, usage_id)


def _fail(ctx: Context, plan: Plan, job_id: str, err: ApiError) -> ApiError:
    assert ctx.actor is not None
    with transaction(ctx.conn):
        spend.release_job(ctx.conn, job_id, trace_id=ctx.trace_id)
        jobs.mark_failed(ctx.conn, job_id, err.code)
        _failed_event(
            ctx.conn,
            ctx.actor.organization_id,
            ctx.actor.actor_id,
            job_id,
            err.code,
            plan.operation,
            ctx.trace_id,
        )
        spend.settle_key(
            ctx.conn,
            ctx.actor.organization_id,
            plan.operation,
            plan.request.idempotency_key,
            ok=False,
            status=err.status,
            job_id=job_id,
        )
    err.recovery = {**(err.recovery or {}), "job_id": job_id}
    return err


def _store(ctx: Context, plan: Plan, res: Reservation, outputs: list[Output]) -> None:
    actor = ctx.actor
    assert actor is not None
    written: list[dict[str, Any]] = []
    try:
        with transaction(ctx.conn):
            if not jobs.is_running(ctx.conn, res.job_id):
                raise _Abandoned
            for out in outputs:
                written.append(
                    store_asset(
                        ctx.conn,
                        ctx.settings,
                        organization_id=actor.organization_id,
                        job_id=res.job_id,
                        kind="generated",
                        data=out.data,
                        mime_type=out.mime_type,
                        width=out.width,
                        height=out.height,
                        duration_seconds=out.duration_seconds,
                        trace_id=ctx.trace_id,
                    )
                )
            _complete(ctx, plan, res, [row["asset_id"] for row in written])
    except BaseException:
        for row in written:
            asset_file_path(ctx.settings, row).unlink(missing_ok=True)
        raise


def _complete(ctx: Context, plan: Plan, res: Reservation, asset_ids: list[str]) -> None:
    actor = ctx.actor
    assert actor is not None
    conn, credits, usd = ctx.conn, plan.credits_required, plan.quote["estimated_usd"]
    jobs.mark_completed(conn, res.job_id, credits)
    conn.execute(
        "INSERT INTO usage_events (usage_event_id, organization_id, actor_id, job_id, credits,"
        " estimated_usd, trace_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            res.usage_event_id,
            actor.organization_id,
            actor.actor_id,
            res.job_id,
            credits,
            usd,
            ctx.trace_id,
            now_iso(),
        ),
    )
    common: dict[str, Any] = {
        "organization_id": actor.organization_id,
        "actor_id": actor.actor_id,
        "trace_id": ctx.trace_id,
    }
    for asset_id in asset_ids:
        record_activity(
            conn,
            "asset.created",
            subject_id=asset_id,
            operation=plan.operation,
            status="completed",
            links={
                "job_id": res.job_id,
                "asset_ids": [asset_id],
                "usage_event_id": res.usage_event_id,
            },
            **common,
        )
    record_activity(
        conn,
        "usage.credit_consumed",
        subject_id=res.usage_event_id,
        status="completed",
        links={"job_id": res.job_id, "usage_event_id": res.usage_event_id},
        estimated_usd=plan.quote["credit_pricing"]["estimated_revenue_usd"],
        details={"credits": credits, "model_id": plan.row["id"]},
        **common,
    )
    record_activity(
        conn,
        "job.completed",
        subject_id=res.job_id,
        operation=plan.operation,
        status="completed",
        links={"job_id": res.job_id, "asset_ids": asset_ids, "usage_event_id": res.usage_event_id},
        estimated_usd=usd,
        **common,
    )
    spend.settle_key(
        conn,
        actor.organization_id,
        plan.operation,
        plan.request.idempotency_key,
        ok=True,
        status=200,
        job_id=res.job_id,
    )


def _provider_failure(plan: Plan, key: str, base: str) -> ApiError:
    return ApiError(
        502,
        "PROVIDER_FAILURE",
        "the media provider failed; nothing was charged; retry with the same idempotency key",
        retryable=True,
        recovery={
            "idempotency_key": key,
            "suggested_command": retry_command(plan, key, base),
            "retry_after_seconds": 1,
            "placeholders": (
                {PROMPT_PLACEHOLDER: "a file holding the original prompt (never echoed)"}
                if plan.prompt is not None
                else {}
            ),
        },
    )


def live(ctx: Context, plan: Plan, req_hash: str) -> Outcome:
    actor = ctx.actor
    assert actor is not None
    key = plan.request.idempotency_key
    while True:
        reserved = _reserve(ctx, plan, req_hash)
        if isinstance(reserved, Outcome):
            return reserved
        if reserved is not None:
            break
        assert key is not None
        state = spend.wait_for_key(ctx.conn, actor, plan.operation, key, req_hash)
        if state.action == "replay":
            return replay(ctx, state.job_id)
    retry_key = key or new_id("retry-")
    try:
        if ctx.settings.fault("provider_failure"):
            raise RuntimeError("injected provider_failure fault")
        outputs = produce(plan, ctx.settings)
    except Exception:
        raise _fail(
            ctx, plan, reserved.job_id, _provider_failure(plan, retry_key, ctx.cli_base)
        ) from None
    try:
        _store(ctx, plan, reserved, outputs)
    except _Abandoned:
        raise _abandoned_error(key) from None
    except AssetStorageError:
        err = artifact_storage_error()
        if key is not None:
            err.recovery = {"idempotency_key": key}
        raise _fail(ctx, plan, reserved.job_id, err) from None
    job = jobs.get_job(ctx.conn, actor.organization_id, reserved.job_id)
    assert job is not None
    return Outcome(job_reply(ctx, job, replayed=False), [])


def run(ctx: Context, req: JobRequest) -> Outcome:
    """Entry point of the create/edit routes."""
    if req.dry_run:  # no key, no replay, no spend: the request hash is not needed
        return dry_run(ctx, build_plan(ctx.conn, ctx.actor, req, base=ctx.cli_base))
    req_hash = spend.request_hash(req.operation, req.raw)
    key = req.idempotency_key
    if ctx.actor is not None and key is not None:
        state = spend.key_state(ctx.conn, ctx.actor, req.operation, key, req_hash)
        if state.action == "replay":
            return replay(ctx, state.job_id)
    plan = build_plan(ctx.conn, ctx.actor, req, base=ctx.cli_base)
    return live(ctx, plan, req_hash)
