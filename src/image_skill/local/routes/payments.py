"""Purchases, payment status and the local-only settle action.

Settle auth: ``POST /_local/payment-attempts/{id}/settle`` needs the owning agent's
bearer token (another org's attempt looks not found). The browser checkout page settles
through its own route in :mod:`.routes_pages`, authorized by the unguessable checkout
session id in its URL, like a hosted Checkout link.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from image_skill.api.requests import BuyRequest
from image_skill.local.billing.catalog import CHECKOUT, X402, offline_warning
from image_skill.local.billing.payments import buy, fake_purchase, settle
from image_skill.local.billing.quotes import reject_credentials
from image_skill.local.billing.status import status
from image_skill.local.deps import (
    Conn,
    CurrentActor,
    Settings,
    cli_base_of,
    command,
    public_base_url,
)
from image_skill.local.errors import envelope_doc, envelope_response, trace_id_of
from image_skill.local.routes.bodies import body_doc, json_body

router = APIRouter()

_BUY_BODY = json_body(BuyRequest, precheck=reject_credentials)
_REPLAY_WARNING = "idempotency key replayed: this is the payment attempt created earlier"
_BUY_ERRORS = {
    404: "QUOTE_NOT_FOUND",
    409: "IDEMPOTENCY_KEY_CONFLICT",
}


def _buy(request: Request, body: BuyRequest, conn: Any, actor: Any, method: str) -> JSONResponse:
    data, replayed = buy(
        conn,
        actor,
        body.to_body(),
        method=method,
        base_url=public_base_url(request),
        trace_id=trace_id_of(request),
    )
    warnings = [offline_warning(cli_base_of(request))]
    if replayed:
        warnings.append(_REPLAY_WARNING)
    return envelope_response(request, data, actor=actor, warnings=warnings)


def _add_buy_route(name: str, path: str, method: str, description: str) -> None:
    """Register one rail's ``POST`` (the two rails differ only in these values)."""

    def handler(
        request: Request, conn: Conn, actor: CurrentActor, body: BuyRequest = _BUY_BODY
    ) -> JSONResponse:
        return _buy(request, body, conn, actor, method)

    handler.__name__ = handler.__qualname__ = name
    router.post(
        path,
        openapi_extra=body_doc(BuyRequest, command("image-skill credits buy")),
        responses=envelope_doc(description, auth=True, errors=_BUY_ERRORS),
    )(handler)


_add_buy_route(
    "checkout_session",
    "/v1/credit-purchases/stripe-checkout-sessions",
    CHECKOUT,
    "Checkout attempt (action required)",
)
_add_buy_route(
    "x402_deposit",
    "/v1/credit-purchases/stripe-x402-deposits",
    X402,
    "x402 deposit attempt (action required)",
)


@router.post(
    "/v1/credit-purchases",
    openapi_extra=body_doc(BuyRequest, command("image-skill credits fake-purchase")),
    responses=envelope_doc("Simulated purchase settled at once", auth=True, errors=_BUY_ERRORS),
)
def purchase(
    request: Request, conn: Conn, actor: CurrentActor, body: BuyRequest = _BUY_BODY
) -> JSONResponse:
    base = cli_base_of(request)
    data = fake_purchase(conn, actor, body.to_body(), trace_id=trace_id_of(request), base=base)
    return envelope_response(request, data, actor=actor, warnings=[offline_warning(base)])


@router.get(
    "/v1/credit-purchases/status",
    openapi_extra=command("image-skill credits status"),
    responses=envelope_doc("Durable payment state, or the balance", auth=True),
)
def purchase_status(
    request: Request, conn: Conn, settings: Settings, actor: CurrentActor
) -> JSONResponse:
    names = ("quote_id", "payment_attempt_id", "checkout_session_id", "receipt_id")
    references = {k: v for k, v in request.query_params.items() if k in names}
    data = status(conn, actor, settings, references, base_url=public_base_url(request))
    return envelope_response(request, data, actor=actor)


@router.post(
    "/_local/payment-attempts/{payment_attempt_id}/settle",
    openapi_extra=command("image-skill local settle"),
    responses=envelope_doc(
        "Simulated settlement (grants exactly once)",
        auth=True,
        errors={404: "PAYMENT_ATTEMPT_NOT_FOUND", 409: "PAYMENT_ATTEMPT_NOT_SETTLEABLE"},
    ),
)
def settle_attempt(
    request: Request,
    payment_attempt_id: str,
    conn: Conn,
    settings: Settings,
    actor: CurrentActor,
) -> JSONResponse:
    trace = trace_id_of(request)
    _receipt, granted = settle(
        conn, payment_attempt_id, organization_id=actor.organization_id, trace_id=trace
    )
    data = status(
        conn,
        actor,
        settings,
        {"payment_attempt_id": payment_attempt_id},
        base_url=public_base_url(request),
    )
    data["granted_now"] = granted
    warnings = [offline_warning(cli_base_of(request))]
    if not granted:
        warnings.append("already settled: no credits were granted again")
    return envelope_response(request, data, actor=actor, warnings=warnings)
