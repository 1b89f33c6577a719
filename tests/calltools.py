"""Turn an API client :class:`~image_skill.api.reply.Reply` into the CLI's result, the way
a command does (:func:`image_skill.cli.calls.to_result`), for tests of that mapping."""

from __future__ import annotations

from image_skill.api.reply import Reply
from image_skill.cli.calls import to_result
from image_skill.envelope import Result

DOCTOR = "image-skill doctor --json"


def as_cli(reply: Reply, label: str = "image-skill test", recovery: str | None = None) -> Result:
    """The result a command labelled ``label`` prints for ``reply``."""
    return to_result(reply, label=label, recovery_command=recovery, doctor_command=lambda: DOCTOR)
