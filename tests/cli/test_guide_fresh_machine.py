"""On a fresh machine the guide leaves no trace at all, even in-process: no config folder,
and not even the local backend's data dir (routes that need no database create none)."""

from __future__ import annotations

import os

from clitools import invoke


def test_first_guide_on_a_fresh_machine_creates_nothing(tmp_path, monkeypatch):
    data_dir = tmp_path / "fresh-data"
    cfg = tmp_path / "fresh-cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_LOCAL_DIR", str(data_dir))
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    before = sorted(os.listdir(tmp_path))
    res = invoke("create", "--guide", "--prompt", "a cat on a mat", "--api-base-url", "local")
    assert res.exit_code == 0 and res.data["stage"] == "auth_required"
    assert sorted(os.listdir(tmp_path)) == before
    assert not data_dir.exists() and not cfg.parent.exists()
