"""Helpers for the create/edit/upload CLI tests: a signed-up local account and probes.

The ``account`` fixture reaches the CLI tests through tests/cli/conftest.py."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from clitools import CliResult, invoke

LOCAL = ("--api-base-url", "local")
SIGNUP = (
    "signup",
    "--agent",
    "--agent-contact",
    "a@example.com",
    "--agent-name",
    "n",
    "--runtime",
    "t",
    *LOCAL,
)


def signup() -> None:
    res = invoke(*SIGNUP)
    assert res.exit_code == 0, res.stdout


@pytest.fixture
def account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A signed-up local agent whose config lives under tmp_path (also the working dir)."""
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    signup()
    return path


def remaining_credits() -> int:
    res = invoke("quota", *LOCAL)
    assert res.exit_code == 0, res.stdout
    value = res.data["limits"]["remaining_credits"]
    assert isinstance(value, int)
    return value


def in_flight_files(config: Path) -> list[Path]:
    folder = config.parent / "in-flight"
    return sorted(folder.glob("*.json")) if folder.exists() else []


def notices(res: CliResult) -> list[dict[str, Any]]:
    """The in_flight lines on stderr (and proof that stderr holds nothing else)."""
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert all(set(item) == {"in_flight"} for item in parsed), res.stderr
    return parsed


def png(width: int, height: int, color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    for x in range(width):
        image.putpixel((x, x % height), (255, 255, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mask_left_half(width: int, height: int) -> bytes:
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (0, 0, width // 2, height))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()
