"""``guide_recovery``, ``agent_skill`` and the signup identity of the guide (§4.11, §9.1).

Pure; the runtime detection reads a mapping the caller passes (normally ``os.environ``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from image_skill.guide import fields as f
from image_skill.guide import text
from image_skill.guide.placeholders import copy_runnable, missing_inputs

RECOVERY_SCHEMA = "image-skill.guide-recovery.v1"


def guide_recovery(
    stage: str,
    *,
    blocker: dict[str, Any] | None,
    next_command: str | None,
    recommended_no_spend_command: str | None,
    quota_hatch: str | None,
    after_next: str | None,
) -> dict[str, Any]:
    """Which field is safe to run again, and which one would spend (§4.11)."""
    live_create = live_payment = None
    if stage == f.READY_TO_CREATE:
        command, field = recommended_no_spend_command, "recommended_no_spend_command"
        live_create, warning = "next_command", text.GR_LIVE_CREATE
    elif stage == f.QUOTA_REQUIRED:
        command, field = quota_hatch, "escape_hatches.quota"
        live_payment, warning = "self_fund_next_command", text.GR_LIVE_PAYMENT
    else:
        command, field, warning = next_command, "next_command", text.GR_NOTHING_LIVE
    guarded = live_create is not None or live_payment is not None
    return {
        "schema": RECOVERY_SCHEMA,
        "stage": stage,
        "precondition_code": blocker["code"] if blocker is not None else None,
        "precondition_message": blocker["message"] if blocker is not None else None,
        "no_spend_command": command,
        "no_spend_command_field": field,
        "no_spend_command_copy_runnable": None if command is None else copy_runnable(command),
        "no_spend_command_missing_inputs": missing_inputs(command),
        "after_success_command": after_next,
        "after_success_command_field": "after_next" if after_next is not None else None,
        "live_create_command_field": live_create,
        "live_payment_command_field": live_payment,
        "double_spend_guard": {
            "required": guarded,
            "safe_rerun_command_field": field,
            "warning": warning,
        },
    }


SKILL_URL = "https://image-skill.com/skill.md"
LLMS_URL = "https://image-skill.com/llms.txt"
CLI_DOCS_URL = "https://image-skill.com/cli.md"


def agent_skill(render: Callable[[list[str]], str]) -> dict[str, Any]:
    """The ``agent_skill`` hint (§9.1); ``render`` turns words into a command line."""
    return {
        "url": SKILL_URL,
        "llms_url": LLMS_URL,
        "cli_docs_url": CLI_DOCS_URL,
        "read_command": f"curl -fsSL {SKILL_URL}",
        "recommended_start_command": render(["create", "--guide", "--prompt", "PROMPT", "--json"]),
        "model_discovery_command": render(
            ["models", "list", "--available", "--operation", "image.generate", "--json"]
        ),
        "model_inspection_command": render(["models", "show", "MODEL_ID", "--json"]),
        "no_spend": True,
        "purpose": text.AGENT_SKILL_PURPOSE,
    }


#: The ``--agent-name`` the guide writes into its signup command (ours; 0.1.70 prints the
#: placeholder AGENT_NAME there).
DEFAULT_AGENT_NAME = "image-skill-python-agent"
DEFAULT_RUNTIME = "python"
#: (variable, value or None for "any non-empty value", runtime name); first match wins.
_RUNTIME_HINTS: tuple[tuple[str, str | None, str], ...] = (
    ("CLAUDECODE", "1", "claude-code"),
    ("CODEX_SANDBOX", None, "codex-cli"),
    ("CODEX_SANDBOX_NETWORK_DISABLED", None, "codex-cli"),
    ("CURSOR_AGENT", None, "cursor"),
    ("GITHUB_ACTIONS", "true", "github-actions"),
    ("GITLAB_CI", "true", "gitlab-ci"),
    ("CI", None, "ci"),
)


def detect_runtime(environ: Mapping[str, str]) -> str:
    """The ``--runtime`` the guide's signup command names: the agent runtime or CI the
    environment reveals, else ``python``."""
    for name, expected, runtime in _RUNTIME_HINTS:
        value = environ.get(name, "").strip()
        if expected is None:
            matched = value.lower() not in ("", "0", "false", "no")
        else:
            matched = value.lower() == expected
        if matched:
            return runtime
    return DEFAULT_RUNTIME
