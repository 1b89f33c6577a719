"""Typed endpoint methods of :class:`~image_skill.api.client.ImageSkillClient`.

Each method is a thin, named wrapper over ``request()`` with the contract's path, method
and auth rule. They return :class:`~image_skill.api.reply.Reply`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from image_skill.api.reply import Reply
from image_skill.api.wire import StreamedJson

Params = Sequence[tuple[str, str]]


class HasBody(Protocol):
    """A typed request of :mod:`image_skill.api.requests` (anything with ``to_body()``)."""

    def to_body(self) -> dict[str, Any]: ...


#: A request body: a typed request (``CreateRequest(prompt=...)``) or the JSON object itself.
Body = HasBody | Mapping[str, Any]


def json_of(body: Body) -> dict[str, Any]:
    """The JSON object of ``body``: ``to_body()`` of a typed request, else a copy of the
    mapping (the caller's dict is never changed)."""
    to_body = getattr(body, "to_body", None)
    return to_body() if callable(to_body) else dict(body)  # type: ignore[arg-type]


PUBLIC_FETCH_FAILED = "PUBLIC_FETCH_FAILED"


class PublicFetch(NamedTuple):
    """Outcome of a GET of a public document (npm metadata, hosted docs); never raises.

    ``text`` is the body decoded as UTF-8 (invalid bytes become U+FFFD, one leading BOM is
    dropped) and is kept for non-2xx replies too. ``error`` is None exactly when ``ok``.
    """

    url: str
    ok: bool
    status_code: int | None
    text: str | None
    error: dict[str, Any] | None


def decode_text(body: bytes) -> str:
    """Bytes to text the way a browser's ``response.text()`` does it."""
    text = body.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def public_fetch_reply(url: str, status: int, body: bytes) -> PublicFetch:
    """A reply arrived: 2xx is ok; anything else keeps its text and gets an error."""
    text = decode_text(body)
    if 200 <= status < 300:
        return PublicFetch(url, True, status, text, None)
    error = {
        "code": PUBLIC_FETCH_FAILED,
        "message": f"public HTTP GET returned {status}",
        "retryable": status >= 500,
    }
    return PublicFetch(url, False, status, text, error)


def public_fetch_failed(url: str, exc: Exception) -> PublicFetch:
    """No reply at all (DNS, refused, TLS, timeout, bad URL)."""
    detail = str(exc).strip()
    message = exc.__class__.__name__ + (f": {detail}" if detail else "")
    error = {"code": PUBLIC_FETCH_FAILED, "message": message, "retryable": True}
    return PublicFetch(url, False, None, None, error)


def _enc(value: str) -> str:
    from image_skill.api.wire import encode_path_id

    return encode_path_id(value)


class EndpointsMixin:
    """Mixed into ImageSkillClient; relies on its ``request`` method."""

    #: Provided by ImageSkillClient (the one request path); declared here for type checking.
    request: Callable[..., Reply]

    # identity and quota
    def health(self) -> Reply:
        return self.request("GET", "/healthz", auth=False)

    def signup(self, body: Body) -> Reply:
        return self.request("POST", "/v1/agent-signups", json=json_of(body), auth=False)

    def claim(self, body: Body) -> Reply:
        """Attach a contact inbox to the authenticated agent (``{"contact": ...}``)."""
        return self.request("POST", "/v1/agent-claims", json=json_of(body))

    def whoami(self) -> Reply:
        return self.request("GET", "/v1/whoami")

    def quota(self) -> Reply:
        return self.request("GET", "/v1/quota")

    # discovery
    def models(self, params: Params = ()) -> Reply:
        return self.request("GET", "/v1/models", params=params, auth=False)

    def model(self, model_id: str) -> Reply:
        return self.request("GET", f"/v1/models/{_enc(model_id)}", auth=False)

    def capabilities(self) -> Reply:
        return self.request("GET", "/v1/capabilities", auth=False)

    def capability(self, cap_id: str) -> Reply:
        return self.request("GET", f"/v1/capabilities/{_enc(cap_id)}", auth=False)

    # credits
    def payment_methods(self) -> Reply:
        return self.request("GET", "/v1/payment-methods", auth=False)

    def credit_packs(self) -> Reply:
        return self.request("GET", "/v1/credit-packs", auth=False)

    def credit_quote(self, body: Body) -> Reply:
        return self.request("POST", "/v1/credit-quotes", json=json_of(body))

    def credit_buy(self, provider: str, body: Body) -> Reply:
        body = json_of(body)
        path = (
            "/v1/credit-purchases/stripe-x402-deposits"
            if provider == "stripe_x402"
            else "/v1/credit-purchases/stripe-checkout-sessions"
        )
        return self.request("POST", path, json=body, idempotency_key=body.get("idempotency_key"))

    def credit_status(self, params: Params = ()) -> Reply:
        return self.request("GET", "/v1/credit-purchases/status", params=params)

    def credit_fake_purchase(self, body: Body) -> Reply:
        return self.request("POST", "/v1/credit-purchases", json=json_of(body))

    # media
    def create(self, body: Body, *, auth: bool = True) -> Reply:
        body = json_of(body)
        key = body.get("idempotency_key")
        return self.request("POST", "/v1/create", json=body, auth=auth, idempotency_key=key)

    def edit(self, body: Body) -> Reply:
        body = json_of(body)
        key = body.get("idempotency_key")
        return self.request("POST", "/v1/edit", json=body, idempotency_key=key)

    def upload(self, payload: dict[str, Any] | StreamedJson) -> Reply:
        """``payload`` is the §10.1 body, or a :class:`StreamedJson` of it (sent as read)."""
        return self.request("POST", "/v1/upload", json=payload)

    def asset(self, asset_id: str) -> Reply:
        return self.request("GET", f"/v1/assets/{_enc(asset_id)}")

    def job(self, job_id: str) -> Reply:
        return self.request("GET", f"/v1/jobs/{_enc(job_id)}")

    def activity(self, params: Params = ()) -> Reply:
        return self.request("GET", "/v1/activity", params=params)

    def activity_item(self, reference: str) -> Reply:
        return self.request("GET", f"/v1/activity/{_enc(reference)}")

    def feedback(self, body: Body) -> Reply:
        return self.request("POST", "/v1/feedback", json=json_of(body))

    # the offline local backend's own routes
    def local_settle(self, payment_attempt_id: str) -> Reply:
        """Settle a payment attempt on the offline local backend (simulated)."""
        path = f"/_local/payment-attempts/{_enc(payment_attempt_id)}/settle"
        return self.request("POST", path)

    def local_gallery_link(self) -> Reply:
        """A one-time login link to a served local backend's gallery page."""
        return self.request("POST", "/v1/local/gallery-links")
