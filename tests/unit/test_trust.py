"""The trust packet builder: pure inputs in, packet and warnings out (contract §8.2)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from image_skill.api.endpoints import PublicFetch, public_fetch_failed, public_fetch_reply
from image_skill.trust import packet as T
from image_skill.trust.registry import availability_summary

NOW = "2026-01-02T03:04:05.678Z"
BASE = "http://127.0.0.1:9999"
URLS = T.plan_urls(BASE)
NPM_DOC = {
    "name": "image-skill",
    "version": "0.1.30",
    "gitHead": "abc123",
    "repository": {"type": "git", "url": "git+https://github.com/example/image-skill-cli.git"},
    "dist": {
        "integrity": "sha512-xyz",
        "tarball": "https://registry.example/image-skill-0.1.30.tgz",
        "attestations": {"url": "https://registry.example/attestations/image-skill@0.1.30"},
    },
}
MODELS_OK = {
    "ok": True,
    "data": {
        "models": [
            {"id": "a.one", "provider_id": "acme", "execution": {"model_execution_status": "x"}},
            {"id": "b.two", "provider": {"id": "beta"}, "status": "available"},
            {"id": "zeta.three", "status": "cataloged_not_wired"},
            {"id": "nodot", "availability_reason": "unavailable"},
            {"status": "unavailable"},
            "not a record",
        ]
    },
}
HEALTH_OK = {"ok": True, "data": {"status": "ok", "api_version": "v1"}}


def reply(url: str, status: int = 200, text: str = "") -> PublicFetch:
    return public_fetch_reply(url, status, text.encode("utf-8"))


def npm_ok(doc: Any = None) -> PublicFetch:
    return reply(URLS.npm_package_url, 200, json.dumps(NPM_DOC if doc is None else doc))


def docs_ok() -> list[PublicFetch]:
    return [reply(url, 200, f"# {key}\n") for key, url in URLS.contract_urls]


def build(**overrides: Any) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {
        "urls": URLS,
        "checked_at": NOW,
        "npm": npm_ok(),
        "contracts": docs_ok(),
        "health": HEALTH_OK,
        "models": MODELS_OK,
        "python_package": {"name": "image-skill", "module_path": None},
    }
    values.update(overrides)
    return T.build_packet(T.TrustInputs(**values), lambda words: "image-skill " + " ".join(words))


# -- URLs ----------------------------------------------------------------------------------------
def test_default_base_uses_npm_registry_and_public_docs() -> None:
    for base in ("https://api.image-skill.com", "https://api.image-skill.com/"):
        urls = T.plan_urls(base)
        assert urls.npm_package_url == "https://registry.npmjs.org/image-skill/0.1.30"
        assert [u for _, u in urls.contract_urls] == [
            "https://image-skill.com/skill.md",
            "https://image-skill.com/llms.txt",
            "https://image-skill.com/cli.md",
        ]
        assert urls.health_url == "https://api.image-skill.com/healthz"


def test_other_base_keeps_its_path_for_npm_but_not_for_docs() -> None:
    urls = T.plan_urls("https://h.example/prefix")
    assert urls.npm_registry_url == "https://h.example/prefix"
    assert urls.npm_package_url == "https://h.example/prefix/image-skill/0.1.30"
    assert urls.contract_urls[0] == ("skill", "https://h.example/skill.md")
    assert urls.models_url == "https://h.example/v1/models"


def test_local_base_fetches_from_the_in_process_origin() -> None:
    urls = T.plan_urls("local", "http://local.image-skill.invalid")
    assert urls.api_base_url == "local"
    assert urls.docs_base_url == "http://local.image-skill.invalid"
    assert urls.npm_package_url == "http://local.image-skill.invalid/image-skill/0.1.30"


# -- npm_package --------
def test_npm_verified_block_and_repo_normalisation() -> None:
    data, _ = build()
    npm = data["npm_package"]
    assert list(npm) == [
        "status",
        "checked_at",
        "package",
        "version",
        "expected_version",
        "registry_url",
        "dist_integrity",
        "tarball",
        "git_head",
        "repository_url",
        "attestation",
        "error",
    ]
    assert npm["status"] == "verified" and npm["git_head"] == "abc123"
    assert npm["attestation"] == {
        "status": "available",
        "url": "https://registry.example/attestations/image-skill@0.1.30",
    }
    assert data["public_repo"]["url"] == "https://github.com/example/image-skill-cli"
    assert data["proof_urls"]["npm_attestation"] == npm["attestation"]


def test_npm_mismatched_version_and_missing_fields() -> None:
    data, warnings = build(npm=npm_ok({"version": "0.2.0", "dist": "junk"}))
    npm = data["npm_package"]
    assert npm["status"] == "mismatched" and npm["version"] == "0.2.0"
    assert npm["dist_integrity"] is None and npm["tarball"] is None
    assert npm["repository_url"] == T.DEFAULT_REPOSITORY_URL
    assert npm["attestation"] == {"status": "not_available_yet", "url": None}
    assert data["summary"]["status"] == "stale_or_mismatched"
    assert "mismatched" in warnings[0]


def test_npm_without_version_string_counts_as_expected_version() -> None:
    data, _ = build(npm=npm_ok({"version": 30}))
    assert data["npm_package"]["status"] == "verified"
    assert data["npm_package"]["version"] == "0.1.30"


def test_npm_404_is_not_available_yet_and_other_failures_unreachable() -> None:
    data, _ = build(npm=reply(URLS.npm_package_url, 404, "nope"))
    npm = data["npm_package"]
    assert npm["status"] == "not_available_yet" and "expected_version" not in npm
    assert npm["error"] == {
        "code": "PUBLIC_FETCH_FAILED",
        "message": "public HTTP GET returned 404",
        "retryable": False,
    }
    assert npm["repository_url"] is None
    assert data["public_repo"]["url"] == T.DEFAULT_REPOSITORY_URL
    data, _ = build(npm=reply(URLS.npm_package_url, 503, "busy"))
    assert data["npm_package"]["status"] == "unreachable"
    assert data["npm_package"]["error"]["retryable"] is True
    failed = public_fetch_failed(URLS.npm_package_url, ConnectionError("refused"))
    data, _ = build(npm=failed)
    assert data["npm_package"]["status"] == "unreachable"
    assert data["npm_package"]["error"]["code"] == "PUBLIC_FETCH_FAILED"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "null"])
def test_npm_unparsable_body_is_a_json_parse_failure(body: str) -> None:
    data, _ = build(npm=reply(URLS.npm_package_url, 200, body))
    assert data["npm_package"]["status"] == "unreachable"
    assert data["npm_package"]["error"]["code"] == "PUBLIC_JSON_PARSE_FAILED"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("git+ssh://git@github.com/o/r.git", "https://github.com/o/r"),
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("   ", T.DEFAULT_REPOSITORY_URL),
        (None, T.DEFAULT_REPOSITORY_URL),
    ],
)
def test_normalize_repo_url(raw: Any, expected: str) -> None:
    assert T.normalize_repo_url(raw) == expected


# -- hosted_contracts --------
def test_contracts_verified_with_hashes_of_decoded_text() -> None:
    body = "\ufeffcaf\u00e9\n".encode() + b"\xff"
    skill = public_fetch_reply(URLS.contract_urls[0][1], 200, body)
    data, _ = build(contracts=[skill, *docs_ok()[1:]])
    block = data["hosted_contracts"]
    assert block["status"] == "verified"
    first = block["contracts"][0]
    text = "caf\u00e9\n\ufffd"  # BOM dropped, bad byte replaced
    assert first["content_sha256"] == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert first["bytes"] == len(text.encode()) and first["key"] == "skill"


def test_one_missing_contract_makes_the_block_unreachable_but_keeps_hashes() -> None:
    docs = docs_ok()
    docs[2] = reply(URLS.contract_urls[2][1], 404, "missing")
    data, warnings = build(contracts=docs)
    block = data["hosted_contracts"]
    assert block["status"] == "unreachable"
    assert [c["status"] for c in block["contracts"]] == ["verified", "verified", "unreachable"]
    assert block["contracts"][2]["content_sha256"] == T.sha256_label("missing")
    assert block["contracts"][2]["http_status"] == 404
    dropped = public_fetch_failed(URLS.contract_urls[1][1], OSError())
    data, _ = build(contracts=[docs[0], dropped, docs[1]])
    assert data["hosted_contracts"]["contracts"][1]["content_sha256"] is None
    assert data["hosted_contracts"]["contracts"][1]["bytes"] is None
    assert data["proof_urls"]["hosted_contracts"]["status"] == "unreachable"


# -- hosted_api and model_registry --------
def test_hosted_api_reachable_and_unreachable() -> None:
    data, _ = build()
    assert data["hosted_api"] == {
        "status": "reachable",
        "checked_at": NOW,
        "url": BASE + "/healthz",
        "reachable": True,
        "api_status": "ok",
        "api_version": "v1",
        "error": None,
    }
    error = {"code": "HOSTED_API_REQUEST_FAILED", "message": "down", "retryable": True}
    data, warnings = build(health={"ok": False, "data": None, "error": error})
    assert data["hosted_api"]["status"] == "unreachable"
    assert data["hosted_api"]["error"] == error and data["hosted_api"]["api_status"] is None
    assert data["summary"]["status"] == "unavailable"


def test_registry_counting_rules() -> None:
    counts = availability_summary(MODELS_OK["data"])
    assert counts["total"] == 5 and counts["returned"] == 5
    # "x" (execution status wins over status), available, cataloged, unavailable, unavailable
    assert counts["status_counts"] == {
        "x": 1,
        "available": 1,
        "cataloged_not_wired": 1,
        "unavailable": 2,
    }
    assert counts["executable"] == 1
    assert counts["cataloged_not_wired"] == 1
    assert counts["unavailable"] == 2
    assert counts["providers"] == ["acme", "beta", "nodot", "zeta"]


def test_registry_status_field_unavailable_counts_even_with_another_status() -> None:
    data = {"models": [{"id": "p.m", "status": "unavailable", "availability_reason": "executable"}]}
    counts = availability_summary(data)
    assert counts["executable"] == 1 and counts["unavailable"] == 1
    assert availability_summary({"models": [{}]})["status_counts"] == {"unknown": 1}


def test_registry_summary_numbers_override_counts() -> None:
    data = dict(MODELS_OK["data"])
    data["summary"] = {
        "total": 40,
        "returned": 5.0,
        "executable": "7",  # not a number: the count stays
        "cataloged_not_wired": float("inf"),  # not finite: the count stays
        "unavailable": 0,
        "providers": ["ignored"],
    }
    counts = availability_summary(data)
    assert counts["total"] == 40 and counts["returned"] == 5.0
    assert counts["executable"] == 1 and counts["cataloged_not_wired"] == 1
    assert counts["unavailable"] == 0
    assert counts["providers"] == ["acme", "beta", "nodot", "zeta"]


def test_registry_unreachable_is_inspect_only() -> None:
    error = {"code": "HOSTED_API_NON_JSON_RESPONSE", "message": "x", "retryable": True}
    data, warnings = build(models={"ok": False, "data": None, "error": error})
    registry = data["model_registry"]
    assert registry["status"] == "unreachable" and registry["error"] == error
    assert registry["availability_summary"]["total"] == 0
    assert registry["freshness"] == {"source": "hosted /v1/models", "checked_at": NOW}
    assert len(registry["rules"]) == 3
    assert data["summary"]["status"] == "inspect_only"


def test_no_executable_model_is_inspect_only() -> None:
    models = {"ok": True, "data": {"models": [{"id": "a.b", "status": "cataloged_not_wired"}]}}
    data, warnings = build(models=models)
    assert data["summary"]["status"] == "inspect_only"
    assert any("no model that can run" in w for w in warnings)


# -- warnings and summary --------
def test_all_good_still_warns_about_studies() -> None:
    models = {"ok": True, "data": {"models": [{"id": "a.b", "status": "available"}]}}
    data, warnings = build(models=models)
    assert warnings == [T.STUDY_WARNING]
    assert data["summary"] == {
        "status": "usable_with_warnings",
        "selection_hint": T.SELECTION_HINTS["usable_with_warnings"],
        "top_warnings": [T.STUDY_WARNING],
    }


def test_warnings_order_and_top_five() -> None:
    models = {"ok": False, "data": None, "error": None}
    health = {"ok": False, "data": None, "error": None}
    data, warnings = build(
        npm=reply(URLS.npm_package_url, 404, ""),
        contracts=[reply(u, 500, "") for _, u in URLS.contract_urls],
        health=health,
        models=models,
    )
    keys = ["not_available_yet", "gitHead", "attestation", "contract", "health", "registry"]
    for warning, key in zip(warnings, keys, strict=False):
        assert key in warning
    assert "no model that can run" in warnings[6]
    assert warnings[-1] == T.STUDY_WARNING and len(warnings) == 8
    assert data["summary"]["top_warnings"] == warnings[:5]
    assert data["summary"]["status"] == "unavailable"


def test_cataloged_warning_carries_the_count() -> None:
    data, warnings = build()
    assert "1 cataloged model(s)" in warnings[-2]


def test_unavailable_wins_over_mismatched() -> None:
    data, _ = build(npm=npm_ok({"version": "9.9.9"}), health={"ok": False})
    assert data["summary"]["status"] == "unavailable"


def test_usable_without_warnings() -> None:
    assert (
        T.summary_status(
            {"status": "verified"},
            {"status": "reachable"},
            {"status": "available", "availability_summary": {"executable": 1}},
            [],
        )
        == "usable"
    )


# -- shape, safe commands, redaction --------
def test_packet_key_order_and_subject() -> None:
    data, _ = build()
    assert list(data) == [
        "schema",
        "checked_at",
        "subject",
        "summary",
        "npm_package",
        "python_package",
        "public_repo",
        "hosted_contracts",
        "hosted_api",
        "model_registry",
        "safe_commands",
        "proof_urls",
        "redaction",
    ]
    assert data["schema"] == "image-skill.trust-packet.v0"
    assert data["subject"] == {
        "package": "image-skill",
        "cli_version": "0.1.30",
        "mode": "public_hosted_cli",
        "api_base_url": BASE,
        "docs_base_url": BASE,
        "npm_registry_url": BASE,
    }
    assert data["proof_urls"]["real_agent_studies"] == {"status": "not_available_yet", "url": None}


def test_safe_commands_use_the_renderer() -> None:
    data, _ = build()
    rows = data["safe_commands"]
    assert [r["purpose"] for r in rows] == ["trust_packet", "first_image_guide", "model_inspection"]
    assert rows[0]["command"] == "image-skill trust --json"
    assert T.GUIDE_PROMPT in rows[1]["command"]
    assert all(r["mutation"] is False and r["spend"] is False for r in rows)


def test_redaction_block() -> None:
    data, _ = build()
    redaction = data["redaction"]
    assert {k: v for k, v in redaction.items() if k != "forbidden_material"} == {
        "secrets_included": False,
        "private_paths_included": False,
        "config_file_read": False,
        "token_sources_read": False,
        "credential_values_read": False,
    }
    assert isinstance(redaction["forbidden_material"], str)
    data, _ = build(python_package={"module_path": "~/venv/lib/image_skill"})
    assert data["redaction"]["private_paths_included"] is True
