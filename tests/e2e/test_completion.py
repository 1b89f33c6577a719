"""Shell completion through the installed script (click's completion protocol)."""

from __future__ import annotations

import subprocess

from e2etools import script


def complete(words: str, cword: int, e2e_env: dict[str, str]) -> list[str]:
    env = dict(e2e_env, COMP_WORDS=words, COMP_CWORD=str(cword))
    env["_IMAGE_SKILL_COMPLETE"] = "bash_complete"
    proc = subprocess.run([script()], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line]


def test_bash_source_script(e2e_env):
    env = dict(e2e_env, _IMAGE_SKILL_COMPLETE="bash_source")
    proc = subprocess.run([script()], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert "complete -o nosort -F _image_skill_completion image-skill" in proc.stdout


def test_completes_commands_subcommands_and_flags(e2e_env):
    assert set(complete("image-skill cre", 1, e2e_env)) == {"create", "credits"}
    assert complete("image-skill credits q", 2, e2e_env) == ["quote"]
    assert "--aspect-ratio" in complete("image-skill create --asp", 2, e2e_env)
