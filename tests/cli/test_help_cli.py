"""Help as data in its 0.1.70 shape (contract 0.1.70 §9): the root help, `agent_skill`, the
help-table entries that changed, alias words in help, and `agent_skill` in doctor."""

from __future__ import annotations

from typing import Any

import click
import pytest

from clitools import invoke
from image_skill.cli.help import HELP_TABLE

DOCS = "https://image-skill.com/cli.md"
ROOT_COMMANDS_0170 = [
    "doctor",
    "trust",
    "signup --agent --agent-name NAME --runtime RUNTIME",
    "claim request --contact INBOX",
    "whoami",
    "usage quota",
    "quota",
    "credits methods",
    "credits quote",
    "credits packs list",
    "credits buy",
    "credits status",
    "capabilities",
    "capabilities list",
    "capabilities show",
    "models",
    "models list",
    "models show",
    "create --guide",
    "image create --guide",
    "video create --guide",
    "audio create --guide",
    "3d create --guide",
    "create --dry-run",
    "create",
    "image edit",
    "upload",
    "edit",
    "assets show",
    "assets get",
    "jobs show",
    "jobs wait",
    "activity list",
    "activity show",
    "feedback create",
]


def _skill_commands(skill: dict[str, Any]) -> list[str]:
    return [
        skill["recommended_start_command"],
        skill["model_discovery_command"],
        skill["model_inspection_command"],
    ]


def test_root_help_shape() -> None:
    for argv in ([], ["help"], ["--help"], ["-h"], ["help", "--json"], ["image", "--help"]):
        res = invoke(*argv)
        assert res.exit_code == 0 and res.json["command"] == "help", argv
        data = res.data
        assert list(data)[:5] == ["command", "usage", "docs_url", "agent_skill", "commands"]
        assert data["usage"] == (
            "image-skill <doctor|trust|signup|claim|whoami|usage|quota|credits|capabilities|"
            "models|create|upload|edit|assets|jobs|activity|feedback> --json"
        )
        assert data["docs_url"] == DOCS
        assert data["commands"] == ROOT_COMMANDS_0170 and len(data["commands"]) == 35
        # our own commands are listed apart; npm words, hidden auth and aliases are not
        assert data["python_only_commands"] == ["batch", "completion", "local", "mcp"]


def test_agent_skill_in_root_help() -> None:
    skill = invoke("help").data["agent_skill"]
    assert list(skill) == [
        "url",
        "llms_url",
        "cli_docs_url",
        "read_command",
        "recommended_start_command",
        "model_discovery_command",
        "model_inspection_command",
        "no_spend",
        "purpose",
    ]
    assert skill["url"] == "https://image-skill.com/skill.md"
    assert skill["llms_url"] == "https://image-skill.com/llms.txt"
    assert skill["cli_docs_url"] == DOCS
    assert skill["read_command"] == "curl -fsSL https://image-skill.com/skill.md"
    ends = [
        " create --guide --prompt PROMPT --json",
        " models list --available --operation image.generate --json",
        " models show MODEL_ID --json",
    ]
    for command, end in zip(_skill_commands(skill), ends, strict=True):
        assert command.endswith(end)
    assert skill["no_spend"] is True and skill["purpose"]


def test_auth_is_hidden_from_root_help_but_still_documented() -> None:
    assert not any(c.startswith("auth") for c in invoke("help").data["commands"])
    res = invoke("auth", "status", "--help")
    assert res.exit_code == 0 and res.json["command"] == "image-skill auth status help"


def _help(*words: str) -> dict[str, Any]:
    res = invoke("help", *words)
    assert res.exit_code == 0, res.stdout
    data = res.data
    assert isinstance(data, dict)
    return data


def test_changed_entries() -> None:
    signup = _help("signup")
    assert (
        signup["usage"] == "image-skill signup --agent --agent-name NAME --runtime RUNTIME --json"
    )
    assert signup["required_flags"] == ["--agent", "--agent-name", "--runtime"]
    assert signup["optional_flags"] == [
        "--agent-contact",
        "--show-token",
        "--no-save",
        "--token-stdin",
    ]
    assert signup["docs_url"] == DOCS + "#image-skill-signup-agent"

    claim = _help("claim")
    assert claim["command"] == "image-skill claim help"
    assert claim["usage"] == "image-skill claim request --contact AGENT_OR_OPERATOR_INBOX --json"
    assert claim["docs_url"] == DOCS + "#image-skill-claim-request"
    assert claim["subcommands"] == ["request"]
    request = _help("claim", "request")
    assert request["command"] == "image-skill claim request help"
    assert request["usage"] == claim["usage"] and request["docs_url"] == claim["docs_url"]
    assert request["required_flags"] == ["--contact"]
    assert request["optional_flags"] == ["--token-stdin"]

    assert _help("credits", "methods")["usage"] == "image-skill credits methods"
    assert _help("models", "list")["optional_flags"] == [
        "--available",
        "--executable",
        "--catalog-only",
        "--operation",
        "--modality",
        "--provider",
        "--query",
        "--summary",
        "--details",
    ]
    assert _help("create")["optional_flags"] == [
        "--guide",
        "--dry-run",
        "--model",
        "--aspect-ratio",
        "--output-count",
        "--element-frontal",
        "--element-reference",
        "--reference-image",
        "--model-parameters-json",
        "--idempotency-key",
    ]
    assert _help("edit")["optional_flags"] == [
        "--guide",
        "--dry-run",
        "--prompt",
        "--model",
        "--mask",
        "--element-reference",
        "--element-frontal",
        "--reference-image",
        "--model-parameters-json",
        "--idempotency-key",
    ]
    doctor = _help("doctor")
    assert doctor["optional_flags"] == ["--sweep-in-flight"] and doctor["description"]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["help", "video", "create"], "image-skill create help"),
        (["3d", "create", "--help"], "image-skill create help"),
        (["image-to-3d", "create", "-h"], "image-skill create help"),
        (["help", "image", "edit"], "image-skill edit help"),
        (["image", "edit", "--prompt", "x", "--help"], "image-skill edit help"),
        (["help", "video"], "help"),
        (["video", "--help"], "help"),
        (["help", "video", "edit"], "help"),
    ],
)
def test_alias_words_in_help(argv: list[str], command: str) -> None:
    res = invoke(*argv)
    assert res.exit_code == 0 and res.json["command"] == command


def _flags(command: click.Command) -> set[str]:
    from image_skill.cli import root

    opts = {opt for param in command.params for opt in getattr(param, "opts", [])}
    return opts | {opt for param in root.params for opt in getattr(param, "opts", [])}


def test_every_flag_the_help_table_names_exists() -> None:
    from image_skill.cli import root

    for key, (_, _, extra) in HELP_TABLE.items():
        node: click.Command = root
        for word in key.split():
            assert isinstance(node, click.Group), key
            node = node.commands[word]
        named = [*extra.get("required_flags", []), *extra.get("optional_flags", [])]
        missing = [f for f in named if f != "--pack or --credits" and f not in _flags(node)]
        assert missing == [], key


def test_doctor_ends_with_agent_skill(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    res = invoke("doctor", "--api-base-url", "local")
    assert res.exit_code == 0
    assert list(res.data)[-1] == "agent_skill"
    skill = res.data["agent_skill"]
    from_help = invoke("help").data["agent_skill"]
    assert list(skill) == list(from_help)
    commands = ("recommended_start_command", "model_discovery_command", "model_inspection_command")
    assert {k: v for k, v in skill.items() if k not in commands} == {
        k: v for k, v in from_help.items() if k not in commands
    }
    # the doctor's commands reach the same server as the doctor did
    for command in _skill_commands(skill):
        assert " --api-base-url local --json" in command
