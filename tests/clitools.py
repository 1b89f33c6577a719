"""Run the CLI in-process for tests: `invoke("whoami", ...)` -> CliResult; plus the bits the
CLI and end-to-end tests share (a signup command line, a free loopback port)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner

#: A local agent signup, as CLI arguments.
SIGNUP = (
    "signup",
    "--agent",
    "--agent-contact",
    "agent@example.com",
    "--agent-name",
    "demo",
    "--runtime",
    "test",
)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        parsed = json.loads(self.stdout)
        assert isinstance(parsed, dict)
        return parsed

    @property
    def data(self) -> Any:
        return self.json["data"]

    @property
    def code(self) -> str | None:
        error = self.json.get("error")
        return error.get("code") if isinstance(error, dict) else None


def invoke(
    *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
) -> CliResult:
    """Run `image-skill ARGS` in-process through main(), capturing stdout and stderr apart."""
    from image_skill.cli import main

    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        code = main(list(args))
        stdout = out.getvalue().decode("utf-8")
        stderr = err.getvalue().decode("utf-8")
    return CliResult(code, stdout, stderr)


def free_port() -> int:
    """A loopback port nobody listens on (bound, read and closed again)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
