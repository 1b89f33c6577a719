"""Test isolation shared by every test: no real home, config, data dir or environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clitools import CliResult, invoke  # noqa: F401  (re-exported for tests)


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


@pytest.fixture
def cli() -> Any:
    return invoke
