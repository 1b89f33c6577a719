"""`version` and `--help` stay light: they must not import httpx, pydantic or rich."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import io, json, sys
from contextlib import redirect_stdout
from image_skill.cli import main
buf = io.StringIO()
with redirect_stdout(buf):
    code = main(sys.argv[1:])
heavy = sorted(m for m in ("httpx", "pydantic", "rich") if m in sys.modules)
sys.stderr.write(json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.parametrize(
    "argv",
    [["version"], ["--help"], ["create", "--help"], ["help", "credits", "buy"], ["-v"]],
)
def test_fast_paths_import_nothing_heavy(argv):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60
    )
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0
    assert report["heavy"] == []
