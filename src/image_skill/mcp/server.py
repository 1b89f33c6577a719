"""The MCP server: the SDK's low-level ``Server`` over stdio, with the tool table
(:mod:`image_skill.mcp.tools`) and the asset resources (:mod:`image_skill.mcp.resources`).

A tool reply is the envelope the matching command prints, as JSON text and as structured
content; ``isError`` is set when the envelope says ``ok: false``. Every command the API wrote
into a reply is rebuilt as the CLI rebuilds it (:mod:`image_skill.reply_commands`, with the
context the CLI resolved at start: our prefix and the explicit ``--api-base-url``), so a
host can run it as printed against the same server. Before any reply leaves,
every token-shaped string, the server's own token and any ``token`` value are replaced by
``[REDACTED]``: the server never returns a token. The API client is synchronous, so each
call runs in a worker thread. stdout carries only the protocol; notices and logs go to
stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.mcp import resources
from image_skill.mcp.session import ServerOptions, Session, ToolFailure
from image_skill.mcp.tools import BY_NAME, TOOLS, ToolSpec
from image_skill.redaction import REDACTED, redact_tree

log = logging.getLogger("image_skill.mcp")

INSTRUCTIONS = (
    "Image Skill: generate and edit images, video, audio and 3D. Start with the guide tool "
    "(it spends nothing). create and edit with dry_run: true plan at no cost; a live run "
    "needs confirm_spend: true and is safe to retry with the idempotency_key it returns. "
    "Each reply is the JSON envelope of the matching image-skill command (ok, data, error "
    "with code and recovery)."
)


def scrub(envelope: dict[str, Any], secrets: list[str | None]) -> dict[str, Any]:
    """``envelope`` with no token left in it (changed in place and returned)."""
    redact_tree(envelope, secrets)
    _drop_token_values(envelope)
    return envelope


def _drop_token_values(node: Any) -> None:
    # redact_tree leaves a "token" key's value alone (signup --show-token prints it on
    # purpose); a tool reply never carries one.
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "token" and isinstance(value, str) and value:
                node[key] = REDACTED
            else:
                _drop_token_values(value)
    elif isinstance(node, list):
        for value in node:
            _drop_token_values(value)


def _secrets(session: Session) -> list[str | None]:
    return [
        session.options.token,
        os.environ.get(C.TOKEN_ENV),
        os.environ.get(C.HOSTED_TOKEN_ENV),
    ]


def runnable_commands(session: Session, envelope: dict[str, Any]) -> dict[str, Any]:
    """``envelope`` with its reply commands rebuilt for this server's context (in place)."""
    from image_skill.reply_commands import add_runnable_recovery, rewrite_envelope

    ctx, words = session.options.reply_ctx, session.options.command_words
    if ctx is not None:
        rewrite_envelope(envelope, ctx, commands=words)
        add_runnable_recovery(envelope, ctx, commands=words)
    return envelope


def run_tool(session: Session, spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """One tool call to its envelope, its commands made runnable; never raises."""
    try:
        envelope = _handle(session, spec, arguments)
        return runnable_commands(session, envelope)
    except Exception as exc:  # the last line of defence: an envelope, never a traceback
        traceback.print_exc(file=sys.stderr)
        text = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
        return E.failure(f"image-skill mcp {spec.name}", E.PUBLIC_CLI_FAILED, text, retryable=True)


def _handle(session: Session, spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    label = f"image-skill mcp {spec.name}"
    try:
        return spec.handler(session, arguments)
    except ToolFailure as exc:
        return exc.envelope
    except Exception as exc:  # the last line of defence: an envelope, never a traceback
        traceback.print_exc(file=sys.stderr)
        text = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
        return E.failure(label, E.PUBLIC_CLI_FAILED, text, retryable=True)


def tool_reply(envelope: dict[str, Any]) -> types.CallToolResult:
    text = json.dumps(envelope, ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=envelope,
        is_error=envelope.get("ok") is not True,
    )


def build_server(session: Session) -> Server[Any]:
    """The SDK server with our handlers bound to ``session``."""

    async def list_tools(
        _ctx: ServerRequestContext[Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_tool(spec) for spec in TOOLS])

    async def call_tool(
        _ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        spec = BY_NAME.get(params.name)
        if spec is None:
            # A protocol error (MCP: unknown tool is -32602), with the envelope as its data.
            envelope = scrub(
                E.failure(
                    "image-skill mcp serve",
                    E.INVALID_ARGUMENTS,
                    f"unknown tool {params.name!r}; tools: {', '.join(BY_NAME)}",
                ),
                _secrets(session),
            )
            raise MCPError(types.INVALID_PARAMS, envelope["error"]["message"], envelope)
        arguments = dict(params.arguments or {})
        envelope = await anyio.to_thread.run_sync(run_tool, session, spec, arguments)
        return tool_reply(scrub(envelope, _secrets(session)))

    async def list_resources(
        _ctx: ServerRequestContext[Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        rows = resources.listing(session.known_assets(), session.options.bytes_cap)
        return types.ListResourcesResult(resources=[types.Resource(**row) for row in rows])

    async def list_templates(
        _ctx: ServerRequestContext[Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=_templates(session))

    async def read_resource(
        _ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            text, blob, mime = await anyio.to_thread.run_sync(resources.read, session, uri)
        except resources.ResourceProblem as exc:
            data = scrub(exc.envelope, _secrets(session)) if exc.envelope else None
            # The message may echo the URI it was given: scrubbed like any reply.
            message = scrub({"message": str(exc)}, _secrets(session))["message"]
            raise MCPError(types.INVALID_PARAMS, message, data) from None
        if blob is not None:
            blob_contents = types.BlobResourceContents(
                uri=uri, mime_type=mime, blob=resources.encode(blob)
            )
            return types.ReadResourceResult(contents=[blob_contents])
        envelope = runnable_commands(session, json.loads(text or "{}"))
        envelope = scrub(envelope, _secrets(session))
        text_contents = types.TextResourceContents(
            uri=uri, mime_type=mime, text=json.dumps(envelope, ensure_ascii=False)
        )
        return types.ReadResourceResult(contents=[text_contents])

    return Server(
        "image-skill",
        version=C.__version__,
        title="Image Skill",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
    )


def _tool(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        description=spec.description,
        input_schema=spec.input_schema(),
        annotations=types.ToolAnnotations(
            read_only_hint=spec.read_only,
            destructive_hint=spec.spends,
            idempotent_hint=spec.read_only,
            open_world_hint=True,
        ),
    )


def _templates(session: Session) -> list[types.ResourceTemplate]:
    cap = session.options.bytes_cap
    return [
        types.ResourceTemplate(
            name="asset metadata",
            uri_template=resources.METADATA_TEMPLATE,
            mime_type="application/json",
            description="An owned asset's metadata (the assets show envelope).",
        ),
        types.ResourceTemplate(
            name="asset image bytes",
            uri_template=resources.CONTENT_TEMPLATE,
            description=f"An owned image's bytes, for images of at most {cap} bytes.",
        ),
    ]


def serve_stdio(options: ServerOptions) -> None:
    """Serve MCP on this process's stdin and stdout until the client closes stdin."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    session = Session(options)
    server = build_server(session)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    try:
        anyio.run(main)
    finally:
        session.close()
