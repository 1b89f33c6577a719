"""placement.py: moving a finished download into place without replacing what must stay.

Real files in tmp_path; each no-replace way (renameat2, hard link, O_EXCL copy) is exercised
on its own by switching the ones before it off.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from image_skill.files import placement
from image_skill.files.placement import (
    NotRegularFile,
    candidate_names,
    non_regular_kind,
    place_exclusive,
    place_replacing,
    place_unique,
)


def _no_renameat2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(placement, "_renameat2_noreplace", lambda tmp, target: False)


def _no_hard_links(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported here")

    monkeypatch.setattr(placement.os, "link", refuse)


@pytest.fixture(params=["renameat2", "link", "copy"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param in ("link", "copy"):
        _no_renameat2(monkeypatch)
    if request.param == "copy":
        _no_hard_links(monkeypatch)
    yield request.param


def _tmp(folder: Path, data: bytes = b"new bytes") -> str:
    path = folder / ".x.part"
    path.write_bytes(data)
    path.chmod(0o640)
    return str(path)


def test_exclusive_places_into_a_free_name(tmp_path: Path, way: str) -> None:
    folder = tmp_path / "out"  # tmp_path also holds the isolated HOME
    folder.mkdir()
    place_exclusive(_tmp(folder), folder / "out.png")
    assert (folder / "out.png").read_bytes() == b"new bytes"
    assert (folder / "out.png").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in folder.iterdir()) == ["out.png"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_linux_uses_renameat2_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(src: object, dst: object) -> None:
        raise AssertionError("renameat2 should have placed the file")

    monkeypatch.setattr(placement.os, "link", no_link)
    place_exclusive(_tmp(tmp_path), tmp_path / "out.png")
    assert (tmp_path / "out.png").read_bytes() == b"new bytes"
    assert not (tmp_path / ".x.part").exists()
    with pytest.raises(FileExistsError):
        place_exclusive(_tmp(tmp_path), tmp_path / "out.png")


def test_exclusive_never_replaces_a_file_or_follows_a_link(tmp_path: Path, way: str) -> None:
    (tmp_path / "taken.png").write_bytes(b"precious")
    victim = tmp_path / "victim"
    victim.write_bytes(b"victim")
    (tmp_path / "link.png").symlink_to(victim)
    (tmp_path / "dangling.png").symlink_to(tmp_path / "nowhere")
    tmp = _tmp(tmp_path)
    for name in ("taken.png", "link.png", "dangling.png"):
        with pytest.raises(FileExistsError):
            place_exclusive(tmp, tmp_path / name)
    assert (tmp_path / "taken.png").read_bytes() == b"precious"
    assert victim.read_bytes() == b"victim"
    assert os.readlink(tmp_path / "link.png") == str(victim)
    assert not (tmp_path / "nowhere").exists()
    assert Path(tmp).read_bytes() == b"new bytes"  # the caller still owns (and removes) it


def test_unique_moves_on_to_the_next_free_name(tmp_path: Path, way: str) -> None:
    (tmp_path / "a.png").write_bytes(b"1")
    (tmp_path / "a-2.png").symlink_to(tmp_path / "nowhere")
    assert place_unique(_tmp(tmp_path, b"x"), tmp_path / "a.png") == tmp_path / "a-3.png"
    assert place_unique(_tmp(tmp_path, b"y"), tmp_path / "a.png") == tmp_path / "a-4.png"
    assert (tmp_path / "a.png").read_bytes() == b"1"
    assert (tmp_path / "a-3.png").read_bytes() == b"x"
    assert (tmp_path / "a-4.png").read_bytes() == b"y"


def test_candidate_names() -> None:
    names = candidate_names(Path("/d/image.tar.gz"))
    assert [next(names) for _ in range(3)] == [
        Path("/d/image.tar.gz"),
        Path("/d/image.tar-2.gz"),
        Path("/d/image.tar-3.gz"),
    ]
    assert next(candidate_names(Path("/d/noext"))) == Path("/d/noext")
    assert list(candidate_names(Path("/d/noext")))[1] == Path("/d/noext-2")


def test_a_real_refusal_is_not_mistaken_for_a_missing_feature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_renameat2(monkeypatch)

    def no_space(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(placement.os, "link", no_space)
    with pytest.raises(OSError) as info:
        place_exclusive(_tmp(tmp_path), tmp_path / "out.png")
    assert info.value.errno == errno.ENOSPC
    assert not (tmp_path / "out.png").exists()


def _special(kind: str, path: Path) -> socket.socket | None:
    """Make a non-regular file of ``kind`` at ``path`` (the socket must stay open)."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "symlink":
        path.symlink_to(path.parent / "elsewhere")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        return server
    return None


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("fifo", "a named pipe (FIFO)"),
        ("directory", "a directory"),
        ("symlink", "a symbolic link"),
        ("socket", "a socket"),
    ],
)
def test_replacing_touches_regular_files_only(tmp_path: Path, kind: str, words: str) -> None:
    target = tmp_path / "target"
    held = _special(kind, target)
    try:
        assert non_regular_kind(target) == words
        tmp = _tmp(tmp_path)
        with pytest.raises(NotRegularFile) as info:
            place_replacing(tmp, target)
        assert info.value.kind == words
        assert non_regular_kind(target) == words  # still there, untouched
    finally:
        if held is not None:
            held.close()


def test_replacing_a_regular_file_or_a_free_name(tmp_path: Path) -> None:
    (tmp_path / "old.png").write_bytes(b"old")
    assert place_replacing(_tmp(tmp_path, b"a"), tmp_path / "old.png") is True
    assert (tmp_path / "old.png").read_bytes() == b"a"
    assert place_replacing(_tmp(tmp_path, b"b"), tmp_path / "free.png") is False
    assert (tmp_path / "free.png").read_bytes() == b"b"
    assert non_regular_kind(tmp_path / "old.png") is None
    assert non_regular_kind(tmp_path / "missing") is None
