"""Job rows of create/edit (and their wire form for ``GET /v1/jobs/{id}``).

A job stores what it needs to be replayed and shown, never the prompt: only its sha256 and
length. ``params_json`` keeps the request facts (output count, aspect ratio, intent,
selection receipt, accepted parameters, input/mask/reference ids), ``cost_json`` the cost
block and ``plan_receipt_json`` the dry-run receipt of planned jobs.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from image_skill.local.store.db import dumps, loads, new_id, now_iso

if TYPE_CHECKING:
    from image_skill.local.jobs.validation import Plan

TERMINAL = frozenset({"completed", "failed", "canceled"})
SAFETY_ALLOWED: dict[str, Any] = {"status": "allowed"}
_SAFETY_ALLOWED_JSON = dumps(SAFETY_ALLOWED)


def request_facts(plan: Plan) -> dict[str, Any]:
    """The stored ``request`` facts of a job (no prompt)."""
    req = plan.request
    return {
        "output_count": plan.output_count,
        "aspect_ratio": plan.aspect_ratio,
        "intent": req.intent,
        "provider": plan.row["provider_id"],
        "model_id": plan.row["id"],
        "modality": plan.row["modality"],
        "model_parameters": dict(plan.params.accepted),
        "selection": plan.selection_receipt(),
        "input_asset_id": req.input_asset_id,
        "mask_asset_id": req.mask_asset_id,
        "references": list(plan.references),
        "max_estimated_usd_per_image": req.max_estimated_usd_per_image,
        "max_usd": req.max_usd,
        "accept_unknown_cost": req.accept_unknown_cost,
        "prompt_supplied": plan.prompt is not None,
    }


def plan_receipt(plan: Plan, created_at: str) -> dict[str, Any]:
    """The dry-run receipt (server digest §3.6): no ids, URLs, debits or provider calls."""
    mime = plan.row["media"]["output"]["media_type"]
    planned = [
        {
            "index": i,
            "mime_type": mime,
            "expected_width": plan.output.get("expected_width"),
            "expected_height": plan.output.get("expected_height"),
        }
        for i in range(plan.output_count)
    ]
    return {
        "dry_run": True,
        "model_id": plan.row["id"],
        "capability_id": plan.row["capability"]["id"],
        "operation": plan.operation,
        "output_count": plan.output_count,
        "planned_outputs": planned,
        "credit_pricing": plan.cost()["credit_pricing"],
        "model_parameters": {
            "keys": list(plan.params_receipt["keys"]),
            "defaults_applied": list(plan.params_receipt["defaults_applied"]),
        },
        "provider_call": False,
        "credit_debit": False,
        "media_write": False,
        "created_at": created_at,
    }


def insert_job(
    conn: sqlite3.Connection,
    plan: Plan,
    *,
    organization_id: str,
    actor_id: str,
    status: str,
    trace_id: str,
    job_id: str | None = None,
    credits_reserved: int = 0,
    counts_daily_cap: bool = False,
    usage_event_id: str | None = None,
    receipt: dict[str, Any] | None = None,
) -> str:
    """Insert a job row (``planned`` or ``running``); returns its id."""
    job_id = job_id or new_id("job_")
    now = receipt["created_at"] if receipt else now_iso()
    prompt_sha, prompt_len = plan.prompt_fingerprint()
    conn.execute(
        "INSERT INTO jobs (job_id, organization_id, actor_id, operation, status, model_id,"
        " capability_id, trace_id, prompt_sha256, prompt_length, params_json, cost_json,"
        " plan_receipt_json, safety_json, idempotency_key, credits_reserved,"
        " counts_daily_cap, usage_event_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            job_id,
            organization_id,
            actor_id,
            plan.operation,
            status,
            plan.row["id"],
            plan.row["capability"]["id"],
            trace_id,
            prompt_sha,
            prompt_len,
            dumps(request_facts(plan)),
            dumps(plan.cost()),
            dumps(receipt) if receipt is not None else None,
            _SAFETY_ALLOWED_JSON,
            plan.request.idempotency_key if status != "planned" else None,
            credits_reserved,
            1 if counts_daily_cap else 0,
            usage_event_id,
            now,
            now,
        ),
    )
    return job_id


def mark_completed(conn: sqlite3.Connection, job_id: str, credits: int) -> None:
    now = now_iso()
    conn.execute(
        "UPDATE jobs SET status = 'completed', credits_reserved = 0, credits_debited = ?,"
        " updated_at = ?, completed_at = ? WHERE job_id = ?",
        (credits, now, now, job_id),
    )


def mark_failed(conn: sqlite3.Connection, job_id: str, error_code: str) -> None:
    """Terminal failure: nothing reserved or debited, and no daily-cap use."""
    now = now_iso()
    conn.execute(
        "UPDATE jobs SET status = 'failed', error_code = ?, credits_reserved = 0,"
        " credits_debited = 0, counts_daily_cap = 0, updated_at = ?, completed_at = ?"
        " WHERE job_id = ?",
        (error_code, now, now, job_id),
    )


def is_running(conn: sqlite3.Connection, job_id: str) -> bool:
    row = conn.execute("SELECT status FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    return row is not None and row["status"] == "running"


def get_job(conn: sqlite3.Connection, organization_id: str, job_id: str) -> dict[str, Any] | None:
    """The job when it belongs to ``organization_id`` (other orgs look like unknown ids)."""
    row = conn.execute(
        "SELECT * FROM jobs WHERE job_id = ? AND organization_id = ?", (job_id, organization_id)
    ).fetchone()
    return None if row is None else dict(row)


def job_assets(conn: sqlite3.Connection, job_id: str, media_base: str) -> list[dict[str, Any]]:
    """Public asset entries of a job, with the legacy ``path`` (= ``url``)."""
    from image_skill.local.store.assets import asset_public, assets_for_job

    out = []
    for row in assets_for_job(conn, job_id):
        item = asset_public(row, media_base)
        item["path"] = item["url"]
        out.append(item)
    return out


def job_cost(job: dict[str, Any]) -> dict[str, Any]:
    cost = loads(job.get("cost_json")) or {}
    return {
        "estimated_usd": cost.get("estimated_usd"),
        "provider_reported_usd_ticks": cost.get("provider_reported_usd_ticks"),
        "credit_pricing": cost.get("credit_pricing"),
    }


def job_public(conn: sqlite3.Connection, job: dict[str, Any], media_base: str) -> dict[str, Any]:
    """``data.job`` of ``GET /v1/jobs/{id}``."""
    facts = loads(job.get("params_json")) or {}
    out: dict[str, Any] = {
        "job_id": job["job_id"],
        "status": job["status"],
        "operation": job["operation"],
        "model": {"id": job["model_id"]} if job.get("model_id") else None,
        "capability": {"id": job["capability_id"]} if job.get("capability_id") else None,
        "assets": job_assets(conn, job["job_id"], media_base),
        "cost": job_cost(job),
        "quota": {"consumed_credits": int(job.get("credits_debited") or 0)},
        "safety": loads(job.get("safety_json")) or dict(SAFETY_ALLOWED),
        "trace_id": job.get("trace_id"),
        "created_at": job["created_at"],
        "updated_at": job["updated_at"],
        "completed_at": job.get("completed_at"),
        "request": {
            "output_count": facts.get("output_count"),
            "aspect_ratio": facts.get("aspect_ratio"),
            "intent": facts.get("intent"),
            "selection": facts.get("selection"),
            "idempotency_key": job.get("idempotency_key"),
            "input_asset_id": facts.get("input_asset_id"),
            "mask_asset_id": facts.get("mask_asset_id"),
        },
    }
    if job["status"] == "planned":
        out["plan_receipt"] = loads(job.get("plan_receipt_json"))
    if job["status"] == "failed":
        out["error"] = {"code": job.get("error_code")}
    return out


def job_show_data(conn: sqlite3.Connection, job: dict[str, Any], media_base: str) -> dict[str, Any]:
    """``GET /v1/jobs/{id}`` data: the job plus top-level mirrors of its status/assets/cost."""
    public = job_public(conn, job, media_base)
    return {
        "request": {"job_id": job["job_id"]},
        "status": public["status"],
        "state": public["status"],
        "assets": public["assets"],
        "cost": public["cost"],
        "job": public,
    }
