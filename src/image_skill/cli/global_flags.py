"""The options every command accepts, as plain data (no click).

One table feeds both the click options (:func:`image_skill.cli._app.common_options` adds
the callbacks and types) and the ``global_options`` rows of the root help, so the help that
:mod:`image_skill.cli.fast` prints without importing click cannot drift from the options
click parses.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["GLOBAL_FLAGS", "GlobalFlag", "help_rows"]


class GlobalFlag(NamedTuple):
    flag: str
    #: The click parameter name (``json_`` for ``--json``) and the AppState key it sets.
    name: str
    is_flag: bool
    metavar: str | None
    help: str


GLOBAL_FLAGS: tuple[GlobalFlag, ...] = (
    GlobalFlag("--json", "json_", True, None, "Print the JSON envelope (the default)."),
    GlobalFlag("--human", "human", True, None, "Render the result for a person instead of JSON."),
    GlobalFlag(
        "--api-base-url",
        "api_base_url",
        False,
        "URL",
        "API base URL, or 'local' for the in-process backend.",
    ),
    GlobalFlag(
        "--token", "token", False, "TOKEN", "Bearer token for this call (prefer --token-stdin)."
    ),
    GlobalFlag("--token-stdin", "token_stdin", True, None, "Read the token from stdin."),
    GlobalFlag(
        "--timeout",
        "timeout",
        False,
        "SECONDS",
        "Time limit for each API request attempt (connect and whole reply).",
    ),
    GlobalFlag(
        "--allow-private-network",
        "allow_private_network",
        True,
        None,
        "Let URL inputs and asset downloads use loopback or private network addresses.",
    ),
)


def help_rows() -> list[dict[str, Any]]:
    """The root help's ``global_options``, in the shape of every command's ``options``."""
    return [
        {
            "flags": [flag.flag],
            "takes_value": not flag.is_flag,
            "required": False,
            "repeatable": False,
            "help": flag.help,
        }
        for flag in GLOBAL_FLAGS
    ]
