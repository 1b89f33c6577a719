"""The shape rules of the package: small modules, a short top level, no machine paths."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "image_skill"
MAX_LINES = 400
MAX_TOP_LEVEL_MODULES = 11


def test_no_module_is_over_the_size_limit() -> None:
    too_long = {
        str(path.relative_to(ROOT)): count
        for path in PACKAGE.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_the_top_level_of_the_package_stays_short() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert "__init__.py" in modules
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


# Absolute paths of the machines this project is built on; examples such as
# /home/me/.config/... in docs are illustrations, not machine paths.
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|opt/pypi)(?:/|\b)")


def test_no_absolute_machine_path_is_committed() -> None:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = []
    for name in listed:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".sh", ".txt", ".json", ".cfg", ""}:
            continue
        if not path.is_file() or name == "tests/unit/test_shape.py":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{name}: {m.group(0)}" for m in MACHINE_PATH.finditer(text)]
    assert offenders == []
