"""Placeholder words in the commands the guide hands out, and what to put there.

Some suggested commands cannot be complete: the guide does not know the agent's inbox,
or a quote id that only exists after the previous step. Those spots hold upper-case
placeholder words; ``placeholders_in`` lists the ones a set of commands uses, each with
a sentence saying what to substitute, so an agent does not have to guess. Pure; no I/O.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

#: Placeholder word -> what to replace it with (our wording).
PLACEHOLDERS: dict[str, str] = {
    "PROMPT": "the text of what you want created, as one quoted argument",
    "AGENT_OR_OPERATOR_INBOX": (
        "an email-shaped inbox that the agent or its operator reads, e.g. agent@example.com"
    ),
    "AGENT_NAME": "a short name for this agent, e.g. docs-illustrator",
    "RUNTIME_NAME": "where the agent runs, e.g. codex, claude-code, ci or a script name",
    "KEY": (
        "an idempotency key you choose (a UUID works); keep it and reuse it if you retry "
        "the same step, so nothing is bought or created twice"
    ),
    "QUOTE_ID": "data.quote_id from the credits quote step",
    "PAYMENT_ATTEMPT_ID": "data.payment_attempt_id from the credits buy step",
    "image_...": (
        "the asset_id of an image you own: one from an earlier create, or from "
        "`upload PATH` of a local file"
    ),
}


def placeholders_in(commands: Iterable[str | None]) -> dict[str, str]:
    """The placeholders used by ``commands``, in first-seen order."""
    found: dict[str, str] = {}
    for command in commands:
        if not command:
            continue
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        for word in words:
            if word in PLACEHOLDERS and word not in found:
                found[word] = PLACEHOLDERS[word]
    return found
