"""Shell completion through the installed script (click's completion protocol)."""

from __future__ import annotations

import json
import shutil
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


def _bash_complete(line: str, e2e_env: dict[str, str], shell_script: str) -> list[str]:
    """Source ``shell_script`` in a real bash, then call the completion function bash would
    call for ``line`` at its end (COMP_WORDS / COMP_CWORD as bash sets them)."""
    words = line.split(" ")
    program = f"""
{shell_script}
COMP_WORDS=({" ".join(repr(w) for w in words)})
COMP_CWORD={len(words) - 1}
_image_skill_completion image-skill "{words[-1]}" "{words[-2]}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    bash = shutil.which("bash")
    assert bash, "bash is needed for the completion test"
    proc = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", program],
        env=e2e_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return [word for word in proc.stdout.splitlines() if word]


def test_completion_command_prints_a_script_bash_can_source(e2e_env):
    proc = subprocess.run(
        [script(), "completion", "bash"], env=e2e_env, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert not proc.stdout.lstrip().startswith("{")  # the script itself, not an envelope
    assert "complete -o nosort -F _image_skill_completion image-skill" in proc.stdout
    assert set(_bash_complete("image-skill cre", e2e_env, proc.stdout)) == {"create", "credits"}
    assert _bash_complete("image-skill crea", e2e_env, proc.stdout) == ["create"]
    # the alias words and the completion command itself are completed too
    assert _bash_complete("image-skill thr", e2e_env, proc.stdout) == ["three-d"]
    assert _bash_complete("image-skill compl", e2e_env, proc.stdout) == ["completion"]


def test_completion_command_zsh_and_fish_and_a_bad_shell(e2e_env):
    for shell, marker in (("zsh", "#compdef image-skill"), ("fish", "complete --no-files")):
        proc = subprocess.run(
            [script(), "completion", shell], env=e2e_env, capture_output=True, text=True
        )
        assert proc.returncode == 0 and marker in proc.stdout, (shell, proc.stdout[:200])
    proc = subprocess.run(
        [script(), "completion", "pwsh"], env=e2e_env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "INVALID_ARGUMENTS"
