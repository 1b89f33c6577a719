"""Recovery commands of live spends (create, edit, credits buy) that reach the same account.

A spend's recovery command replays the request with the same idempotency key, so the server
returns the original outcome instead of charging again. That holds only under the *same*
account: replayed with another token, the key is new to that account and it is charged a
second time. So the command must carry the token source of the original request:

* token from the saved config: the plain command (it reads the same config);
* token from ``--token`` or ``--token-stdin``: the command takes ``--token-stdin`` (never
  the raw token) and the recovery's ``token_hint`` says to pipe that same token in; run
  without it, it stops with ``AUTH_REQUIRED`` or ``INVALID_ARGUMENTS`` instead of falling
  back to the saved config's token;
* token from ``IMAGE_SKILL_TOKEN`` (or ``IMAGE_SKILL_HOSTED_TOKEN``): the command pipes that
  variable (its name, never its value) into ``--token-stdin``, so a shell where it is unset
  stops with ``AUTH_REQUIRED`` instead of spending under the saved config's account.

The recovery (``error.recovery``) of such a command gets ``token_source`` (``flag``,
``stdin`` or ``env``) and ``token_hint``; the breadcrumb records the same two keys.

Standard library only at import time (the CLI imports this module at start-up).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from image_skill._constants import HOSTED_TOKEN_ENV, TOKEN_ENV
from image_skill.cli._app import AppState
from image_skill.envelope import Result

TOKEN_STDIN_FLAG = "--token-stdin"


def token_env_name(env: Mapping[str, str] | None = None) -> str:
    """The variable an ``env`` token came from (the order of :func:`config.resolve_token`)."""
    env = os.environ if env is None else env
    return TOKEN_ENV if env.get(TOKEN_ENV) is not None else HOSTED_TOKEN_ENV


def spend_args(token_source: str | None, words: Sequence[str]) -> list[str]:
    """A spend's replay words (``words`` after the prefix, ending in ``--json``) for a token
    from ``token_source``: ``--token-stdin`` goes before ``--json`` unless the token came from
    the saved config. These are also the words a breadcrumb's ``argv`` records."""
    args = list(words)
    if token_source in ("flag", "stdin", "env"):
        at = len(args) - 1 if args and args[-1] == "--json" else len(args)
        args.insert(at, TOKEN_STDIN_FLAG)
    return args


def render_spend(
    render: Callable[[list[str]], str],
    token_source: str | None,
    args: Sequence[str],
    token_env: str | None = None,
) -> str:
    """Shell text for replay words ``args`` (from :func:`spend_args`): an env token is piped
    in from its variable ``token_env`` (default: the one set now; its name, never its
    value)."""
    command = render(list(args))
    if token_source == "env":
        from image_skill.commands import pipe_env_token

        command = pipe_env_token(command, token_env or token_env_name())
    return command


def spend_command(app: AppState, words: Sequence[str]) -> str:
    """Render a spend's recovery command (``words`` after the prefix, ending in ``--json``)
    so that it reaches the account of the token this invocation used."""
    source = app.token_source
    return render_spend(app.render, source, spend_args(source, words))


def token_note(app: AppState) -> dict[str, str] | None:
    """``{token_source, token_hint}`` for a recovery whose command needs the same token."""
    source = app.token_source
    if source == "flag":
        hint = (
            "this request's token was given with --token; the recovery command takes "
            "--token-stdin, so pipe that same token into it (it then reaches the same account "
            "and not, for example, the saved config's)"
        )
    elif source == "stdin":
        hint = (
            "this request's token was piped in with --token-stdin; pipe that same token into "
            "the recovery command, so it reaches the same account"
        )
    elif source == "env":
        name = token_env_name()
        hint = (
            f"the recovery command pipes ${name} into --token-stdin; run it where {name} "
            "still holds this request's token (unset, it stops with AUTH_REQUIRED instead "
            "of using another account's token)"
        )
    else:
        return None
    return {"token_source": source, "token_hint": hint}


def annotate(result: Result, recovery_command: str, note: Mapping[str, str] | None) -> None:
    """Add the token note to the recovery whose suggested command is ours."""
    if note is None:
        return
    error = result.envelope.get("error")
    recovery = error.get("recovery") if isinstance(error, dict) else None
    if isinstance(recovery, dict) and recovery.get("suggested_command") == recovery_command:
        recovery.update(note)


def use_our_recovery_command(result: Result, key: str, recovery_command: str) -> None:
    """Put our recovery command into a server's "retry with the same key" recovery.

    The server never echoes the prompt, so its retry command says ``--prompt-file
    PROMPT_FILE`` (a placeholder) and it cannot know our ``--api-base-url``, ``--output`` or
    local reference paths: it is not runnable as printed. Ours repeats this very request
    with the same key, so it is.
    """
    error = result.envelope.get("error")
    if result.ok or not isinstance(error, dict) or error.get("retryable") is not True:
        return
    recovery = error.get("recovery")
    if not isinstance(recovery, dict) or recovery.get("idempotency_key") != key:
        return
    if "suggested_command" in recovery:
        recovery["suggested_command"] = recovery_command
        recovery.pop("placeholders", None)
