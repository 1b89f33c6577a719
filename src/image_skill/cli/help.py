"""Help as data: `help`, `--help` and `-h` return an envelope, never touching network,
auth or config. The `command`, `usage` and `docs_url` values match the npm client; on top
of them we list the real options of the click command so agents see every flag.
"""

from __future__ import annotations

from typing import Any

import click

from image_skill import _constants as C
from image_skill.envelope import Result, ok_result

_D = C.DOCS_URL
_CREDITS = "image-skill credits <methods|packs list|quote|buy|status> --json"

#: key -> (usage, anchor, extra keys)
HELP_TABLE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "doctor": ("image-skill doctor --json", "#image-skill-doctor", {}),
    "trust": (
        "image-skill trust --json",
        "#image-skill-trust",
        {
            "description": "Read-only evidence for choosing this tool, no token needed: npm "
            "package provenance, hashes of the hosted contract docs, API health and which "
            "models can run."
        },
    ),
    "signup": (
        "image-skill signup --agent --agent-contact AGENT_OR_OPERATOR_INBOX --agent-name NAME "
        "--runtime RUNTIME --json",
        "#image-skill-signup-agent",
        {
            "required_flags": ["--agent", "--agent-contact", "--agent-name", "--runtime"],
            "optional_flags": ["--show-token", "--no-save", "--token-stdin"],
        },
    ),
    "auth": (
        "image-skill auth <status|save|logout> --json",
        "#image-skill-auth",
        {"subcommands": ["status", "save", "logout"]},
    ),
    "auth status": ("image-skill auth status --json", "#image-skill-auth", {}),
    "auth save": ("image-skill auth save --token-stdin --json", "#image-skill-auth", {}),
    "auth logout": ("image-skill auth logout --json", "#image-skill-auth", {}),
    "whoami": ("image-skill whoami --json", "#image-skill-whoami", {}),
    "usage": ("image-skill usage quota --json", "#image-skill-usage", {"subcommands": ["quota"]}),
    "usage quota": ("image-skill usage quota --json", "#image-skill-usage", {}),
    "quota": ("image-skill quota --json", "#image-skill-quota", {}),
    "credits": (
        _CREDITS,
        "#image-skill-credits",
        {"subcommands": ["methods", "packs list", "quote", "buy", "status"]},
    ),
    "credits methods": ("image-skill credits methods --json", "#image-skill-credits", {}),
    "credits packs": (
        "image-skill credits packs list --json",
        "#image-skill-credits",
        {"subcommands": ["list"]},
    ),
    "credits quote": (
        "image-skill credits quote --pack PACK_ID --payment-method stripe_x402.exact.usdc --json",
        "#image-skill-credits",
        {
            "required_flags": ["--pack or --credits", "--payment-method"],
            "optional_flags": ["--idempotency-key"],
        },
    ),
    "credits buy": (
        "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID "
        "--idempotency-key KEY --json",
        "#image-skill-credits",
        {
            "required_flags": ["--provider", "--quote-id", "--idempotency-key"],
            "supported_providers": ["stripe", "stripe_x402"],
        },
    ),
    "credits status": (
        "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json",
        "#image-skill-credits",
        {"required_flags": ["--payment-attempt-id"]},
    ),
    "models": (
        "image-skill models <list|show> --json",
        "#image-skill-models",
        {"subcommands": ["list", "show"]},
    ),
    "models list": (
        "image-skill models list --available --operation image.generate --json",
        "#image-skill-models",
        {},
    ),
    "models show": ("image-skill models show MODEL_ID --json", "#image-skill-models", {}),
    "capabilities": (
        "image-skill capabilities <list|show> --json",
        "#image-skill-capabilities",
        {"subcommands": ["list", "show"]},
    ),
    "capabilities list": ("image-skill capabilities list --json", "#image-skill-capabilities", {}),
    "capabilities show": (
        "image-skill capabilities show CAPABILITY_ID --json",
        "#image-skill-capabilities",
        {},
    ),
    "create": (
        'image-skill create --prompt "..." --intent explore --max-estimated-usd-per-image 0.07 '
        "--json",
        "#image-skill-create",
        {
            "optional_flags": [
                "--guide",
                "--dry-run",
                "--model",
                "--aspect-ratio",
                "--output-count",
                "--model-parameters-json",
                "--idempotency-key",
            ]
        },
    ),
    "upload": ("image-skill upload PATH_OR_URL --json", "#image-skill-upload", {}),
    "edit": (
        'image-skill edit --input image_... --prompt "..." --json',
        "#image-skill-edit",
        {
            "required_flags": ["--input"],
            "optional_flags": [
                "--dry-run",
                "--prompt",
                "--model",
                "--mask",
                "--element-reference",
                "--model-parameters-json",
                "--idempotency-key",
            ],
        },
    ),
    "assets": (
        "image-skill assets <show|get> ASSET_ID_OR_URL --json",
        "#image-skill-assets",
        {"subcommands": ["show", "get"]},
    ),
    "assets show": ("image-skill assets show ASSET_ID_OR_URL --json", "#image-skill-assets", {}),
    "assets get": (
        "image-skill assets get ASSET_ID_OR_URL --output PATH --json",
        "#image-skill-assets",
        {},
    ),
    "jobs": (
        "image-skill jobs <show|wait> JOB_ID --json",
        "#image-skill-jobs",
        {"subcommands": ["show", "wait"]},
    ),
    "jobs show": ("image-skill jobs show JOB_ID --json", "#image-skill-jobs", {}),
    "jobs wait": (
        "image-skill jobs wait JOB_ID --timeout-ms 30000 --json",
        "#image-skill-jobs",
        {},
    ),
    "activity": (
        "image-skill activity <list|show> --json",
        "#image-skill-activity",
        {"subcommands": ["list", "show"]},
    ),
    "activity list": (
        "image-skill activity list --subject JOB_ID --json",
        "#image-skill-activity",
        {},
    ),
    "activity show": ("image-skill activity show REFERENCE --json", "#image-skill-activity", {}),
    "feedback": (
        "image-skill feedback create --title TITLE --body BODY --json",
        "#image-skill-feedback",
        {"subcommands": ["create"]},
    ),
    "feedback create": (
        "image-skill feedback create --title TITLE --body BODY --type user_feedback --json",
        "#image-skill-feedback",
        {
            "optional_flags": [
                "--title",
                "--body",
                "--type",
                "--severity",
                "--confidence",
                "--expected",
                "--actual",
                "--command",
            ]
        },
    ),
}

ROOT_COMMANDS = [
    "image-skill doctor --json",
    "image-skill trust --json",
    "image-skill signup --agent --agent-contact AGENT_OR_OPERATOR_INBOX --agent-name NAME "
    "--runtime RUNTIME --json",
    "image-skill auth status --json",
    "image-skill auth save --token-stdin --json",
    "image-skill auth logout --json",
    "image-skill whoami --json",
    "image-skill usage quota --json",
    "image-skill credits methods --json",
    "image-skill credits packs list --json",
    "image-skill credits quote --pack starter-500 --payment-method stripe_x402.exact.usdc --json",
    "image-skill credits buy --provider stripe_x402 --quote-id QUOTE_ID "
    "--idempotency-key KEY --json",
    "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json",
    "image-skill models list --json",
    "image-skill models show MODEL_ID --json",
    'image-skill create --guide --prompt "..." --json',
    "image-skill capabilities list --json",
    "image-skill capabilities show CAPABILITY_ID --json",
    'image-skill create --prompt "..." --json',
    "image-skill upload PATH_OR_URL --json",
    'image-skill edit --input image_... --prompt "..." --json',
    "image-skill assets show ASSET_ID_OR_URL --json",
    "image-skill assets get ASSET_ID_OR_URL --output PATH --json",
    "image-skill jobs show JOB_ID --json",
    "image-skill jobs wait JOB_ID --timeout-ms 30000 --json",
    "image-skill activity list --json",
    "image-skill activity show REFERENCE --json",
    "image-skill feedback create --title TITLE --body BODY --json",
]


def help_words(argv: list[str]) -> list[str]:
    """The command words of a help request: everything that is not a flag or `help`."""
    words = []
    skip_value = False
    for token in argv:
        if skip_value:  # the value of a global option given before the command words
            skip_value = False
            continue
        if token == "--":
            break
        if token in GLOBAL_VALUE_OPTIONS:
            skip_value = True
            continue
        if token.startswith("-") or token == "help":
            continue
        words.append(token)
    return words


#: Global options that take a separate value (`--api-base-url URL whoami --help`).
GLOBAL_VALUE_OPTIONS = frozenset({"--api-base-url", "--token", "--timeout"})


def _resolve(root: click.Group, words: list[str]) -> tuple[list[str], click.Command]:
    path: list[str] = []
    node: click.Command = root
    for word in words:
        if not isinstance(node, click.Group):
            break
        sub = node.commands.get(word)
        if sub is None:
            break
        path.append(word)
        node = sub
    return path, node


GLOBAL_OPTION_NAMES = {
    "json_",
    "human",
    "api_base_url",
    "token",
    "token_stdin",
    "timeout",
    "allow_private_network",
}


def _options(command: click.Command, *, include_global: bool = False) -> list[dict[str, Any]]:
    rows = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        if (param.name in GLOBAL_OPTION_NAMES) != include_global:
            continue
        rows.append(
            {
                "flags": list(param.opts),
                "takes_value": not param.is_flag,
                "required": bool(param.required),
                "repeatable": bool(param.multiple),
                "help": param.help or "",
            }
        )
    return rows


def help_result(root: click.Group, argv: list[str]) -> Result:
    path, command = _resolve(root, help_words(argv))
    key = " ".join(path)
    if not path:
        data: dict[str, Any] = {
            "command": "image-skill help",
            "usage": "image-skill <doctor|trust|signup|auth|whoami|usage|quota|credits|models|"
            "capabilities|create|upload|edit|assets|jobs|activity|feedback> --json",
            "docs_url": _D,
            "commands": list(ROOT_COMMANDS),
        }
        extra_cmds = sorted(
            name for name in root.commands if name not in {r.split()[1] for r in ROOT_COMMANDS}
        )
        if extra_cmds:
            data["python_only_commands"] = extra_cmds
        data["output"] = {"default": "json", "human": "--human or IMAGE_SKILL_FORMAT=human"}
        data["global_options"] = _options(root, include_global=True)
        return ok_result("image-skill help", data)
    entry = HELP_TABLE.get(key)
    extra: dict[str, Any]
    if entry is None:
        usage = " ".join(["image-skill", *path, "--json"])
        anchor, extra = "#image-skill-" + "-".join(path), {}
    else:
        usage, anchor, extra = entry
    data = {"command": f"image-skill {key} help", "usage": usage, "docs_url": _D + anchor}
    data.update(extra)
    summary = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
    if summary:
        data["summary"] = summary
    if isinstance(command, click.Group):
        data.setdefault("subcommands", sorted(command.commands))
    data["options"] = _options(command)
    return ok_result(data["command"], data)
