"""Create/edit replies: the request context, dry-run plans and replies rebuilt from jobs.

A live reply and its replays are both built from the stored job (:func:`job_reply`), so a
replay returns the same job, assets and cost as the original call.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from image_skill.local.activity import record_activity
from image_skill.local.billing import spend
from image_skill.local.billing.top_up import top_up_for_quota
from image_skill.local.errors import ApiError
from image_skill.local.jobs import rows as jobs
from image_skill.local.jobs.actions import reply_actions
from image_skill.local.jobs.validation import Plan
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor, loads, now_iso, transaction


@dataclass
class Context:
    conn: sqlite3.Connection
    settings: LocalSettings
    actor: Actor | None
    trace_id: str
    media_base: str
    #: ``--api-base-url`` value of the commands in replies (see :mod:`.cli_commands`).
    cli_base: str


@dataclass
class Outcome:
    data: dict[str, Any]
    warnings: list[str]


REPLAY_WARNING = (
    "replayed the original result of this idempotency key; nothing new was run or charged"
)


def _model_block(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "provider_id": row["provider_id"], "modality": row["modality"]}


def _input_block(plan: Plan) -> dict[str, Any] | None:
    asset = plan.input_asset
    if asset is None:
        return None
    return {
        "asset_id": asset["asset_id"],
        "mime_type": asset["mime_type"],
        "width": asset["width"],
        "height": asset["height"],
        "mask_asset_id": plan.request.mask_asset_id,
    }


# ------------------------------------------------------------------------ dry run


def dry_run(ctx: Context, plan: Plan) -> Outcome:
    created = now_iso()
    receipt = jobs.plan_receipt(plan, created)
    job_id: str | None = None
    warnings: list[str] = []
    if ctx.actor is not None:
        # No money moves in a dry run: its rows may skip the disk sync (see transaction()).
        with transaction(ctx.conn, durable=False):
            job_id = jobs.insert_job(
                ctx.conn,
                plan,
                organization_id=ctx.actor.organization_id,
                actor_id=ctx.actor.actor_id,
                status="planned",
                trace_id=ctx.trace_id,
                receipt=receipt,
            )
            record_activity(
                ctx.conn,
                "job.planned",
                organization_id=ctx.actor.organization_id,
                actor_id=ctx.actor.actor_id,
                subject_id=job_id,
                operation=plan.operation,
                status="planned",
                trace_id=ctx.trace_id,
                links={"job_id": job_id},
                estimated_usd=plan.quote["estimated_usd"],
                details={"plan_receipt": receipt},
            )
        quota = spend.quota_block(ctx.conn, ctx.actor, ctx.settings, 0, plan.credits_required)
        quota["top_up"] = top_up_for_quota(quota, ctx.cli_base)
        if not quota["sufficient_for_live_run"]:
            warnings.append("a live run of this plan would fail with QUOTA_EXCEEDED")
    else:
        quota = {"consumed_credits": 0, "credits_required": plan.credits_required}
        warnings.append("anonymous dry run: nothing was stored; sign up to run it live")
    data = _common(plan, job_id=job_id, status="planned", trace_id=ctx.trace_id)
    data.update(
        assets=[],
        planned_assets=receipt["planned_outputs"],
        quota=quota,
        plan_receipt=receipt,
    )
    return Outcome(data, warnings)


def _common(plan: Plan, *, job_id: str | None, status: str, trace_id: str) -> dict[str, Any]:
    req = plan.request
    data: dict[str, Any] = {
        "job_id": job_id,
        "status": status,
        "operation": plan.operation,
        "dry_run": req.dry_run,
        "trace_id": trace_id,
        "capability": {"id": plan.row["capability"]["id"]},
        "model": _model_block(plan.row),
        "cost": plan.cost(),
        "request": {
            "output_count": plan.output_count,
            "aspect_ratio": plan.aspect_ratio,
            "intent": req.intent,
            "dry_run": req.dry_run,
            "idempotency_key": req.idempotency_key,
            "replayed": False,
            "model_parameters": dict(plan.params_receipt),
            "selection": plan.selection_receipt(),
        },
        "safety": dict(jobs.SAFETY_ALLOWED),
    }
    if plan.operation == "edit":
        data["input"] = _input_block(plan)
        data["request"]["references"] = list(plan.references)
    return data


def job_reply(ctx: Context, job: dict[str, Any], *, replayed: bool) -> dict[str, Any]:
    """The create/edit reply rebuilt from a stored job (used for results and replays)."""
    assert ctx.actor is not None
    public = jobs.job_public(ctx.conn, job, ctx.media_base)
    facts = loads(job["params_json"]) or {}
    consumed = int(job["credits_debited"] or 0)
    required = int((public["cost"]["credit_pricing"] or {}).get("credits_required") or 0)
    data: dict[str, Any] = {
        "job_id": job["job_id"],
        "status": job["status"],
        "operation": job["operation"],
        "dry_run": False,
        "trace_id": job["trace_id"],
        "capability": public["capability"],
        "model": {
            "id": job["model_id"],
            "provider_id": facts.get("provider"),
            "modality": facts.get("modality"),
        },
        "assets": public["assets"],
        "cost": public["cost"],
        "quota": spend.quota_block(ctx.conn, ctx.actor, ctx.settings, consumed, required),
        "request": {
            "output_count": facts.get("output_count"),
            "aspect_ratio": facts.get("aspect_ratio"),
            "intent": facts.get("intent"),
            "dry_run": False,
            "idempotency_key": job.get("idempotency_key"),
            "replayed": replayed,
            "model_parameters": (facts.get("selection") or {}).get("model_parameters"),
            "selection": facts.get("selection"),
        },
        "safety": public["safety"],
    }
    if job["operation"] == "edit":
        data["input"] = {
            "asset_id": facts.get("input_asset_id"),
            "mask_asset_id": facts.get("mask_asset_id"),
        }
        data["request"]["references"] = facts.get("references") or []
    # 0.1.70 §7.9: the self-fund path in the quota block, and what to do next
    top_up = top_up_for_quota(data["quota"], ctx.cli_base)
    data["quota"]["top_up"] = top_up
    if job["status"] == "completed":
        data.update(reply_actions(job["job_id"], data["assets"], top_up, ctx.cli_base))
    return data


def replay(ctx: Context, job_id: str | None) -> Outcome:
    assert ctx.actor is not None
    job = jobs.get_job(ctx.conn, ctx.actor.organization_id, job_id or "")
    if job is None:  # pragma: no cover - records always point at a job of the org
        raise ApiError(404, "JOB_NOT_FOUND", "the job of this idempotency key is gone")
    return Outcome(job_reply(ctx, job, replayed=True), [REPLAY_WARNING])


_FLAGS = (
    ("provider", "--provider"),
    ("model", "--model"),
    ("intent", "--intent"),
    ("aspect_ratio", "--aspect-ratio"),
    ("output_count", "--output-count"),
    ("max_estimated_usd_per_image", "--max-estimated-usd-per-image"),
    ("max_usd", "--max-usd"),
)
_REFERENCE_FLAGS = {
    "element_frontal": "--element-frontal",
    "element_reference": "--element-reference",
    "reference_image": "--reference-image",
}
PROMPT_PLACEHOLDER = "PROMPT_FILE"


def _reference_arg(ref: dict[str, Any]) -> str:
    value = f"{ref['asset_id']}@{ref['index']}"
    if "reference_index" in ref:
        value += f":{ref['reference_index']}"
    if "reference_task" in ref:
        value += f":{ref['reference_task']}"
    return value


def retry_command(plan: Plan, key: str, base: str) -> str:
    """The same request again with the same key, flag for flag, against ``base``.

    The prompt is never echoed: it is passed as ``--prompt-file PROMPT_FILE`` (a file
    holding the original prompt), named in ``recovery.placeholders``.
    """
    import json

    from image_skill.local.cli_commands import cli_command

    req, raw = plan.request, plan.request.raw
    parts = ["image-skill", plan.operation]
    if plan.operation == "edit":
        parts += ["--input", str(req.input_asset_id)]
        if req.mask_asset_id:
            parts += ["--mask", req.mask_asset_id]
    if plan.prompt is not None:
        parts += ["--prompt-file", PROMPT_PLACEHOLDER]
    for name, flag in _FLAGS:
        if raw.get(name) is not None:
            parts += [flag, str(raw[name])]
    if raw.get("model_parameters") is not None:
        parts += ["--model-parameters-json", json.dumps(raw["model_parameters"])]
    for ref in plan.references:
        parts += [_REFERENCE_FLAGS[ref["role"]], _reference_arg(ref)]
    parts += ["--idempotency-key", key]
    if req.accept_unknown_cost:
        parts.append("--accept-unknown-cost")
    parts.append("--json")
    return cli_command(base, parts)
