"""The one atomic writer (image_skill._atomic): whole file or old file, never a stray temp."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from image_skill._atomic import open_temp, sync, write_atomic


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty directory of its own (``tmp_path`` also holds the isolated home)."""
    path = tmp_path / "folder"
    path.mkdir()
    return path


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_write_atomic_creates_and_replaces_without_leftovers(folder: Path) -> None:
    target = folder / "config.json"
    write_atomic(target, b"first\n")
    assert target.read_bytes() == b"first\n"
    write_atomic(target, b"second\n")
    assert target.read_bytes() == b"second\n"
    assert _names(folder) == ["config.json"]


def test_write_atomic_applies_the_mode_to_the_new_file(folder: Path) -> None:
    old_umask = os.umask(0)
    try:
        write_atomic(folder / "secret", b"x", mode=0o600)
        write_atomic(folder / "shared", b"x", mode=0o644)
        write_atomic(folder / "default", b"x")
    finally:
        os.umask(old_umask)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert modes == {"secret": 0o600, "shared": 0o644, "default": 0o600}


def test_failed_move_keeps_the_target_and_removes_the_temp(folder: Path) -> None:
    # A non-empty directory at the name: os.replace refuses, so the write must fail whole.
    target = folder / "out.bin"
    target.mkdir()
    (target / "keep").write_bytes(b"kept")
    with pytest.raises(OSError):
        write_atomic(target, b"new", prefix=".tmp-", suffix=".part")
    assert (target / "keep").read_bytes() == b"kept"
    assert _names(folder) == ["out.bin"]


def test_missing_directory_is_an_oserror_and_creates_nothing(folder: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(folder / "absent" / "file", b"x")
    assert _names(folder) == []


def test_open_temp_is_a_private_sibling_with_the_given_affixes(folder: Path) -> None:
    handle, name = open_temp(folder, prefix=".out.png.", suffix=".part")
    with handle:
        handle.write(b"abc")
        sync(handle)
    temp = Path(name)
    assert temp.parent == folder
    assert temp.name.startswith(".out.png.") and temp.name.endswith(".part")
    assert temp.read_bytes() == b"abc"
    assert stat.S_IMODE(temp.stat().st_mode) == 0o600
