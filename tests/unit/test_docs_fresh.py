"""docs/cli.md (from the click tree) and docs/commands.json (from the help table) are
generated and must match their sources."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_reference_is_current():
    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == module.render(), "run: python scripts/gen_cli_docs.py"
    for name in ("doctor", "signup", "whoami", "auth status"):
        assert f"## `image-skill {name}`" in current


def test_command_manifest_is_current():
    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "commands.json").read_text(encoding="utf-8")
    assert current == module.render_manifest(), "run: python scripts/gen_cli_docs.py"
    assert module.main(["--check"]) == 0
