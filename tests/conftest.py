"""Test isolation shared by every test: no real home, config, data dir or environment."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME, XDG dirs and the local data dir into tmp_path; drop IMAGE_SKILL_*."""
    for name in list(os.environ):
        if name.startswith("IMAGE_SKILL_") or name in {"XDG_CONFIG_HOME", "XDG_DATA_HOME"}:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("IMAGE_SKILL_LOCAL_DIR", str(tmp_path / "local-data"))
    monkeypatch.setenv("NO_COLOR", "1")
    yield home


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


@pytest.fixture
def cli() -> Any:
    return invoke
