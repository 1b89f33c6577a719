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


def test_completes_the_modality_aliases_and_claim(e2e_env):
    words = set(complete("image-skill ", 1, e2e_env))
    assert {"image", "video", "audio", "3d", "image-to-3d", "three-d", "claim"} <= words
    assert complete("image-skill vid", 1, e2e_env) == ["video"]
    assert complete("image-skill image ", 2, e2e_env) == ["create", "edit"]
    assert complete("image-skill three-d ", 2, e2e_env) == ["create"]
    # an alias's create takes every option of create
    assert "--prompt" in complete("image-skill video create --pro", 3, e2e_env)
    assert complete("image-skill claim ", 2, e2e_env) == ["request"]
    assert complete("image-skill claim request --con", 3, e2e_env) == ["--contact"]
    assert complete("image-skill models list --det", 3, e2e_env) == ["--details"]
