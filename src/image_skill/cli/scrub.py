"""The last step before a result is printed: no token in it (see :mod:`image_skill.redaction`).

Token-shaped text and the tokens this run knows of (``--token`` values, the token
variables, the saved config token) are replaced by ``[REDACTED]`` everywhere in the
envelope, and a warning says how many were, since a command shown with a replaced value
does not run as printed.
"""

from __future__ import annotations

import os

from image_skill.envelope import Result

REDACTION_WARNING = (
    "{count} token-shaped string(s) were replaced by [REDACTED] in this output; a command "
    "shown here that held one does not run as printed: put your own value back first"
)


def known_secrets(args: list[str]) -> list[str]:
    """Tokens this run knows of: ``--token`` values, the token variables, the saved one."""
    found: list[str] = []
    for index, word in enumerate(args):
        if word == "--":
            break
        if word == "--token" and index + 1 < len(args):
            found.append(args[index + 1])
        elif word.startswith("--token="):
            found.append(word.split("=", 1)[1])
    for name in ("IMAGE_SKILL_TOKEN", "IMAGE_SKILL_HOSTED_TOKEN"):
        found.append(os.environ.get(name, ""))
    try:
        from image_skill.config import config_path, saved_token

        found.append(saved_token(config_path()) or "")
    except Exception:  # a corrupt config is reported by the commands that read it
        pass
    return found


def scrub(result: Result, args: list[str]) -> None:
    """Redact ``result``'s envelope in place, adding the warning when anything changed."""
    from image_skill.redaction import redact_tree

    try:
        count = redact_tree(result.envelope, known_secrets(args))
    except RecursionError:  # a reply nested too deeply to walk cannot be printed either
        count = 0
    if count:
        warnings = result.envelope.get("warnings")
        note = REDACTION_WARNING.format(count=count)
        if isinstance(warnings, list):
            warnings.append(note)
        else:
            result.envelope["warnings"] = [note]
