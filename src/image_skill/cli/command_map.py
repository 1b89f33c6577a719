"""Every command of the root group, by name: ``name -> "module:attr"``, in help order.

The one registry (see :mod:`image_skill.cli.registry`): the root group imports a command's
module only when that command is used. Plain data, so the start-up fast path
(:mod:`image_skill.cli.fast`) can list the commands without importing click.
"""

from __future__ import annotations

from image_skill.cli.aliases import ALIAS_WORDS

__all__ = ["COMMANDS"]

COMMANDS = {
    "doctor": "image_skill.cli.doctor:doctor",
    "trust": "image_skill.cli.trust:trust",
    "signup": "image_skill.cli.signup:signup",
    "claim": "image_skill.cli.claim:claim",
    "auth": "image_skill.cli.auth:auth",
    "whoami": "image_skill.cli.auth:whoami",
    "usage": "image_skill.cli.usage:usage",
    "quota": "image_skill.cli.usage:quota",
    "credits": "image_skill.cli.credits:credits",
    "models": "image_skill.cli.models:models",
    "capabilities": "image_skill.cli.capabilities:capabilities",
    "create": "image_skill.cli.create:create",
    "upload": "image_skill.cli.upload:upload",
    "edit": "image_skill.cli.edit:edit",
    "batch": "image_skill.cli.batch:batch",
    "assets": "image_skill.cli.assets:assets",
    "jobs": "image_skill.cli.jobs:jobs",
    "activity": "image_skill.cli.activity:activity",
    "feedback": "image_skill.cli.feedback:feedback",
    "local": "image_skill.cli.local:local",
    "mcp": "image_skill.cli.mcp:mcp",
    "completion": "image_skill.cli.completion:completion",
    **{word: "image_skill.cli.alias_commands:GROUPS" for word in ALIAS_WORDS},
}
