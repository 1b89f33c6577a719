"""Helpers for the MCP server tests: one ``image-skill mcp serve --api-base-url local`` process
per test module, driven by the MCP SDK's own stdio client (``mcp.client.stdio``) through a
blocking portal, so the tests themselves stay synchronous."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from clitools import SIGNUP
from e2etools import run, script

if TYPE_CHECKING:  # the SDK is imported when a client connects (it takes ~1.5 s)
    from mcp import ClientSession


@dataclass
class McpClient:
    """A connected SDK client session and the environment of its server."""

    portal: BlockingPortal
    session: ClientSession
    env: dict[str, str]
    stderr_path: Path
    base_url: str = "local"

    def call(self, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call ``tool`` and return the envelope it replied with (checked against its text)."""
        result = self.portal.call(self.session.call_tool, tool, arguments or {})
        envelope = result.structured_content
        assert isinstance(envelope, dict), result
        assert len(result.content) == 1
        assert json.loads(result.content[0].text) == envelope  # type: ignore[union-attr]
        assert result.is_error is (envelope.get("ok") is not True)
        return envelope

    def cli(self, *args: str) -> dict[str, Any]:
        """The CLI on the same config and local data (a separate process)."""
        done = run(*args, "--api-base-url", self.base_url, env=self.env)
        envelope: dict[str, Any] = json.loads(done.stdout)
        return envelope

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")


def mcp_env(root: Path) -> dict[str, str]:
    (root / "home").mkdir(parents=True, exist_ok=True)
    return {
        "PATH": str(Path(script()).parent) + os.pathsep + os.environ.get("PATH", ""),
        "HOME": str(root / "home"),
        "IMAGE_SKILL_LOCAL_DIR": str(root / "local-data"),
        "IMAGE_SKILL_CONFIG_PATH": str(root / "cfg" / "config.json"),
        "NO_COLOR": "1",
    }


@contextmanager
def connect(env: dict[str, str], cwd: Path, base_url: str) -> Iterator[McpClient]:
    """``image-skill mcp serve --api-base-url BASE`` under ``env``, connected and initialized."""
    args = ["mcp", "serve", "--api-base-url", base_url]
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=script(), args=args, env=env, cwd=cwd)
    stderr_path = cwd / "server-stderr.txt"
    with stderr_path.open("w", encoding="utf-8") as errlog, start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(stdio_client(params, errlog=errlog)) as streams:
            read, write = streams
            with portal.wrap_async_context_manager(ClientSession(read, write)) as session:
                portal.call(session.initialize)
                yield McpClient(portal, session, env, stderr_path, base_url)


@pytest.fixture(scope="module")
def mcp_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpClient]:
    """A signed-up local account and an MCP server on it (in-process backend)."""
    root = tmp_path_factory.mktemp("mcp")
    env = mcp_env(root)
    signup = run(*SIGNUP, "--api-base-url", "local", env=env)
    assert signup.exit_code == 0, signup.stdout
    with connect(env, root, "local") as client:
        yield client
