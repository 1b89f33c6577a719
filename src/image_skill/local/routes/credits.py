"""Payment rails, credit packs and quotes. Quotes never grant credits."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.api.requests import QuoteRequest
from image_skill.local.billing.catalog import credit_packs, offline_warning
from image_skill.local.billing.quotes import create_quote, reject_credentials
from image_skill.local.deps import Conn, CurrentActor, cli_base_of, command
from image_skill.local.errors import envelope_doc, envelope_response, trace_id_of
from image_skill.local.listing_data import PAYMENT_METHODS_COMMAND, payment_methods_listing
from image_skill.local.routes.bodies import body_doc, json_body

router = APIRouter()

_QUOTE_BODY = json_body(QuoteRequest, precheck=reject_credentials)


@router.get(
    "/v1/payment-methods",
    openapi_extra=command(PAYMENT_METHODS_COMMAND),
    responses=envelope_doc("Payment rails (simulated offline)"),
)
def methods(request: Request) -> JSONResponse:
    data, warnings = payment_methods_listing(cli_base_of(request))
    return envelope_response(request, data, warnings=warnings)


@router.get(
    "/v1/credit-packs",
    openapi_extra=command("image-skill credits packs list"),
    responses=envelope_doc("Credit packs"),
)
def packs(request: Request) -> JSONResponse:
    return envelope_response(request, credit_packs())


@router.post(
    "/v1/credit-quotes",
    openapi_extra=body_doc(QuoteRequest, command("image-skill credits quote")),
    responses=envelope_doc(
        "A quote (never grants)", auth=True, errors={409: "CREDIT_QUOTE_CONFLICT"}
    ),
)
def quote(
    request: Request, conn: Conn, actor: CurrentActor, body: QuoteRequest = _QUOTE_BODY
) -> JSONResponse:
    base = cli_base_of(request)
    data, replayed = create_quote(
        conn, actor, body.to_body(), trace_id=trace_id_of(request), base=base
    )
    warnings = [offline_warning(base)]
    if replayed:
        warnings.append("idempotency key replayed: this is the quote created earlier")
    return envelope_response(request, data, actor=actor, warnings=warnings)
