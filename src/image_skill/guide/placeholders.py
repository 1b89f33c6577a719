"""Placeholder words in the commands the guide hands out (contract 0.1.70 §0.2).

Some suggested commands cannot be complete: a quote id only exists after the quote step, and
an input image must be one the agent owns. Those spots hold placeholder words from a fixed
table. A command is *copy-runnable* when it holds none of them.

* :func:`missing_inputs` and :func:`effect_placeholders` list the words present in one
  command, in table order, in the two shapes of the contract;
* :func:`placeholders_in` (ours, kept from 0.1.30) maps every word used by several commands
  to what to substitute, in first-seen order.

A word counts when it is not glued to an ASCII letter, digit or underscore on either side, so
``"PROMPT"`` (quoted) counts, while ``IMAGE_SKILL_TOKEN`` does not hold ``KEY`` and
``--idempotency-key`` is not ``KEY``. Pure; no I/O.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Any, NamedTuple


class Placeholder(NamedTuple):
    token: str
    flag: str
    description: str
    value_description: str
    example: str | None


#: The contract's table, in its order (descriptions in our words, examples as published).
TABLE: tuple[Placeholder, ...] = (
    Placeholder(
        "AGENT_OR_OPERATOR_INBOX",
        "--agent-contact",
        "email-shaped durable contact inbox",
        "an email-shaped inbox that the agent or its operator reads; optional, and it can be "
        "attached later with `claim request --contact INBOX`",
        "agent-inbox@example.com",
    ),
    Placeholder(
        "AGENT_NAME",
        "--agent-name",
        "stable agent identity name",
        "a short, stable name for this agent",
        "codex-image-worker",
    ),
    Placeholder(
        "RUNTIME_NAME",
        "--runtime",
        "agent/runtime substrate name",
        "where the agent runs, such as codex-cli, claude-code, ci or a script name",
        "codex-cli",
    ),
    Placeholder(
        "PROMPT",
        "--prompt",
        "real creative prompt",
        "the text of what you want made, as one quoted argument",
        "a compact field camera on a stainless workbench",
    ),
    Placeholder(
        "KEY",
        "--idempotency-key",
        "unique idempotency key",
        "an idempotency key you choose (a UUID works); reuse it when you retry the same step, "
        "so nothing is bought or created twice",
        "agent-generated-idempotency-key",
    ),
    Placeholder(
        "QUOTE_ID",
        "--quote-id",
        "quote id from credits quote",
        "data.quote_id from the reply of the credits quote step",
        None,
    ),
    Placeholder(
        "PAYMENT_ATTEMPT_ID",
        "--payment-attempt-id",
        "payment attempt id from credits buy",
        "data.payment_attempt_id from the reply of the credits buy step",
        None,
    ),
    Placeholder(
        "image_...",
        "--input",
        "Image Skill input asset id",
        "the asset_id of an image you own: one from an earlier create, or from `upload PATH` "
        "of a local file",
        None,
    ),
)
#: token -> what to substitute (the shape of our ``placeholders`` block).
PLACEHOLDERS: dict[str, str] = {row.token: row.value_description for row in TABLE}

_PATTERNS = {
    row.token: re.compile(r"(?:^|[^\w])" + re.escape(row.token) + r"(?=$|[^\w])", re.ASCII)
    for row in TABLE
}


def present(command: str | None) -> list[Placeholder]:
    """The table rows whose token appears in ``command``, in table order."""
    if not command:
        return []
    return [row for row in TABLE if _PATTERNS[row.token].search(command)]


def missing_inputs(command: str | None) -> list[dict[str, Any]]:
    """``next_command_missing_inputs``: what must be filled before ``command`` can run."""
    return [
        {
            "flag": row.flag,
            "placeholder": row.token,
            "value_description": row.value_description,
            "example": row.example,
        }
        for row in present(command)
    ]


def effect_placeholders(command: str | None) -> list[dict[str, Any]]:
    """``placeholders`` inside an effect object."""
    return [
        {"token": row.token, "description": row.description, "required": True}
        for row in present(command)
    ]


def copy_runnable(command: str | None) -> bool:
    """True when ``command`` holds no placeholder and can be run as printed."""
    return not present(command)


def placeholders_in(commands: Iterable[str | None]) -> dict[str, str]:
    """The placeholders used by ``commands`` (whole shell words), in first-seen order."""
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
