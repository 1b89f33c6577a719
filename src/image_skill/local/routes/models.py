"""Model registry and capability catalog routes (no auth).

``GET /v1/models`` answers with compact rows unless ``details=true`` asks for the full ones
(contract 0.1.70 §3: the 0.1.30 client sends no ``details`` and so gets compact rows too,
as from the hosted service); ``query=`` filters by name, tag or alias.
``GET /v1/models/{id}`` also takes ``default``, aliases such as ``nano-banana`` and a name
that matches exactly one model.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.local.cli_commands import cli_command
from image_skill.local.deps import cli_base_of, command
from image_skill.local.errors import ApiError, envelope_doc, envelope_response
from image_skill.local.listing_data import MODELS_LIST_COMMAND, models_listing
from image_skill.local.registry.capabilities import get_capability, list_capabilities
from image_skill.local.registry.models import resolve_model

router = APIRouter()


def _not_found(code: str, message: str, group: str, base: str) -> ApiError:
    """404 for an unknown id of ``group``; recovery lists the ids (``image-skill GROUP list``)."""
    return ApiError(
        404,
        code,
        message,
        recovery={
            "suggested_command": cli_command(base, [group, "list", "--json"]),
            "docs_url": f"https://image-skill.com/cli.md#image-skill-{group}",
        },
    )


@router.get(
    "/v1/models",
    openapi_extra=command(MODELS_LIST_COMMAND),
    responses=envelope_doc("Model rows and the summary block"),
)
def models_list(
    request: Request,
    available: str | None = None,
    executable: str | None = None,
    catalog_only: str | None = None,
    operation: str | None = None,
    modality: str | None = None,
    provider: str | None = None,
    query: str | None = None,
    details: str | None = None,
) -> JSONResponse:
    params = {
        "available": available,
        "executable": executable,
        "catalog_only": catalog_only,
        "operation": operation,
        "modality": modality,
        "provider": provider,
        "query": query,
        "details": details,
    }
    return envelope_response(request, models_listing(params, cli_base_of(request)))


@router.get(
    "/v1/models/{model_id:path}",
    openapi_extra=command("image-skill models show"),
    responses=envelope_doc("One model's full schema", errors={404: "MODEL_NOT_FOUND"}),
)
def models_show(request: Request, model_id: str) -> JSONResponse:
    found = resolve_model(model_id)
    if found is None:
        raise _not_found(
            "MODEL_NOT_FOUND",
            f"no model with id {model_id!r}; list the ids with models list",
            "models",
            cli_base_of(request),
        )
    row, how = found
    data = {"id": row["id"], "requested_id": model_id, "resolved_by": how, "model": row}
    return envelope_response(request, data)


@router.get(
    "/v1/capabilities",
    openapi_extra=command("image-skill capabilities list"),
    responses=envelope_doc("The capability catalog"),
)
def capabilities_list(request: Request) -> JSONResponse:
    return envelope_response(request, list_capabilities(base=cli_base_of(request)))


@router.get(
    "/v1/capabilities/{capability_id:path}",
    openapi_extra=command("image-skill capabilities show"),
    responses=envelope_doc("One capability", errors={404: "CAPABILITY_NOT_FOUND"}),
)
def capabilities_show(request: Request, capability_id: str) -> JSONResponse:
    base = cli_base_of(request)
    capability = get_capability(capability_id, base=base)
    if capability is None:
        raise _not_found(
            "CAPABILITY_NOT_FOUND", f"no capability with id {capability_id!r}", "capabilities", base
        )
    return envelope_response(request, {"id": capability["id"], "capability": capability})
