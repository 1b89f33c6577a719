"""``image-skill mcp serve``: the Image Skill tools for MCP hosts, over stdio.

Built on the official MCP Python SDK (the optional extra ``mcp``). The package sits beside
the CLI (it may use the guide, file handling, the API client and the shared core, never the
CLI); the CLI's ``mcp`` command resolves the connection as every command does and hands it
over as :class:`~image_skill.mcp.session.ServerOptions`.

* :mod:`~image_skill.mcp.server`: the SDK server, replies and the token scrub;
* :mod:`~image_skill.mcp.tools`: the tool table and input schemas;
* :mod:`~image_skill.mcp.readonly` / :mod:`~image_skill.mcp.spending`: the tool handlers;
* :mod:`~image_skill.mcp.resources`: assets as resources;
* :mod:`~image_skill.mcp.session`: the connection, the client and the assets seen.

Importing this package imports nothing heavy; the SDK loads with the server.
"""

from __future__ import annotations

from image_skill.mcp.session import DEFAULT_BYTES_CAP, ServerOptions

__all__ = ["DEFAULT_BYTES_CAP", "ServerOptions", "require_sdk"]


def require_sdk() -> None:
    """Raise ImportError when the ``mcp`` extra (the MCP SDK) is not installed."""
    import importlib.util

    if importlib.util.find_spec("mcp") is None or importlib.util.find_spec("mcp.server") is None:
        raise ImportError("the MCP server needs the 'mcp' extra (the MCP Python SDK)")
