"""The CLI's use of the reply-command rewriter (:mod:`image_skill.reply_commands`).

The rewriter itself lives in the shared core, so the MCP server applies the same rules to
its tool replies; this module keeps the names the CLI imports.
"""

from __future__ import annotations

from image_skill.reply_commands import (
    RECORD_KEYS,
    UNSAFE_SUGGESTION_WARNING,
    UNSAFE_WARNING,
    Rewriter,
    add_runnable_recovery,
    is_command_key,
    reply_context,
    rewrite_envelope,
)

__all__ = [
    "RECORD_KEYS",
    "UNSAFE_SUGGESTION_WARNING",
    "UNSAFE_WARNING",
    "Rewriter",
    "add_runnable_recovery",
    "is_command_key",
    "reply_context",
    "rewrite_envelope",
]
