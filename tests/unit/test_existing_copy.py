"""files/existing.py: a target counts as the asset only when it is a regular file of the
declared size and sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from image_skill.files.existing import existing_copy

DATA = b"\x89PNG pretend image bytes"


def _asset(**extra: object) -> dict[str, object]:
    return {
        "content_length": len(DATA),
        "sha256": hashlib.sha256(DATA).hexdigest(),
        "mime_type": "image/png",
        **extra,
    }


def test_the_same_bytes_are_the_asset(tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(DATA)
    found = existing_copy(target, _asset())
    assert found is not None
    assert found["output_path"] == str(target) and found["already_present"] is True
    assert found["bytes"] == len(DATA) and found["sha256"] == _asset()["sha256"]
    assert found["overwritten"] is False and found["content_type"] == "image/png"


def test_other_bytes_a_link_a_directory_or_a_missing_file_are_not(tmp_path: Path) -> None:
    other = tmp_path / "other.png"
    other.write_bytes(DATA[:-1] + b"?")
    assert existing_copy(other, _asset()) is None
    real = tmp_path / "real.png"
    real.write_bytes(DATA)
    link = tmp_path / "link.png"
    link.symlink_to(real)
    assert existing_copy(link, _asset()) is None
    (tmp_path / "dir.png").mkdir()
    assert existing_copy(tmp_path / "dir.png", _asset()) is None
    assert existing_copy(tmp_path / "missing.png", _asset()) is None


def test_an_asset_that_declares_no_size_or_no_sha_never_matches(tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(DATA)
    assert existing_copy(target, _asset(sha256=None)) is None
    assert existing_copy(target, _asset(content_length=None)) is None
    assert existing_copy(target, _asset(content_length=True)) is None
    assert existing_copy(target, _asset(content_length=len(DATA) + 1)) is None
    upper = str(_asset()["sha256"]).upper()
    assert existing_copy(target, _asset(sha256=upper)) is not None
