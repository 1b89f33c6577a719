"""Without the ``mcp`` extra, ``mcp serve`` is one clear envelope (never a traceback) whose
recovery installs the extra into this very interpreter, quoted for the shell."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from mcptools import mcp_env

HIDDEN_SDK = """
import sys
sys.modules["mcp"] = None  # as if the extra were not installed
from image_skill.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_mcp_serve_without_the_sdk_is_one_envelope(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", HIDDEN_SDK, "mcp", "serve", "--api-base-url", "local"],
        capture_output=True,
        text=True,
        env=mcp_env(tmp_path),
        input="",
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    envelope = json.loads(proc.stdout)
    assert envelope["ok"] is False and envelope["command"] == "image-skill mcp serve"
    assert envelope["error"]["code"] == "PUBLIC_CLI_FAILED"
    assert "'mcp' extra" in envelope["error"]["message"]
    words = shlex.split(envelope["error"]["recovery"]["suggested_command"])
    assert words == [sys.executable, "-m", "pip", "install", "image-skill[mcp]"]


def test_the_install_command_quotes_an_interpreter_path_with_spaces(
    monkeypatch: object,
) -> None:
    import pytest

    from image_skill.cli.mcp import _sdk_missing

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(sys, "executable", "/opt/my tools/python")
    recovery = _sdk_missing().envelope["error"]["recovery"]
    assert shlex.split(recovery["suggested_command"])[0] == "/opt/my tools/python"
    assert shlex.split(recovery["from_a_checkout"])[-2:] == ["-e", ".[mcp]"]
