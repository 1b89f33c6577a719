"""Fixtures of the MCP server tests (:mod:`mcptools`)."""

from mcptools import mcp_client  # noqa: F401
