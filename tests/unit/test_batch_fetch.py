"""cli/batch_fetch.needs_files: a finished line needs a fetch only when --output-dir is
given and that folder lacks one of its assets' files."""

from __future__ import annotations

from pathlib import Path

from image_skill.cli.batch_fetch import needs_files


def test_which_finished_lines_need_their_files(tmp_path: Path) -> None:
    folder = str(tmp_path / "out") + "/"
    (tmp_path / "out").mkdir()
    here = tmp_path / "out" / "a.png"
    here.write_bytes(b"x")
    elsewhere = tmp_path / "b.png"
    elsewhere.write_bytes(b"x")
    record = {"asset_ids": ["image_a"], "files": [str(here)]}
    assert needs_files(record, None) is False
    assert needs_files(record, folder) is False
    assert needs_files({**record, "files": [str(elsewhere)]}, folder) is True
    assert needs_files({**record, "files": []}, folder) is True
    assert needs_files({**record, "asset_ids": ["image_a", "image_b"]}, folder) is True
    assert needs_files({"asset_ids": [], "files": []}, folder) is False
    here.unlink()
    assert needs_files(record, folder) is True
