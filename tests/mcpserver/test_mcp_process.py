"""``mcp serve`` as a plain process: stdout carries nothing but JSON-RPC, a start that
cannot serve is one envelope with its exit code, and no other command imports the MCP
package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from e2etools import run, script
from mcptools import mcp_env

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "0"},
    },
}


class RawServer:
    """``mcp serve`` spoken to line by line, as a host would, keeping every stdout line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [script(), "mcp", "serve", "--api-base-url", "local"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> dict[str, Any] | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        if "id" not in message:
            return None
        while True:
            line = self.proc.stdout.readline()
            assert line, "the server closed stdout before replying"
            parsed = json.loads(line)  # every stdout line is JSON (or this fails)
            self.lines.append(parsed)
            if parsed.get("id") == message["id"]:
                return parsed

    def close(self) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err


def _tool_call(id_: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": params}


def test_stdout_carries_only_the_protocol_and_the_end_prints_no_envelope(
    tmp_path: Path,
) -> None:
    server = RawServer(mcp_env(tmp_path))
    hello = server.send(INITIALIZE)
    assert hello is not None and hello["result"]["serverInfo"]["name"] == "image-skill"
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    listed = server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    assert listed is not None and len(listed["result"]["tools"]) == 10
    models = server.send(_tool_call(3, "models_list", {"available": True}))
    assert models is not None and models["result"]["structuredContent"]["ok"] is True
    # No token was found: a tool that needs one answers the CLI's AUTH_REQUIRED.
    quota = server.send(_tool_call(4, "quota", {}))
    assert quota is not None and quota["result"]["isError"] is True
    envelope = quota["result"]["structuredContent"]
    assert envelope["error"]["code"] == "AUTH_REQUIRED"
    assert envelope["command"] == "image-skill usage quota"
    code, rest, err = server.close()  # the host closes stdin: the server ends quietly
    assert code == 0, err
    assert rest == ""
    assert all(line.get("jsonrpc") == "2.0" for line in server.lines)
    assert "without a token" in err


def test_token_stdin_is_refused_before_serving(tmp_path: Path) -> None:
    done = run("mcp", "serve", "--api-base-url", "local", "--token-stdin", env=mcp_env(tmp_path))
    assert done.exit_code == 2
    envelope = json.loads(done.stdout)
    assert envelope["error"]["code"] == "INVALID_ARGUMENTS"
    assert "--token-stdin" in envelope["error"]["message"]


PROBE = """
import json, sys
from image_skill.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = [n for n in sys.modules if n == "mcp" or n.startswith(("mcp.", "image_skill.mcp"))]
sys.stderr.write("LOADED=" + json.dumps(loaded) + "\\n")
"""


def test_no_other_command_imports_the_mcp_server(tmp_path: Path) -> None:
    env = {**mcp_env(tmp_path), **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}
    for argv in (["version"], ["--help"], ["create", "--dry-run", "--prompt", "x"], ["help"]):
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, *argv, "--api-base-url", "local"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        [line] = [x for x in proc.stderr.splitlines() if x.startswith("LOADED=")]
        assert json.loads(line.removeprefix("LOADED=")) == [], argv
