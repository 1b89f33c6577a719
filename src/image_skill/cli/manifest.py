"""The public command manifest (``image-skill.public-command-manifest.v1``, contract 0.1.70
§9.3), built from the help table; ``scripts/gen_cli_docs.py`` writes it to
docs/commands.json.

Pure: commands in it use the plain program name ``image-skill`` (a static file cannot know
how the reader runs the program).
"""

from __future__ import annotations

from typing import Any

from image_skill import _constants as C
from image_skill.cli.aliases import manifest_rows
from image_skill.cli.help import HELP_TABLE, HIDDEN_FROM_ROOT, ROOT_COMMANDS, ROOT_USAGE

SCHEMA = "image-skill.public-command-manifest.v1"
PRODUCT_FRAME = (
    "Image Skill is a command line and public contract through which agents create, edit "
    "and keep images, video, audio and 3D assets, with explicit spend guards."
)

#: (id, surface, mutation, spend, subcommands) in the manifest's order.
_COMMANDS: tuple[tuple[str, str, bool, bool, tuple[str, ...]], ...] = (
    ("doctor", "client", False, False, ()),
    ("trust", "client", False, False, ()),
    ("signup", "hosted_cli", True, False, ()),
    ("claim", "hosted_cli", True, False, ("request",)),
    ("whoami", "hosted_cli", False, False, ()),
    ("usage", "hosted_cli", False, False, ("quota",)),
    ("quota", "hosted_cli", False, False, ()),
    ("credits", "hosted_cli", True, True, ("methods", "packs list", "quote", "buy", "status")),
    ("capabilities", "hosted_cli", False, False, ("list", "show")),
    ("models", "hosted_cli", False, False, ("list", "show")),
    ("create", "hosted_cli", True, True, ()),
    ("upload", "client", True, False, ()),
    ("edit", "client", True, True, ()),
    ("assets", "hosted_cli", False, False, ("show", "get")),
    ("jobs", "hosted_cli", False, False, ("show", "wait")),
    ("activity", "hosted_cli", False, False, ("list", "show")),
    ("feedback", "hosted_cli", True, False, ("create",)),
)
_ANCHORS = {"signup": "image-skill-signup-agent", "claim": "image-skill-claim-request"}


def _command_rows() -> list[dict[str, Any]]:
    rows = []
    for command_id, surface, mutation, spend, subcommands in _COMMANDS:
        row: dict[str, Any] = {
            "id": command_id,
            "docs_anchor": _ANCHORS.get(command_id, f"image-skill-{command_id}"),
            "surface": surface,
            "mutation": mutation,
            "spend": spend,
        }
        if subcommands:
            row["subcommands"] = list(subcommands)
        rows.append(row)
    return rows


def root_help_entry() -> dict[str, Any]:
    from image_skill.guide.recovery import agent_skill

    return {
        "command": "help",
        "usage": ROOT_USAGE,
        "docs_url": C.DOCS_URL,
        "agent_skill": agent_skill(lambda words: " ".join(["image-skill", *words])),
        "commands": list(ROOT_COMMANDS),
    }


def help_entry(key: str) -> dict[str, Any]:
    usage, anchor, extra = HELP_TABLE[key]
    return {
        "command": f"image-skill {key} help",
        "usage": usage,
        "docs_url": C.DOCS_URL + anchor,
        **extra,
    }


def _entry_keys() -> list[str]:
    """Help-table keys without the hidden ``auth`` entries; ``capabilities*`` before
    ``models*`` (the manifest's order)."""
    keys = [k for k in HELP_TABLE if k.split()[0] not in HIDDEN_FROM_ROOT]
    caps = [k for k in keys if k.split()[0] == "capabilities"]
    rest = [k for k in keys if k not in caps]
    first_model = next(i for i, k in enumerate(rest) if k.split()[0] == "models")
    return [*rest[:first_model], *caps, *rest[first_model:]]


def build_manifest() -> dict[str, Any]:
    entries = [{"key": "", "help": root_help_entry()}]
    entries += [{"key": key, "help": help_entry(key)} for key in _entry_keys()]
    return {
        "schema": SCHEMA,
        "command_prefix": "image-skill",
        "product_frame": PRODUCT_FRAME,
        "skill_url": C.SKILL_URL,
        "docs_url": C.DOCS_URL,
        "llms_url": C.LLMS_URL,
        "commands": _command_rows(),
        "modality_aliases": manifest_rows(),
        "help_entries": entries,
    }
