"""``GET /v1/jobs/{job_id}``: job recovery, scoped to the caller's organization."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.local.billing.self_fund import self_fund_actions
from image_skill.local.cli_commands import cli_command
from image_skill.local.deps import (
    Conn,
    CurrentActor,
    Settings,
    cli_base_of,
    command,
    media_base_url,
)
from image_skill.local.errors import ApiError, envelope_doc, envelope_response, trace_id_of
from image_skill.local.jobs.execute import settle_orphan
from image_skill.local.jobs.rows import get_job, job_show_data

router = APIRouter()


@router.get(
    "/v1/jobs/{job_id:path}",
    openapi_extra=command("image-skill jobs show"),
    responses=envelope_doc(
        "The job (status, assets, cost, plan receipt when planned)",
        auth=True,
        errors={404: "JOB_NOT_FOUND (unknown id or another organization's job)"},
    ),
)
def show_job(
    request: Request, job_id: str, conn: Conn, settings: Settings, actor: CurrentActor
) -> JSONResponse:
    # A job whose process is gone (an interrupted in-process CLI) is settled before it is shown.
    settle_orphan(conn, actor.organization_id, job_id, trace_id_of(request))
    job = get_job(conn, actor.organization_id, job_id)
    if job is None:
        raise ApiError(
            404,
            "JOB_NOT_FOUND",
            "no job with this id in your organization",
            recovery={
                "job_id": job_id,
                "suggested_command": cli_command(
                    cli_base_of(request), "image-skill activity list --json"
                ),
            },
        )
    data = job_show_data(conn, job, media_base_url(request))
    next_actions = self_fund_actions(conn, actor, settings, cli_base_of(request))
    if next_actions:  # 0.1.70 §8: the top-up path whenever quota has one
        data["next_actions"] = next_actions
    return envelope_response(request, data, actor=actor)
