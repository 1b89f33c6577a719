"""Requests to places they must not go (issue 8 point 5), as cases with their invariants.

Each case runs one command in-process under :func:`hostiletools.loopback_only` with the
API at a refusing :class:`faults.FaultServer` and a second loopback server, the "secret"
host, standing for a private address that serves something it must not leak. A case
behaves when the command fails with one valid envelope, no connection to a non-loopback
address was even attempted, the secret host received nothing, nothing was uploaded to the
API and nothing the API received carries the secret (raw or base64).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from clitools import invoke
from envelopetools import envelope_problems, parse_one_envelope
from faults import Fault, FaultServer
from hostiletools import loopback_only

SECRET = b"SECRET-aws-key-AKIAEXAMPLE-do-not-forward"
TOKEN = "isk_r_networkcases00000000000000000000"
FORBIDDEN = (
    "http://169.254.169.254/latest/meta-data/iam",
    "http://[::ffff:169.254.169.254]/latest",
    "http://0x7f000001/x.png",
    "http://2130706433/x.png",
    "http://10.0.0.1/x.png",
    "http://192.168.1.1/x.png",
    "http://[fd00::1]/x.png",
    "http://0.0.0.0/x.png",
    "http://metadata.google.internal/computeMetadata/v1/",
    "file:///etc/passwd",
    "ftp://127.0.0.1/x.png",
)


@dataclass(frozen=True)
class NetworkCase:
    name: str
    argv: tuple[str, ...]
    #: Paths on the API server that a redirect is scripted on (to the named target).
    redirect: tuple[str, str] | None = None


def network_cases(api_url: str, secret_url: str) -> list[NetworkCase]:
    targets = [*FORBIDDEN, f"{secret_url}/secret.png", secret_url.replace("127.0.0.1", "localhost")]
    cases: list[NetworkCase] = []
    for target in targets:
        cases.append(NetworkCase(f"upload {target}", ("upload", target)))
        cases.append(
            NetworkCase(
                f"create --dry-run --reference-image {target}",
                ("create", "--prompt", "p", "--dry-run", "--reference-image", target),
            )
        )
    for target in ("http://169.254.169.254/latest", f"{secret_url}/secret.png"):
        for status in (302, 307):
            cases.append(
                NetworkCase(
                    f"upload through a {status} to {target}",
                    ("upload", f"{api_url}/hop/img.png"),
                    ("/hop/", f"{status} {target}"),
                )
            )
    for status in (307, 308):
        cases.append(
            NetworkCase(
                f"create moved by a {status} to another origin",
                ("create", "--prompt", "p", "--idempotency-key", f"net-{status}"),
                ("/v1/create", f"{status} {secret_url}/v1/create"),
            )
        )
    return cases


def run_network_case(case: NetworkCase, api: FaultServer, secret: FaultServer) -> list[str]:
    api.clear()
    secret.clear()
    secret.script("*", "/", Fault(body=SECRET, headers={"content-type": "image/png"}), repeat=True)
    if case.redirect is not None:
        path, spec = case.redirect
        status, location = spec.split(" ", 1)
        api.script("*", path, Fault.redirect(location, status=int(status)), repeat=True)
    with loopback_only() as attempts:
        res = invoke(*case.argv, "--api-base-url", api.url, env={"IMAGE_SKILL_TOKEN": TOKEN})
    problems = envelope_problems(res.stdout, res.stderr, res.exit_code)
    problems += [f"tried to reach {attempt}" for attempt in attempts]
    if secret.requests:
        problems.append(f"the secret host got {len(secret.requests)} request(s)")
    leaked = (SECRET, base64.b64encode(SECRET), base64.b64encode(SECRET)[:24])
    if any(needle in request.body for request in api.requests for needle in leaked):
        problems.append("the API received the secret")
    if api.requests_to("/v1/upload"):
        problems.append("something fetched from a refused place was uploaded to the API")
    envelope, _ = parse_one_envelope(res.stdout)
    if envelope is not None and envelope.get("ok") is True:
        problems.append("the command succeeded")
    return problems
