"""The README's "From Python" examples run as written, and the typed example works.

Every ```python block of README.md runs, in order, in a temporary HOME whose saved config
was written by ``image-skill signup --api-base-url local`` (the step the README describes
before them). ``README_UNDER_TEST`` points the test at another Markdown file (a proposed
README section).
"""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path

import pytest

from clitools import invoke

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
PNG = b"\x89PNG\r\n\x1a\n"


def _readme() -> str:
    return Path(os.environ.get("README_UNDER_TEST") or ROOT / "README.md").read_text()


@pytest.fixture
def signed_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("IMAGE_SKILL_CONFIG_PATH", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    res = invoke(
        *("signup", "--agent", "--agent-contact", "readme@example.com", "--agent-name"),
        *("readme", "--runtime", "pytest", "--api-base-url", "local"),
    )
    assert res.exit_code == 0, res.stdout
    return tmp_path


def test_the_readme_python_blocks_run(signed_up: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = BLOCK.findall(_readme())
    assert blocks, "no ```python block in the README"
    for index, code in enumerate(blocks):
        exec(compile(code, f"README.md python block {index + 1}", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert "Traceback" not in printed
    if (signed_up / "cube.png").exists():
        assert (signed_up / "cube.png").read_bytes().startswith(PNG)


def test_the_typed_example_signs_up_creates_and_saves(signed_up: Path) -> None:
    # A fresh config: the example signs up itself and reads the token back from the file.
    (signed_up / "home" / ".config" / "image-skill" / "config.json").unlink()
    example = runpy.run_path(str(ROOT / "examples" / "python_client.py"))
    assert example["main"](["example", "local", str(signed_up / "cube.png")]) == 0
    assert (signed_up / "cube.png").read_bytes().startswith(PNG)
