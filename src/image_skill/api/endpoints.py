"""Typed endpoint methods of :class:`~image_skill.api.client.ImageSkillClient`.

Each method is a thin, named wrapper over ``request()`` with the contract's path, method,
auth rule and default command label. They return :class:`~image_skill.envelope.Result`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from image_skill.envelope import Result

Params = Sequence[tuple[str, str]]

PUBLIC_FETCH_FAILED = "PUBLIC_FETCH_FAILED"


@dataclass(frozen=True)
class PublicFetch:
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
    request: Callable[..., Result]

    # identity and quota
    def health(self, *, label: str = "image-skill doctor") -> Result:
        return self.request("GET", "/healthz", label=label, auth=False)

    def signup(self, body: dict[str, Any], *, label: str = "image-skill signup") -> Result:
        return self.request("POST", "/v1/agent-signups", label=label, json=body, auth=False)

    def whoami(self, *, label: str = "image-skill whoami") -> Result:
        return self.request("GET", "/v1/whoami", label=label)

    def quota(self, *, label: str = "image-skill quota") -> Result:
        return self.request("GET", "/v1/quota", label=label)

    # discovery
    def models(self, params: Params = (), *, label: str = "image-skill models list") -> Result:
        return self.request("GET", "/v1/models", label=label, params=params, auth=False)

    def model(self, model_id: str, *, label: str = "image-skill models show") -> Result:
        return self.request("GET", f"/v1/models/{_enc(model_id)}", label=label, auth=False)

    def capabilities(self, *, label: str = "image-skill capabilities list") -> Result:
        return self.request("GET", "/v1/capabilities", label=label, auth=False)

    def capability(self, cap_id: str, *, label: str = "image-skill capabilities show") -> Result:
        return self.request("GET", f"/v1/capabilities/{_enc(cap_id)}", label=label, auth=False)

    # credits
    def payment_methods(self, *, label: str = "image-skill credits methods") -> Result:
        return self.request("GET", "/v1/payment-methods", label=label, auth=False)

    def credit_packs(self, *, label: str = "image-skill credits packs list") -> Result:
        return self.request("GET", "/v1/credit-packs", label=label, auth=False)

    def credit_quote(
        self, body: dict[str, Any], *, label: str = "image-skill credits quote"
    ) -> Result:
        return self.request("POST", "/v1/credit-quotes", label=label, json=body)

    def credit_buy(
        self,
        provider: str,
        body: dict[str, Any],
        *,
        label: str = "image-skill credits buy",
        recovery_command: str | None = None,
    ) -> Result:
        path = (
            "/v1/credit-purchases/stripe-x402-deposits"
            if provider == "stripe_x402"
            else "/v1/credit-purchases/stripe-checkout-sessions"
        )
        return self.request(
            "POST",
            path,
            label=label,
            json=body,
            idempotency_key=body.get("idempotency_key"),
            recovery_command=recovery_command,
        )

    def credit_status(
        self, params: Params = (), *, label: str = "image-skill credits status"
    ) -> Result:
        return self.request("GET", "/v1/credit-purchases/status", label=label, params=params)

    def credit_fake_purchase(
        self, body: dict[str, Any], *, label: str = "image-skill credits fake-purchase"
    ) -> Result:
        return self.request("POST", "/v1/credit-purchases", label=label, json=body)

    def local_settle(
        self, payment_attempt_id: str, *, label: str = "image-skill local settle"
    ) -> Result:
        """Settle a payment attempt on the offline local backend (a local-only route)."""
        path = f"/_local/payment-attempts/{_enc(payment_attempt_id)}/settle"
        return self.request("POST", path, label=label)

    # media
    def create(
        self,
        body: dict[str, Any],
        *,
        label: str = "image-skill create",
        auth: bool = True,
        recovery_command: str | None = None,
    ) -> Result:
        return self.request(
            "POST",
            "/v1/create",
            label=label,
            json=body,
            auth=auth,
            idempotency_key=body.get("idempotency_key"),
            recovery_command=recovery_command,
        )

    def edit(
        self,
        body: dict[str, Any],
        *,
        label: str = "image-skill edit",
        recovery_command: str | None = None,
    ) -> Result:
        return self.request(
            "POST",
            "/v1/edit",
            label=label,
            json=body,
            idempotency_key=body.get("idempotency_key"),
            recovery_command=recovery_command,
        )

    def upload(self, payload: dict[str, Any], *, label: str = "image-skill upload") -> Result:
        return self.request("POST", "/v1/upload", label=label, json=payload)

    def asset(self, asset_id: str, *, label: str = "image-skill assets show") -> Result:
        return self.request("GET", f"/v1/assets/{_enc(asset_id)}", label=label)

    def job(self, job_id: str, *, label: str = "image-skill jobs show") -> Result:
        return self.request("GET", f"/v1/jobs/{_enc(job_id)}", label=label)

    def activity(self, params: Params = (), *, label: str = "image-skill activity list") -> Result:
        return self.request("GET", "/v1/activity", label=label, params=params)

    def activity_item(self, reference: str, *, label: str = "image-skill activity show") -> Result:
        return self.request("GET", f"/v1/activity/{_enc(reference)}", label=label)

    def feedback(
        self, body: dict[str, Any], *, label: str = "image-skill feedback create"
    ) -> Result:
        return self.request("POST", "/v1/feedback", label=label, json=body)
