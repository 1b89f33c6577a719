"""``POST /v1/upload`` (the checks and the storing are :mod:`image_skill.local.upload_data`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.api.requests import UploadRequest
from image_skill.local.deps import Conn, CurrentActor, Settings, command, media_base_url
from image_skill.local.errors import envelope_doc, envelope_response, trace_id_of
from image_skill.local.routes.bodies import body_doc, json_body
from image_skill.local.upload_data import UPLOAD_COMMAND, upload_reply

router = APIRouter()
_UPLOAD_BODY = json_body(UploadRequest)


@router.post(
    "/v1/upload",
    openapi_extra=body_doc(UploadRequest, command(UPLOAD_COMMAND)),
    responses=envelope_doc(
        "Owned uploaded asset",
        auth=True,
        errors={
            422: "INPUT_POLICY_DENIED envelope (type, content or size not allowed)",
            507: "ARTIFACT_STORAGE_WRITE_FAILED envelope",
        },
    ),
)
def upload(
    request: Request,
    conn: Conn,
    settings: Settings,
    actor: CurrentActor,
    body: UploadRequest = _UPLOAD_BODY,
) -> JSONResponse:
    data = upload_reply(
        conn,
        settings,
        actor,
        body,
        trace_id=trace_id_of(request),
        media_base=media_base_url(request),
    )
    return envelope_response(request, data, actor=actor)
