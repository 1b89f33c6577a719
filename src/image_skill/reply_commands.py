"""Every command a reply hands out, made copy-runnable here (contract 0.1.70 §0.1, §7).

Servers write their suggestions as plain ``image-skill ...`` text. Run as printed, such a
command needs an ``image-skill`` on ``PATH`` (not there after a ``pip install --user`` or a
``uvx`` run) and talks to whatever API the shell defaults to. The npm client 0.1.70 passes
the command fields of quota, credits, create/edit, jobs, activity and assets replies through
its ``npx_ready`` helper; this module is our version of that step, applied once to the
envelope a command is about to print:

* a command is rebuilt from its words (:func:`image_skill.commands.rerender_server_command`):
  our program prefix, every word shell-quoted, the explicit ``--api-base-url`` of this
  invocation in place of any the server named, and in front the environment a suggested
  command repeats (``IMAGE_SKILL_CONFIG_PATH``, ``IMAGE_SKILL_DISCOVERY_SOURCE``; see
  :func:`image_skill.commands.carried_env`);
* text that is not plain shell words (``$(...)``, backticks, ``;`` ...) or not an
  ``image-skill`` command with a known command word is left as it is, and one warning names
  where it was, so nothing hostile is made to look runnable;
* text that does not start with the program word (already rendered by us, ``curl ...``) is
  not touched, which also makes the step idempotent.

Which strings are commands: in ``data`` (and ``error.recovery.top_up``), the string value of
a ``command`` key, of a key ending in ``_command`` (or holding ``_command_``, as
``status_command_after_payment``) or named ``settle_with``, the string
items of a list under a key ending in ``_commands``, and the string values (or items) under
a ``commands`` key. Records are never rewritten: the subtrees ``data.request`` (what was
asked), ``data.feedback`` (an echo of the user's own text) and ``data.in_flight`` (doctor's
breadcrumb report, rendered by us from the breadcrumb files). Guide replies (schema
``image-skill.create-guide.v1`` / ``image-skill.edit-guide.v1``) are left to the guide,
which renders its own commands.

For a failure, only a recovery that carries a ``top_up`` is rewritten (§7.4): its
``suggested_command(s)`` and the commands inside ``top_up``. Other recoveries keep the
server's ``suggested_command`` and get a separate ``runnable_command``
(:func:`add_runnable_recovery`).

Used by the CLI (every envelope it prints, in ``cli/_root.py``) and by the
MCP server (every tool reply, with the server's own context), so the commands either hands
out run with the same prefix and ``--api-base-url``. Pure: the caller passes the
:class:`~image_skill.commands.CommandContext` and the command words; no I/O. Standard
library only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from image_skill.commands import (
    CommandContext,
    carried_env,
    rerender_server_command,
    runnable_server_command,
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

#: Top-level ``data`` members that are records, never suggestions.
RECORD_KEYS = frozenset({"request", "feedback", "in_flight"})
GUIDE_SCHEMAS = frozenset({"image-skill.create-guide.v1", "image-skill.edit-guide.v1"})
#: Keys whose string value is kept verbatim wherever they appear (a record of a file's text).
VERBATIM_KEYS = frozenset({"original_recover_command"})

UNSAFE_WARNING = (
    "these reply fields hold a command that is not plain image-skill words (shell syntax "
    "such as substitutions, operators or globs, or an unknown command), so it was not made "
    "runnable here and should not be run as written: {paths}"
)


def reply_context(
    base: CommandContext, environ: Mapping[str, str], *, carry_api_base_url: bool = True
) -> CommandContext:
    """The context commands in replies are rendered with: ``base`` (our prefix and the
    explicit ``--api-base-url``, unless ``carry_api_base_url`` is false) plus the carried
    environment of ``environ`` (0.1.70's env prefix, §0.1)."""
    api = base.api_base_url if carry_api_base_url else None
    return base._replace(api_base_url=api, env=(*base.env, *carried_env(environ)))


def is_command_key(key: str) -> bool:
    """Whether the string value of ``key`` is a command (``command``, ``quote_command``,
    ``status_command_after_payment``, ``settle_with``)."""
    return (
        key == "command" or key.endswith("_command") or "_command_" in key or key == "settle_with"
    )


def _is_command_list_key(key: str) -> bool:
    return key.endswith("_commands") or key == "commands"


@dataclass
class Rewriter:
    """Rewrites server commands with one render context; collects refused field paths.

    ``ctx`` is the prefix, the explicit ``--api-base-url`` and the carried environment.
    ``commands`` are the command words of this CLI (``None`` accepts any command word).
    """

    ctx: CommandContext
    commands: Collection[str] | None = None
    refused: list[str] = field(default_factory=list)
    changed: int = 0

    def command(self, text: str, path: str = "") -> str:
        """``text`` made runnable here, or ``text`` itself when it is not ours to change."""
        out = runnable_server_command(text, self.ctx, commands=self.commands)
        if out is None:
            self.refused.append(path or "command")
            return text
        if out != text:
            self.changed += 1
        return out

    def tree(self, node: Any, path: str) -> Any:
        """Rewrite the commands inside ``node`` in place (see the module docstring)."""
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str) or key in VERBATIM_KEYS:
                    continue
                where = f"{path}.{key}"
                if isinstance(value, str):
                    if is_command_key(key):
                        node[key] = self.command(value, where)
                elif _is_command_list_key(key) and isinstance(value, list | dict):
                    self._commands(value, where)
                else:
                    self.tree(value, where)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self.tree(value, f"{path}[{index}]")
        return node

    def _commands(self, value: list[Any] | dict[str, Any], path: str) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    value[index] = self.command(item, f"{path}[{index}]")
                else:
                    self.tree(item, f"{path}[{index}]")
            return
        for key, item in value.items():
            if isinstance(item, str):
                value[key] = self.command(item, f"{path}.{key}")
            else:
                self.tree(item, f"{path}.{key}")

    def warning(self) -> str | None:
        if not self.refused:
            return None
        return UNSAFE_WARNING.format(paths=", ".join(self.refused))


def rewrite_envelope(
    envelope: dict[str, Any],
    ctx: CommandContext,
    *,
    commands: Collection[str] | None = None,
    extra: Callable[[Rewriter, dict[str, Any]], None] | None = None,
) -> Rewriter:
    """Rewrite the commands of ``envelope`` in place; return the rewriter (its ``warning()``
    names refused fields, already appended to the envelope's warnings).

    ``extra`` runs after the generic pass with the same rewriter (a command's own step).
    """
    rewriter = Rewriter(ctx, commands)
    data = envelope.get("data")
    if isinstance(data, dict) and data.get("schema") not in GUIDE_SCHEMAS:
        for key, value in data.items():
            if not isinstance(key, str) or key in RECORD_KEYS or key in VERBATIM_KEYS:
                continue
            if isinstance(value, str):
                if is_command_key(key):
                    data[key] = rewriter.command(value, f"data.{key}")
            elif _is_command_list_key(key) and isinstance(value, list | dict):
                rewriter._commands(value, f"data.{key}")
            else:
                rewriter.tree(value, f"data.{key}")
    error = envelope.get("error")
    recovery = error.get("recovery") if isinstance(error, dict) else None
    if isinstance(recovery, dict) and recovery.get("top_up") is not None:
        _rewrite_quota_recovery(rewriter, recovery)
    if extra is not None:
        extra(rewriter, envelope)
    warning = rewriter.warning()
    if warning is not None:
        warnings = envelope.get("warnings")
        if not isinstance(warnings, list):
            warnings = envelope["warnings"] = []
        warnings.append(warning)
    return rewriter


def _rewrite_quota_recovery(rewriter: Rewriter, recovery: dict[str, Any]) -> None:
    """§7.4: a quota or payment failure whose recovery names a ``top_up``."""
    single = recovery.get("suggested_command")
    if isinstance(single, str):
        recovery["suggested_command"] = rewriter.command(single, "error.recovery.suggested_command")
    several = recovery.get("suggested_commands")
    if isinstance(several, list):
        rewriter._commands(several, "error.recovery.suggested_commands")
    rewriter.tree(recovery["top_up"], "error.recovery.top_up")


UNSAFE_SUGGESTION_WARNING = (
    "error.recovery.suggested_command holds shell syntax (substitutions, operators or globs) "
    "or is not a plain image-skill command; no runnable_command is offered for it, and it "
    "should not be run as written"
)


def add_runnable_recovery(
    envelope: dict[str, Any], ctx: CommandContext, *, commands: Collection[str] | None = None
) -> None:
    """Add ``error.recovery.runnable_command`` when the suggested command, as the server
    wrote it (``image-skill ...``), would not run as printed here: our program prefix differs
    or the explicit ``--api-base-url`` is missing. The server's keys stay unchanged.

    The runnable command is rebuilt from the server text's words by our renderer, so nothing
    in it reaches the shell unquoted. Text that is not plain words (``$(...)``, backticks,
    ``;`` ...) or not an ``image-skill`` command is not made runnable, and a warning says so.
    """
    error = envelope.get("error")
    recovery = error.get("recovery") if isinstance(error, dict) else None
    if not isinstance(recovery, dict) or "runnable_command" in recovery:
        return
    command = recovery.get("suggested_command")
    if not isinstance(command, str) or not command.startswith("image-skill "):
        return
    runnable = rerender_server_command(command, ctx, commands=commands)
    if runnable is None:
        warnings = envelope.get("warnings")
        if warnings is None:
            warnings = envelope["warnings"] = []
        if isinstance(warnings, list):
            warnings.append(UNSAFE_SUGGESTION_WARNING)
    elif runnable != command:
        recovery["runnable_command"] = runnable
