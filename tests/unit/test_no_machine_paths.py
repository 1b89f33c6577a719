"""No file of the project names the place it happens to be checked out at.

Docstrings and notes once pointed at absolute folders of one machine (the checkout and the
contract folder next to it). Whatever the checkout's location, neither it nor a sibling
folder of it may appear in the sources, tests, docs, scripts or benchmarks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("src", "tests", "docs", "scripts", "benchmarks", ".ci")
TOP_FILES = ("README.md", "CHANGELOG.md", "pyproject.toml")
SKIP_DIRS = {"__pycache__", ".hypothesis", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".sh", ".json", ".yml", ".yaml", ""}


def _project_files() -> Iterator[Path]:
    for name in TOP_FILES:
        if (ROOT / name).is_file():
            yield ROOT / name
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            if path.is_file() and path.suffix in SUFFIXES:
                yield path


def _machine_path_pattern() -> re.Pattern[str]:
    """The checkout's own path, or any folder beside it (``<parent>/<name>``)."""
    parent = re.escape(ROOT.parent.as_posix().rstrip("/"))
    own = re.escape(ROOT.as_posix())
    # A sibling folder is only a machine path when the parent is not the filesystem root
    # or a shared system folder that examples legitimately name.
    if ROOT.parent.as_posix() in ("/", "/tmp", "/home", "/srv", "/opt", "/usr"):
        return re.compile(rf"(?<![\w.-]){own}(?![\w.-])")
    return re.compile(rf"(?<![\w.-])(?:{own}|{parent}/[\w.-]+)")


def test_the_pattern_finds_what_it_must() -> None:
    pattern = _machine_path_pattern()
    assert pattern.search(f"see {ROOT.as_posix()}/src for details")
    assert not pattern.search("relative/path/src and ~/.config/image-skill")


def test_no_project_file_names_the_checkout_location() -> None:
    pattern = _machine_path_pattern()
    found = []
    for path in _project_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
