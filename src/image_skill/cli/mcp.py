"""`image-skill mcp serve`: serve the Image Skill tools to MCP hosts over stdio.

The connection is resolved here exactly as for every other command: ``--api-base-url``
(``local`` runs the backend in this process), then the environment, the saved config; the
token by the documented order, once, at start. It is handed to :mod:`image_skill.mcp` (the
only place the CLI imports that package, and only when this command runs).

While the server runs, stdout carries only the MCP protocol: the start notice and spend
notices go to stderr, and a server that ends (the host closed stdin, Ctrl-C, SIGTERM) prints
nothing on stdout. A failure before the server starts (no ``mcp`` extra, a bad token, an
unusable base URL) is the usual single envelope and exit code. ``--token-stdin`` is refused:
stdin is the protocol.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from image_skill import envelope as E
from image_skill.cli._app import AppState, auth_required, common_options, state
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.mcp.session import SpendReplay

LABEL = "image-skill mcp serve"


@click.group("mcp")
@common_options
def mcp() -> None:
    """Serve the Image Skill tools to MCP hosts (desktop assistants, IDE agents)."""


@mcp.command("serve")
@common_options
def mcp_serve() -> Result:
    """Run an MCP server on stdin/stdout until the host closes it (extra 'mcp')."""
    app = state()
    if app.token_stdin:
        return E.invalid(
            LABEL,
            "mcp serve reads the MCP protocol on stdin, so it cannot take --token-stdin; "
            "save the token (image-skill auth save --token-stdin) or set IMAGE_SKILL_TOKEN",
        )
    try:
        from image_skill.mcp import require_sdk

        require_sdk()
    except ImportError:
        return _sdk_missing()
    from image_skill.mcp import ServerOptions
    from image_skill.mcp.server import serve_stdio

    base_url = app.base_url()
    app.client(None)  # the local extra and the base URL are checked before serving
    resolution = app.resolve_token(LABEL, allow_missing=True)
    failure = None
    if resolution.token is None:
        failure = auth_required(LABEL, app, resolution.withheld_for).envelope
    from image_skill.cli._root import root
    from image_skill.cli.guide_run import guide_command_ctx
    from image_skill.reply_commands import reply_context

    options = ServerOptions(
        base_url=base_url,
        config_path=app.config_path(),
        token=resolution.token,
        token_source=resolution.source,
        auth_failure=failure,
        explicit_base_url=app.api_base_url,
        timeout=app.timeout,
        allow_private_network=app.private_network_allowed(),
        spend_replay=spend_replay(app),
        command_ctx=guide_command_ctx(app),
        reply_ctx=reply_context(app.command_ctx(), os.environ),
        command_words=frozenset(root.command_names()),
    )
    account = "with a token" if resolution.token is not None else "without a token"
    app.out.notice(f"image-skill MCP server on stdio (API: {base_url}, {account})")
    from image_skill.cli import restore_collector

    restore_collector()  # a server runs for hours: the usual collector thresholds
    code = 0
    try:
        serve_stdio(options)
    except KeyboardInterrupt:
        code = 130
    return _quiet(code)


def _quiet(code: int) -> Result:
    """A result that prints nothing on stdout (the protocol owned it) with exit ``code``."""
    from image_skill.cli.output import TextResult

    result = TextResult("", LABEL, {"served": True})
    result.exit_code = code
    return result


def _sdk_missing() -> Result:
    import shlex

    def pip(*words: str) -> str:
        return " ".join(shlex.quote(w) for w in (sys.executable, "-m", "pip", "install", *words))

    return E.error_result(
        LABEL,
        E.PUBLIC_CLI_FAILED,
        "mcp serve needs the 'mcp' extra (the MCP Python SDK)",
        recovery={
            "suggested_command": pip("image-skill[mcp]"),
            "from_a_checkout": pip("-e", ".[mcp]"),
        },
    )


# -- the breadcrumb of a spend made through MCP ------------------------------------------


def spend_replay(app: AppState) -> SpendReplay:
    """How a spend made through MCP is written into its breadcrumb: the CLI words that
    replay it (so ``doctor`` prints a runnable recovery), under the CLI's token rules."""
    from image_skill.cli._recovery import spend_args, token_env_name, token_note
    from image_skill.commands import command_words

    ctx = app.command_ctx()
    source = app.token_source
    note = token_note(app)
    if source == "env":
        note = {**(note or {}), "token_env": token_env_name()}

    def replay(operation: str, body: dict[str, Any]) -> tuple[list[str], dict[str, str] | None]:
        words = [operation, *body_words(operation, body), "--json"]
        args = command_words(spend_args(source, words), ctx)[len(ctx.prefix) :]
        return args[len(operation.split()) :], note

    return replay


_HEAD = {"create": ("--prompt",), "edit": ("--input", "--mask", "--prompt")}
_BODY_KEYS = {"--input": "input_asset_id", "--mask": "mask_asset_id"}


def _body_key(flag: str) -> str:
    if flag in _BODY_KEYS:
        return _BODY_KEYS[flag]
    return flag.removeprefix("--").removesuffix("-json").replace("-", "_")


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return repr(value) if isinstance(value, float) else str(value)


def body_words(operation: str, body: dict[str, Any]) -> list[str]:
    """The create/edit flags that send ``body`` again, in the order of the CLI's own
    recovery commands (:data:`image_skill.cli.job_options.RECOVERY_FLAGS`), ending with
    the idempotency key. A body key the command has no flag for is not repeated."""
    from image_skill.cli.job_options import RECOVERY_FLAGS
    from image_skill.cli.references import ReferencePlan, format_value

    words: list[str] = []
    for flag in (*_HEAD[operation], *RECOVERY_FLAGS[operation]):
        value = body.get(_body_key(flag))
        if value is not None:
            words += [flag, _text(value)]
    if body.get("accept_unknown_cost") is True:
        words.append("--accept-unknown-cost")
    for item in body.get("references") or []:
        flag = str(item.get("role", "")).replace("_", "-")
        plan = ReferencePlan(
            flag=flag,
            image=str(item.get("asset_id")),
            index=int(item.get("index", 0)),
            reference_index=item.get("reference_index"),
            reference_task=item.get("reference_task"),
        )
        words += [f"--{flag}", format_value(plan)]
    return [*words, "--idempotency-key", str(body["idempotency_key"])]


COMMANDS = [mcp]
