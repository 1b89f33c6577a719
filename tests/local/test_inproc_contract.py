"""The in-process backend answers exactly as ``image-skill local serve`` does.

One sequence of requests (signup, whoami, quota, models, capabilities, a dry run and a real
create, an upload, job, asset and media reads, and the error cases: a bad body, an unknown
path, a wrong method, a trailing slash, a missing token) goes to the transport behind
``--api-base-url local`` (whose app includes its routers on first use) and to a real
``local serve`` process over loopback, each with its own empty data dir. Every reply must
have the same status, the same headers the client reads and the same envelope once the
values that differ by nature are replaced by placeholders: ids, trace ids, tokens and
timestamps (numbered in order of first appearance, so which id refers to which is compared
too) and the base URL each backend names in links and commands.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from e2etools import e2e_env, served  # noqa: F401  (fixtures)
from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local import make_in_process_transport
from image_skill.local.settings import LocalSettings

#: Response headers that differ by transport, not by reply (the server adds ``date``).
TRANSPORT_HEADERS = frozenset({"date", "server", "content-length", "connection", "keep-alive"})
_ID = re.compile(r"\b(?:[a-z0-9]+_)+[0-9a-f]{12,}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


class Normaliser:
    """Replace one backend's ids, times, secrets and base URL by numbered placeholders."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.secrets: dict[str, str] = {}
        self.seen: dict[str, str] = {}

    def _number(self, kind: str, value: str) -> str:
        if value not in self.seen:
            self.seen[value] = f"<{kind}{len(self.seen)}>"
        return self.seen[value]

    def text(self, value: str) -> str:
        if value in self.secrets:
            return self.secrets[value]
        value = value.replace(self.base, "<BASE>").replace(
            "--api-base-url local", "--api-base-url <BASE>"
        )
        value = _ID.sub(lambda m: self._number("id", m.group()), value)
        return _TIME.sub("<time>", value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        return value


def _run_sequence(client: httpx.Client, norm: Normaliser) -> list[dict[str, Any]]:
    """Send the sequence; return one normalised record per reply."""
    records: list[dict[str, Any]] = []

    def send(label: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = client.request(method, path, **kwargs)
        headers = {k: v for k, v in response.headers.items() if k not in TRANSPORT_HEADERS}
        if response.headers.get("content-type", "").startswith("application/json"):
            body: Any = response.json()
        else:
            body = hashlib.sha256(response.content).hexdigest()
        records.append(
            {"step": label, "status": response.status_code, "headers": headers, "body": body}
        )
        return response

    send("healthz", "GET", "/healthz")
    send("whoami without a token", "GET", "/v1/whoami")
    signup = send(
        "signup",
        "POST",
        "/v1/agent-signups",
        json={
            "agent_contact": "contract@example.com",
            "agent_name": "contract",
            "runtime": "pytest",
            "return_token": True,
        },
    ).json()["data"]
    for key in ("token", "token_prefix", "token_hint"):
        norm.secrets[signup[key]] = f"<{key}>"
    auth = {"authorization": f"Bearer {signup['token']}"}
    signup_body = {"agent_name": "contract", "runtime": "pytest"}
    for label, body in (
        ("signup, anonymous", signup_body),
        ("signup, rotated", {**signup_body, "agent_contact": "Contract@Example.com "}),
        ("signup, legacy alias", {**signup_body, "human_email": "alias@example.com"}),
        ("signup, discovery source", {**signup_body, "discovery_source": "pypi.readme"}),
    ):
        reply = send(label, "POST", "/v1/agent-signups", json=body).json()["data"]
        for key in ("token", "token_prefix", "token_hint"):
            if reply.get(key):  # an anonymous signup always returns its token
                norm.secrets[reply[key]] = f"<{label} {key}>"
    for label, body in (
        ("signup, bad contact", {**signup_body, "agent_contact": "nobody"}),
        ("signup, no name", {"runtime": "pytest"}),
        ("signup, long runtime", {**signup_body, "runtime": "r" * 5000}),
        ("signup, bad discovery source", {**signup_body, "discovery_source": "Not A Slug"}),
        ("signup, unknown field", {**signup_body, "colour": "blue"}),
    ):
        send(label, "POST", "/v1/agent-signups", json=body)
    send("signup, not JSON", "POST", "/v1/agent-signups", content=b"{")
    send("whoami", "GET", "/v1/whoami", headers=auth)
    send("whoami, unknown token", "GET", "/v1/whoami", headers={"authorization": "Bearer isk_r_x"})
    send("quota", "GET", "/v1/quota", headers=auth)
    send("models list", "GET", "/v1/models")
    send("models list, details", "GET", "/v1/models", params={"details": "true"})
    send(
        "models list, filtered",
        "GET",
        "/v1/models",
        params=[("available", "yes"), ("operation", "image.generate"), ("query", "local")],
    )
    send("models list, repeated flag", "GET", "/v1/models", params=[("details", "1")] * 2)
    send("models list, last value wins", "GET", "/v1/models?details=true&details=no")
    send("models list, refused query", "GET", "/v1/models", params={"operation": "no.such"})
    send("payment methods", "GET", "/v1/payment-methods")
    send("models show", "GET", "/v1/models/local.image")
    send("models show, unknown", "GET", "/v1/models/no-such-model")
    send("capabilities", "GET", "/v1/capabilities")
    prompt = {"prompt": "a lighthouse at dusk"}
    send("dry run, anonymous", "POST", "/v1/create", json={**prompt, "dry_run": True})
    send("dry run", "POST", "/v1/create", json={**prompt, "dry_run": True}, headers=auth)
    created = send("create", "POST", "/v1/create", json=prompt, headers=auth).json()["data"]
    send("create, bad body", "POST", "/v1/create", json={"prompt": 5}, headers=auth)
    send("create, not JSON", "POST", "/v1/create", content=b"{", headers=auth)
    send("create, unknown field", "POST", "/v1/create", json={**prompt, "colour": 1}, headers=auth)
    data = _png()
    good = {
        "source_kind": "local_path",
        "filename": "cat.png",
        "remote_origin": None,
        "mime_type": "image/png",
        "content_length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes_base64": base64.b64encode(data).decode("ascii"),
    }
    uploaded = send("upload", "POST", "/v1/upload", headers=auth, json=good).json()["data"]
    send("upload without a token", "POST", "/v1/upload", json={})
    for label, body in (
        ("upload, wrong sha256", {**good, "sha256": "0" * 64}),
        ("upload, type not allowed", {**good, "mime_type": "text/html"}),
        ("upload, not base64", {**good, "bytes_base64": "%%%"}),
        ("upload, missing field", {k: v for k, v in good.items() if k != "filename"}),
    ):
        send(label, "POST", "/v1/upload", json=body, headers=auth)
    send("upload, not JSON", "POST", "/v1/upload", content=b"[", headers=auth)
    edit = {"input_asset_id": uploaded["asset"]["asset_id"], "prompt": "make it green"}
    send("edit, dry run", "POST", "/v1/edit", json={**edit, "dry_run": True}, headers=auth)
    send("edit", "POST", "/v1/edit", json=edit, headers=auth)
    send(
        "edit, unknown input",
        "POST",
        "/v1/edit",
        json={**edit, "input_asset_id": "x"},
        headers=auth,
    )
    send("edit, bad body", "POST", "/v1/edit", json={"input_asset_id": 5}, headers=auth)
    send("edit, anonymous", "POST", "/v1/edit", json=edit)
    send("job", "GET", f"/v1/jobs/{created['job_id']}", headers=auth)
    send("job, unknown", "GET", "/v1/jobs/job_000000000000000000000000", headers=auth)
    for asset in (created["assets"][0], uploaded["asset"]):
        send("asset", "GET", f"/v1/assets/{asset['asset_id']}", headers=auth)
        path = httpx.URL(asset["url"]).path
        send("media", "GET", path)
        media = send("media, range", "GET", path, headers={"range": "bytes=0-9"})
        etag = media.headers["etag"]
        send("media, not modified", "GET", path, headers={"if-none-match": etag})
        send("media, head", "HEAD", path)
        send("media, wrong extension", "GET", path.rsplit(".", 1)[0] + ".gif")
    send("media, unknown", "GET", "/a/image_000000000000000000000000.png")
    send("activity", "GET", "/v1/activity", headers=auth)
    send("unknown path", "GET", "/v1/no-such-route")
    send("unknown top-level path", "GET", "/nowhere")
    send("wrong method", "DELETE", "/v1/whoami", headers=auth)
    send("wrong method, create", "GET", "/v1/create")
    send("trailing slash", "GET", "/v1/whoami/", headers=auth)
    send("openapi", "GET", "/openapi.json")
    # Normalised at the end: the secrets are known from the signup on.
    return [norm.value(record) for record in records]


def test_in_process_and_served_replies_are_identical(
    served: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    transport = make_in_process_transport(LocalSettings(data_dir=tmp_path / "inproc-data"))
    with httpx.Client(transport=transport, base_url=IN_PROCESS_ORIGIN) as client:
        in_process = _run_sequence(client, Normaliser(IN_PROCESS_ORIGIN))
    with httpx.Client(base_url=served, timeout=30) as client:
        over_http = _run_sequence(client, Normaliser(served))

    assert [r["step"] for r in in_process] == [r["step"] for r in over_http]
    for ours, theirs in zip(in_process, over_http, strict=True):
        assert json.dumps(ours, indent=1, sort_keys=True) == json.dumps(
            theirs, indent=1, sort_keys=True
        ), ours["step"]
    statuses = {r["step"]: r["status"] for r in in_process}
    # The sequence reached what it meant to: successes, and each kind of refusal.
    assert statuses["create"] == statuses["upload"] == statuses["media"] == 200
    assert statuses["media, range"] == 206
    assert statuses["upload, wrong sha256"] == statuses["upload, not JSON"] == 400
    assert statuses["upload, type not allowed"] == 422
    assert statuses["edit"] == statuses["edit, dry run"] == 200
    assert statuses["edit, bad body"] == 400 and statuses["edit, anonymous"] == 401
    assert statuses["signup, anonymous"] == statuses["signup, rotated"] == 200
    assert statuses["signup, bad contact"] == statuses["signup, not JSON"] == 400
    assert statuses["signup, long runtime"] == statuses["signup, unknown field"] == 400
    assert statuses["media, not modified"] == 304
    assert statuses["media, unknown"] == statuses["media, wrong extension"] == 404
    assert statuses["models list, filtered"] == statuses["payment methods"] == 200
    assert statuses["models list, refused query"] == 400
    assert statuses["whoami without a token"] == statuses["upload without a token"] == 401
    assert statuses["create, bad body"] == statuses["create, not JSON"] == 400
    assert statuses["unknown path"] == statuses["unknown top-level path"] == 404
    assert statuses["wrong method"] == statuses["wrong method, create"] == 405
