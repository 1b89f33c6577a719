"""The installed `image-skill` script, run as a subprocess (issue 2 acceptance)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from clitools import SIGNUP
from e2etools import run


def test_version_and_unknown_command(e2e_env):
    res = run("version", env=e2e_env)
    assert res.exit_code == 0 and res.json["data"]["version"] == "0.1.30"
    assert res.stderr == ""
    bad = run("nosuch", env=e2e_env)
    assert bad.exit_code == 2
    assert bad.json["error"]["code"] == "PUBLIC_CLI_COMMAND_NOT_AVAILABLE"


def _flow(env: dict[str, str], *base: str) -> None:
    who = run("whoami", *base, env=env)
    assert who.exit_code == 3 and who.json["error"]["code"] == "AUTH_REQUIRED"
    assert who.json["error"]["recovery"]["suggested_command"]
    signup = run(*SIGNUP, *base, env=env)
    assert signup.exit_code == 0, signup.stdout + signup.stderr
    cfg = Path(env["IMAGE_SKILL_CONFIG_PATH"])
    token = json.loads(cfg.read_text())["token"]
    assert token not in signup.stdout and token not in signup.stderr
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    who = run("whoami", *base, env=env)
    assert who.exit_code == 0 and who.json["data"]["authenticated"] is True
    quota = run("usage", "quota", *base, env=env)
    assert quota.exit_code == 0
    assert quota.json["data"]["authenticated"] is True
    assert quota.json["data"]["limits"]["remaining_credits"] > 0


def test_flow_in_process(e2e_env):
    e2e_env["IMAGE_SKILL_API_BASE_URL"] = "local"
    _flow(e2e_env)


def test_flow_against_local_serve(e2e_env, served):
    _flow(e2e_env, "--api-base-url", served)


def test_python_dash_m(e2e_env):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "image_skill", "version"],
        env=e2e_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"] is True
