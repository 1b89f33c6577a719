"""Hostile server replies per command class (read, spend, download, upload), in-process.

``run_reply_case`` scripts one :class:`faults.Fault` on a :class:`faults.FaultServer`, runs
the command of that class against it and returns every broken invariant (empty: behaved):

* always: one valid envelope, a contract exit code, no internal error (envelopetools);
* never an invented success: ``"ok": true`` only when the server's delivered reply was a
  well-formed ``"ok": true`` envelope;
* spends (create, credits buy): a reply that is not a well-formed envelope, or a transport
  failure, is an unknown outcome: ``retryable: true`` with a recovery naming the same
  idempotency key; the breadcrumb exists exactly while the printed outcome is unknown
  (issue 8 points 2, 3, 7);
* downloads: no file at the ``--output`` path unless the command succeeded, and then its
  bytes are the asset's (sha256 checked).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from clitools import invoke
from envelopetools import envelope_problems, parse_one_envelope
from faults import Fault, FaultServer
from hostiletools import well_formed

CLASSES = ("read", "spend-create", "spend-buy", "download", "upload")
TOKEN = "isk_r_replyfuzz000000000000000000000000"
#: Codes whose outcome is unknown even when marked final (as the CLI's inflight module says).
UNKNOWN_CODES = frozenset(
    {"HOSTED_API_REQUEST_FAILED", "HOSTED_API_NON_JSON_RESPONSE", "TIMEOUT", "INTERRUPTED"}
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005018d8a50000000049454e44ae426082"
)
_PATHS = {
    "read": ("GET", "/v1/whoami"),
    "spend-create": ("POST", "/v1/create"),
    "spend-buy": ("POST", "/v1/credit-purchases"),
    "download": ("GET", "/a/"),
    "upload": ("POST", "/v1/upload"),
}


def delivered_body(fault: Fault) -> bytes | None:
    """The body bytes the client receives intact, or None when the transport breaks."""
    if fault.reset or fault.hang or fault.close_after_bytes is not None:
        return None
    body = fault.body if isinstance(fault.body, bytes) else None
    if body is None:
        return None
    length = fault.content_length
    if length is None or length < 0:
        return body
    return None if length > len(body) else body[:length]


def _asset_reply(fs: FaultServer, content: bytes) -> Fault:
    asset = {
        "asset_id": "image_fuzz0001",
        "kind": "generated",
        "url": f"{fs.url}/a/image_fuzz0001.png",
        "mime_type": "image/png",
        "content_length": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    return Fault.json({"ok": True, "error": None, "data": {"asset": asset}})


def run_reply_case(kind: str, fault: Fault, fs: FaultServer, work: Path, case: int) -> list[str]:
    """Run the command of class ``kind`` against ``fault``; the broken invariants."""
    fs.clear()
    method, path = _PATHS[kind]
    config = work / f"cfg-{case}" / "config.json"
    env = {"IMAGE_SKILL_TOKEN": TOKEN, "IMAGE_SKILL_CONFIG_PATH": str(config)}
    key = f"fuzz-{kind}-{case}"
    base = ("--api-base-url", fs.url, "--timeout", "5")
    output = work / "downloads" / f"out-{case}.png"
    output.parent.mkdir(exist_ok=True)
    if kind == "download":
        fs.script("GET", "/v1/assets/", _asset_reply(fs, PNG), repeat=True)
    fs.script(method, path, fault, repeat=method == "GET")
    if kind == "read":
        args: tuple[str, ...] = ("whoami", *base)
    elif kind == "spend-create":
        args = ("create", "--prompt", "a fox", "--idempotency-key", key, *base)
    elif kind == "spend-buy":
        args = ("credits", "buy", "--provider", "stripe", "--quote-id", "quote_x")
        args += ("--idempotency-key", key, *base)
    elif kind == "download":
        args = ("assets", "get", "image_fuzz0001", "--output", str(output), *base)
    else:
        source = work / "upload-in.png"
        source.write_bytes(PNG)
        args = ("upload", str(source), *base)
    result = invoke(*args, env=env)
    problems = envelope_problems(result.stdout, result.stderr, result.exit_code)
    envelope, _ = parse_one_envelope(result.stdout)
    if envelope is None or problems:
        return problems
    if kind == "download":
        return problems + _download_problems(envelope, fault, output)
    delivered = delivered_body(fault)
    server = well_formed(delivered) if delivered is not None else None
    if envelope.get("ok") is True and not (server is not None and server["ok"] is True):
        problems.append("printed ok: true though the server never said so in a valid envelope")
    if kind.startswith("spend"):
        problems += _spend_problems(envelope, server, key, config.parent / "in-flight")
    return problems


def _spend_problems(
    envelope: dict[str, Any], server: dict[str, Any] | None, key: str, folder: Path
) -> list[str]:
    problems: list[str] = []
    error = envelope.get("error") if isinstance(envelope.get("error"), dict) else {}
    assert isinstance(error, dict)
    if server is None:
        if error.get("retryable") is not True:
            problems.append("unknown spend outcome reported retryable: false")
        if key not in json.dumps(error.get("recovery")):
            problems.append("unknown spend outcome without a same-key recovery")
    known = envelope.get("ok") is True or (
        error.get("retryable") is False and error.get("code") not in UNKNOWN_CODES
    )
    crumbs = sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []
    if known and crumbs:
        problems.append(f"breadcrumb kept although the outcome is known: {crumbs}")
    if not known and not crumbs:
        problems.append("breadcrumb removed although the outcome is unknown")
    return problems


def _download_problems(envelope: dict[str, Any], fault: Fault, output: Path) -> list[str]:
    problems: list[str] = []
    leftovers = sorted(p.name for p in output.parent.iterdir() if p != output)
    if leftovers:
        problems.append(f"temporary files left behind: {leftovers}")
    if envelope.get("ok") is True:
        if not output.is_file():
            problems.append("download reported ok but no file was written")
        elif output.read_bytes() != PNG:
            problems.append("download reported ok but the file is not the asset's bytes")
    elif output.exists():
        problems.append("a failed download left a file at the --output path")
    output.unlink(missing_ok=True)
    return problems


def asset_bytes_fault(fault: Fault) -> Fault:
    """``fault`` serving the real asset bytes (so downloads can also succeed)."""
    return replace(fault, body=PNG, headers=[("content-type", "image/png")])


@contextmanager
def no_retry_sleep() -> Iterator[list[float]]:
    """Make the API client's retry back-off return at once (the delays are recorded)."""
    from image_skill.api.client import ImageSkillClient

    defaults = ImageSkillClient.__init__.__kwdefaults__ or {}
    slept: list[float] = []
    if "sleep" not in defaults:
        yield slept
        return
    real = defaults["sleep"]
    defaults["sleep"] = slept.append
    try:
        yield slept
    finally:
        defaults["sleep"] = real
