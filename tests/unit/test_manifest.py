"""The public command manifest (contract 0.1.70 §9.3) built from our help table."""

from __future__ import annotations

from typing import Any

from image_skill.cli.help import HELP_TABLE, ROOT_COMMANDS
from image_skill.cli.manifest import build_manifest

IDS = [
    "doctor",
    "trust",
    "signup",
    "claim",
    "whoami",
    "usage",
    "quota",
    "credits",
    "capabilities",
    "models",
    "create",
    "upload",
    "edit",
    "assets",
    "jobs",
    "activity",
    "feedback",
]


def _rows() -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in build_manifest()["commands"]}


def test_top_level_keys() -> None:
    manifest = build_manifest()
    assert list(manifest) == [
        "schema",
        "command_prefix",
        "product_frame",
        "skill_url",
        "docs_url",
        "llms_url",
        "commands",
        "modality_aliases",
        "help_entries",
    ]
    assert manifest["schema"] == "image-skill.public-command-manifest.v1"
    assert manifest["command_prefix"] == "image-skill"
    assert manifest["skill_url"] == "https://image-skill.com/skill.md"
    assert manifest["docs_url"] == "https://image-skill.com/cli.md"
    assert manifest["llms_url"] == "https://image-skill.com/llms.txt"


def test_commands() -> None:
    rows = _rows()
    assert list(rows) == IDS
    for row in rows.values():
        assert list(row)[:5] == ["id", "docs_anchor", "surface", "mutation", "spend"]
    assert rows["signup"]["docs_anchor"] == "image-skill-signup-agent"
    assert rows["claim"]["docs_anchor"] == "image-skill-claim-request"
    assert rows["jobs"]["docs_anchor"] == "image-skill-jobs"
    assert {i for i, r in rows.items() if r["surface"] == "client"} == {
        "doctor",
        "trust",
        "upload",
        "edit",
    }
    assert {i for i, r in rows.items() if r["mutation"]} == {
        "signup",
        "claim",
        "credits",
        "create",
        "upload",
        "edit",
        "feedback",
    }
    assert {i for i, r in rows.items() if r["spend"]} == {"credits", "create", "edit"}
    assert rows["credits"]["subcommands"] == ["methods", "packs list", "quote", "buy", "status"]
    assert rows["claim"]["subcommands"] == ["request"]
    assert "subcommands" not in rows["create"]


def test_help_entries_follow_the_table_without_auth() -> None:
    entries = build_manifest()["help_entries"]
    keys = [entry["key"] for entry in entries]
    assert keys[0] == "" and not any(k.startswith("auth") for k in keys)
    assert set(keys[1:]) == {k for k in HELP_TABLE if not k.startswith("auth")}
    assert keys.index("capabilities show") + 1 == keys.index("models")
    assert keys[keys.index("claim") : keys.index("claim") + 2] == ["claim", "claim request"]
    root = entries[0]["help"]
    assert list(root) == ["command", "usage", "docs_url", "agent_skill", "commands"]
    assert root["command"] == "help" and root["commands"] == ROOT_COMMANDS
    skill = root["agent_skill"]
    assert skill["recommended_start_command"] == "image-skill create --guide --prompt PROMPT --json"
    assert skill["model_inspection_command"] == "image-skill models show MODEL_ID --json"
    claim = next(e for e in entries if e["key"] == "claim request")
    assert claim["help"] == {
        "command": "image-skill claim request help",
        "usage": "image-skill claim request --contact AGENT_OR_OPERATOR_INBOX --json",
        "docs_url": "https://image-skill.com/cli.md#image-skill-claim-request",
        "required_flags": ["--contact"],
        "optional_flags": ["--token-stdin"],
    }


def test_modality_aliases() -> None:
    aliases = build_manifest()["modality_aliases"]
    assert [(a["alias"], a["intent"]) for a in aliases] == [
        ("image", None),
        ("video", "video"),
        ("audio", "audio"),
        ("3d", "image-to-3d"),
        ("image-to-3d", "image-to-3d"),
        ("three-d", "image-to-3d"),
    ]
    assert {a["command"] for a in aliases} == {"create"}
