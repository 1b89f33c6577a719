"""The trust packet (`image-skill trust`), built from already-fetched results.

Pure: no I/O, no clock, no network. :func:`plan_urls` says what the command must fetch;
:func:`build_packet` turns the fetched documents, the ``/healthz`` and ``/v1/models``
envelopes and the installed distribution's metadata into ``(data, warnings)``. Keys,
statuses and the schema string follow contract §8.2; every sentence is ours.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from image_skill import _constants as C
from image_skill._js import truthy
from image_skill.api.endpoints import PublicFetch
from image_skill.trust.registry import model_registry_block, record

SCHEMA = "image-skill.trust-packet.v0"
NPM_REGISTRY_URL = "https://registry.npmjs.org"
DOCS_BASE_URL = "https://image-skill.com"
DEFAULT_REPOSITORY_URL = "https://github.com/danielgwilson/image-skill-cli"
PUBLIC_JSON_PARSE_FAILED = "PUBLIC_JSON_PARSE_FAILED"
NPM_ACCEPT = "application/vnd.npm.install-v1+json, application/json"
DOCS_ACCEPT = "text/markdown, text/plain, */*"
CONTRACT_DOCS = (("skill", "/skill.md"), ("llms", "/llms.txt"), ("cli", "/cli.md"))
GUIDE_PROMPT = "a compact field camera on a stainless workbench"

REPO_NOTE = (
    "git_head is the commit the published package was built from; the repository's main "
    "branch may already hold newer, unreleased changes."
)
FORBIDDEN_MATERIAL = (
    "API tokens, payment credentials, wallet keys and the contents of the config file are "
    "never read into this packet."
)
STUDY_WARNING = (
    "no public study of real agents using this package has been published yet, so treat "
    "this packet as the service describing itself"
)
SELECTION_HINTS = {
    "unavailable": "The API did not answer its health check: do not pick this tool for work "
    "that has to happen now.",
    "stale_or_mismatched": "The npm registry describes a different version than this CLI: "
    "update the package or compare versions before relying on it.",
    "inspect_only": "The service answers, but no model can run right now: look around, do not "
    "plan a paid job yet.",
    "usable_with_warnings": "The service is up and has runnable models; read the warnings, then "
    "start with the first_image_guide command.",
    "usable": "Every check passed; start with the first_image_guide command.",
}


@dataclass(frozen=True)
class TrustUrls:
    """Where the packet's evidence comes from for one API base."""

    api_base_url: str
    docs_base_url: str
    npm_registry_url: str
    npm_package_url: str
    contract_urls: tuple[tuple[str, str], ...]
    health_url: str
    models_url: str


def plan_urls(api_base_url: str, fetch_base_url: str | None = None) -> TrustUrls:
    """The URLs to fetch. ``fetch_base_url`` is where requests really go when it differs from
    the configured base (the in-process origin for ``local``)."""
    fetch_base = fetch_base_url or api_base_url
    default = api_base_url.rstrip("/") == C.DEFAULT_BASE_URL
    registry = NPM_REGISTRY_URL if default else fetch_base
    docs = DOCS_BASE_URL if default else fetch_base
    npm_url = urljoin(registry if registry.endswith("/") else registry + "/", "image-skill/0.1.30")
    parts = urlsplit(fetch_base)
    origin = f"{parts.scheme}://{parts.netloc}"
    return TrustUrls(
        api_base_url=api_base_url,
        docs_base_url=docs,
        npm_registry_url=registry,
        npm_package_url=npm_url,
        contract_urls=tuple((key, urljoin(docs, path)) for key, path in CONTRACT_DOCS),
        health_url=origin + "/healthz",
        models_url=origin + "/v1/models",
    )


@dataclass(frozen=True)
class TrustInputs:
    urls: TrustUrls
    checked_at: str
    npm: PublicFetch
    contracts: Sequence[PublicFetch]
    health: Mapping[str, Any]
    models: Mapping[str, Any]
    python_package: Mapping[str, Any]


def build_packet(
    inputs: TrustInputs, render: Callable[[list[str]], str]
) -> tuple[dict[str, Any], list[str]]:
    """The packet's ``data`` and the envelope's ``warnings``. ``render`` turns words after the
    program name into a shell command."""
    urls, now = inputs.urls, inputs.checked_at
    npm = npm_package_block(inputs.npm, urls.npm_package_url, now)
    contracts = contracts_block(inputs.contracts, now)
    api = hosted_api_block(inputs.health, urls.health_url, now)
    registry = model_registry_block(inputs.models, urls.models_url, now)
    repo_url = normalize_repo_url(npm["repository_url"])
    warnings = packet_warnings(npm, contracts, api, registry)
    status = summary_status(npm, api, registry, warnings)
    module_path = inputs.python_package.get("module_path")
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "checked_at": now,
        "subject": {
            "package": C.PACKAGE_NAME,
            "cli_version": C.CONTRACT_VERSION,
            "mode": C.MODE,
            "api_base_url": urls.api_base_url,
            "docs_base_url": urls.docs_base_url,
            "npm_registry_url": urls.npm_registry_url,
        },
        "summary": {
            "status": status,
            "selection_hint": SELECTION_HINTS[status],
            "top_warnings": warnings[:5],
        },
        "npm_package": npm,
        "python_package": dict(inputs.python_package),
        "public_repo": {
            "status": "checked",
            "url": repo_url,
            "git_head": npm["git_head"],
            "package_registry_url": npm["registry_url"],
            "main_may_be_newer_than_package": True,
            "note": REPO_NOTE,
        },
        "hosted_contracts": contracts,
        "hosted_api": api,
        "model_registry": registry,
        "safe_commands": safe_commands(render),
        "proof_urls": {
            "npm_package": {"status": npm["status"], "url": npm["registry_url"]},
            "npm_attestation": npm["attestation"],
            "public_repo": {"status": "checked", "url": repo_url, "git_head": npm["git_head"]},
            "hosted_contracts": {
                "status": contracts["status"],
                "urls": [item["url"] for item in contracts["contracts"]],
            },
            "real_agent_studies": {"status": "not_available_yet", "url": None},
        },
        "redaction": {
            "secrets_included": False,
            # Our python_package block names the installed module's directory.
            "private_paths_included": isinstance(module_path, str) and bool(module_path),
            "config_file_read": False,
            "token_sources_read": False,
            "credential_values_read": False,
            "forbidden_material": FORBIDDEN_MATERIAL,
        },
    }
    return data, warnings


# -- npm -----------------------------------------------------------------------------------
def parse_npm_document(fetch: PublicFetch) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The npm version document, or the error explaining why there is none."""
    if not fetch.ok or fetch.text is None:
        return None, fetch.error
    try:
        doc = json.loads(fetch.text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return None, {
            "code": PUBLIC_JSON_PARSE_FAILED,
            "message": "the npm registry reply is not a JSON object",
            "retryable": True,
        }
    return doc, None


def npm_package_block(fetch: PublicFetch, registry_url: str, now: str) -> dict[str, Any]:
    doc, error = parse_npm_document(fetch)
    if doc is None:
        return {
            "status": "not_available_yet" if fetch.status_code == 404 else "unreachable",
            "checked_at": now,
            "package": C.PACKAGE_NAME,
            "version": C.CONTRACT_VERSION,
            "registry_url": registry_url,
            "dist_integrity": None,
            "tarball": None,
            "git_head": None,
            "repository_url": None,
            "attestation": {"status": "not_available_yet", "url": None},
            "error": error,
        }
    version = doc.get("version")
    if not isinstance(version, str):
        version = C.CONTRACT_VERSION
    dist = record(doc.get("dist"))
    attestation_url = record(dist.get("attestations")).get("url")
    repository_url = record(doc.get("repository")).get("url")
    return {
        "status": "verified" if version == C.CONTRACT_VERSION else "mismatched",
        "checked_at": now,
        "package": C.PACKAGE_NAME,
        "version": version,
        "expected_version": C.CONTRACT_VERSION,
        "registry_url": registry_url,
        "dist_integrity": _text_or_none(dist.get("integrity")),
        "tarball": _text_or_none(dist.get("tarball")),
        "git_head": _text_or_none(doc.get("gitHead")),
        "repository_url": repository_url
        if isinstance(repository_url, str) and repository_url
        else DEFAULT_REPOSITORY_URL,
        "attestation": {
            "status": "available" if isinstance(attestation_url, str) else "not_available_yet",
            "url": attestation_url if isinstance(attestation_url, str) else None,
        },
        "error": None,
    }


def normalize_repo_url(url: Any) -> str:
    """``git+https://github.com/o/r.git`` and ``ssh://git@github.com/o/r`` -> https form."""
    if not isinstance(url, str) or not url.strip():
        return DEFAULT_REPOSITORY_URL
    text = url.strip()
    if text.startswith("git+"):
        text = text[len("git+") :]
    if text.startswith("ssh://git@github.com/"):
        text = "https://github.com/" + text[len("ssh://git@github.com/") :]
    if text.endswith(".git"):
        text = text[: -len(".git")]
    return text or DEFAULT_REPOSITORY_URL


# -- hosted docs, health, models -------------------------------------------------------------
def sha256_label(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def contracts_block(fetches: Sequence[PublicFetch], now: str) -> dict[str, Any]:
    items = []
    for (key, _path), fetch in zip(CONTRACT_DOCS, fetches, strict=True):
        items.append(
            {
                "key": key,
                "url": fetch.url,
                "status": "verified" if fetch.ok else "unreachable",
                "http_status": fetch.status_code,
                "content_sha256": sha256_label(fetch.text) if fetch.text is not None else None,
                "bytes": len(fetch.text.encode("utf-8")) if fetch.text is not None else None,
                "error": fetch.error,
            }
        )
    verified = all(item["status"] == "verified" for item in items)
    return {
        "status": "verified" if verified else "unreachable",
        "checked_at": now,
        "contracts": items,
    }


def hosted_api_block(envelope: Mapping[str, Any], url: str, now: str) -> dict[str, Any]:
    reachable = truthy(envelope.get("ok"))
    data = record(envelope.get("data"))
    return {
        "status": "reachable" if reachable else "unreachable",
        "checked_at": now,
        "url": url,
        "reachable": reachable,
        "api_status": data.get("status"),
        "api_version": data.get("api_version"),
        "error": envelope.get("error"),
    }


# -- verdict ---------------------------------------------------------------------------------
def packet_warnings(
    npm: Mapping[str, Any],
    contracts: Mapping[str, Any],
    api: Mapping[str, Any],
    registry: Mapping[str, Any],
) -> list[str]:
    warnings = []
    if npm["status"] != "verified":
        warnings.append(
            f"npm metadata for image-skill@{C.CONTRACT_VERSION} is {npm['status']}, so the "
            "published package could not be confirmed"
        )
    if npm["git_head"] is None:
        warnings.append("the npm metadata names no source commit (gitHead) for this version")
    if npm["attestation"]["status"] != "available":
        warnings.append("no npm provenance attestation was found for this version")
    if contracts["status"] != "verified":
        warnings.append(
            "not every hosted contract document (skill.md, llms.txt, cli.md) could be fetched; "
            "missing ones have no usable hash"
        )
    if api["status"] != "reachable":
        warnings.append("the API health check failed; nothing can be created until it answers")
    if registry["status"] != "available":
        warnings.append("the model registry (/v1/models) could not be read")
    counts = registry["availability_summary"]
    if counts["executable"] == 0:
        warnings.append("the model registry reports no model that can run right now")
    cataloged = counts["cataloged_not_wired"]
    if cataloged > 0:
        warnings.append(
            f"{cataloged:g} cataloged model(s) are not wired to a provider and cannot run"
        )
    warnings.append(STUDY_WARNING)
    return warnings


def summary_status(
    npm: Mapping[str, Any],
    api: Mapping[str, Any],
    registry: Mapping[str, Any],
    warnings: Sequence[str],
) -> str:
    if api["status"] != "reachable":
        return "unavailable"
    if npm["status"] == "mismatched":
        return "stale_or_mismatched"
    if registry["status"] != "available" or registry["availability_summary"]["executable"] == 0:
        return "inspect_only"
    return "usable_with_warnings" if warnings else "usable"


def safe_commands(render: Callable[[list[str]], str]) -> list[dict[str, Any]]:
    rows = (
        ("trust_packet", ["trust", "--json"]),
        ("first_image_guide", ["create", "--guide", "--prompt", GUIDE_PROMPT, "--json"]),
        ("model_inspection", ["models", "list", "--json"]),
    )
    return [
        {"purpose": purpose, "command": render(words), "mutation": False, "spend": False}
        for purpose, words in rows
    ]


# -- small helpers -----------------------------------------------------------------------------
def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
