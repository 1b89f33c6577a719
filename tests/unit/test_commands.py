"""The command renderer and the program-prefix detection."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from guide_fixtures import QUOTA_RICH, build
from hypothesis import given
from hypothesis import strategies as st

from image_skill.cli.prefix import PREFIX_ENV, detect_prefix
from image_skill.commands import (
    CommandContext,
    render,
    swap_prefix,
    with_env_token,
    with_stdin_token,
)

# Arguments as a shell would pass them: any text without NUL (argv cannot hold NUL).
words = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))
arg_lists = st.lists(words, max_size=8)
prefixes = st.lists(words.filter(bool), min_size=1, max_size=3).map(tuple)


@given(arg_lists)
def test_split_gives_back_prefix_and_args(args: list[str]) -> None:
    assert shlex.split(render(args)) == ["image-skill", *args]


@given(prefixes, arg_lists, st.none() | words)
def test_split_gives_back_any_prefix_and_base_url(
    prefix: tuple[str, ...], args: list[str], api: str | None
) -> None:
    ctx = CommandContext(prefix=prefix, api_base_url=api)
    expected = [*prefix, *args]
    if api is not None:
        if args and args[-1] == "--json":
            expected[-1:-1] = ["--api-base-url", api]
        else:
            expected += ["--api-base-url", api]
    assert shlex.split(render(args, ctx)) == expected


@given(st.lists(st.tuples(st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True), words)))
def test_env_assignments_survive_shell_splitting(env: list[tuple[str, str]]) -> None:
    rendered = render(["doctor", "--json"], env=env)
    # Later assignments of the same name are what the shell keeps; compare as the shell would.
    split = shlex.split(rendered)
    assert split[-2:] == ["doctor", "--json"]
    assert split[: len(env)] == [f"{name}={value}" for name, value in env]


def test_api_base_url_goes_before_trailing_json_only() -> None:
    ctx = CommandContext(api_base_url="http://127.0.0.1:8787")
    assert render(["doctor", "--json"], ctx) == (
        "image-skill doctor --api-base-url http://127.0.0.1:8787 --json"
    )
    assert render(["doctor"], ctx) == "image-skill doctor --api-base-url http://127.0.0.1:8787"
    assert render([], ctx) == "image-skill --api-base-url http://127.0.0.1:8787"


def test_placeholders_stay_bare_and_values_are_quoted() -> None:
    rendered = render(
        ["signup", "--agent-contact", "AGENT_OR_OPERATOR_INBOX", "--input", "image_...", "--x", ""]
    )
    assert (
        rendered
        == "image-skill signup --agent-contact AGENT_OR_OPERATOR_INBOX --input image_... --x ''"
    )
    assert render(["--prompt", 'say "hi" $HOME']) == "image-skill --prompt 'say \"hi\" $HOME'"


def test_env_values_expand_only_for_our_own_values() -> None:
    config = render(
        ["signup", "--json"], env=[("IMAGE_SKILL_CONFIG_PATH", "$PWD/.image-skill/config.json")]
    )
    assert (
        config
        == 'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" image-skill signup --json'
    )
    other = render(["doctor"], env=[("IMAGE_SKILL_CONFIG_PATH", "$(touch x)/c.json")])
    assert other == "IMAGE_SKILL_CONFIG_PATH='$(touch x)/c.json' image-skill doctor"
    with pytest.raises(ValueError, match="environment variable name"):
        render(["doctor"], env=[("BAD NAME", "x")])


def test_context_env_comes_first_and_per_call_env_overrides() -> None:
    ctx = CommandContext(env=(("IMAGE_SKILL_CONFIG_PATH", "/a"), ("IMAGE_SKILL_X", "1")))
    assert (
        render(["doctor"], ctx) == "IMAGE_SKILL_CONFIG_PATH=/a IMAGE_SKILL_X=1 image-skill doctor"
    )
    assert render(["doctor"], ctx, env=[("IMAGE_SKILL_CONFIG_PATH", "/b")]) == (
        "IMAGE_SKILL_X=1 IMAGE_SKILL_CONFIG_PATH=/b image-skill doctor"
    )


def test_render_rejects_a_plain_string() -> None:
    with pytest.raises(TypeError):
        render("doctor --json")  # type: ignore[arg-type]


def test_swap_prefix_replaces_the_program_word_only() -> None:
    ctx = CommandContext(prefix=("/opt/my py/python", "-m", "image_skill"), api_base_url="x")
    server = "image-skill credits quote --pack starter-500 --idempotency-key KEY --json"
    assert swap_prefix(server, ctx) == (
        "'/opt/my py/python' -m image_skill credits quote --pack starter-500 "
        "--idempotency-key KEY --json"
    )
    assert swap_prefix("credits methods --json") == "image-skill credits methods --json"
    assert swap_prefix("image-skillz x") == "image-skill image-skillz x"


def test_token_wrappers() -> None:
    command = render(["usage", "quota", "--json"])
    assert with_env_token(command) == (
        'IMAGE_SKILL_TOKEN="$IMAGE_SKILL_TOKEN" image-skill usage quota --json'
    )
    assert with_stdin_token(command) == (
        "printf '%s\\n' \"$IMAGE_SKILL_TOKEN\" | image-skill usage quota --json --token-stdin"
    )


HOSTILE = "a cat $(touch pwned) `touch pwned2` $HOME 'quoted' \"dq\" !x ; rm -rf / & \\ \n end"


def test_hostile_prompt_round_trips_through_next_command() -> None:
    out = build(prompt=HOSTILE, token_source="env", quota=QUOTA_RICH)
    words_ = shlex.split(out.data["next_command"])
    assert words_[words_.index("--prompt") + 1] == HOSTILE.strip()
    dry = shlex.split(out.data["no_spend_next_command"])
    assert dry[dry.index("--prompt") + 1] == HOSTILE.strip()
    env_wrapped = shlex.split(out.data["auth_handoff"]["next_command"]["with_env"])
    assert env_wrapped[env_wrapped.index("--prompt") + 1] == HOSTILE.strip()


def test_hostile_prompt_stays_inert_when_run_by_sh(tmp_path: Path) -> None:
    # Swap the program for printf so sh runs the rendered line and echoes the words back.
    ctx = CommandContext(prefix=("printf", "%s\\n"))
    workdir = tmp_path / "run"
    workdir.mkdir()
    out = build(prompt=HOSTILE, token_source="env", quota=QUOTA_RICH, command_ctx=ctx)
    for field in ("next_command", "no_spend_next_command"):
        result = subprocess.run(
            ["sh", "-c", out.data[field]],
            cwd=workdir,
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"},
        )
        assert HOSTILE.strip() in result.stdout
        assert list(workdir.iterdir()) == []


# --- detect_prefix ----------------------------------------------------------------------


def _script(path: Path, shebang: str) -> Path:
    path.write_text(f"#!{shebang}\nimport sys\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_prefix_env_override_wins() -> None:
    assert detect_prefix({PREFIX_ENV: "uvx --from image-skill image-skill"}) == (
        "uvx",
        "--from",
        "image-skill",
        "image-skill",
    )
    # Blank or unparsable overrides are ignored.
    blank = detect_prefix({PREFIX_ENV: "  ", "PATH": ""}, executable="/x/python")
    assert blank == ("/x/python", "-m", "image_skill")
    broken = detect_prefix({PREFIX_ENV: "'unclosed", "PATH": ""}, executable="/x/python")
    assert broken == ("/x/python", "-m", "image_skill")


def test_prefix_uses_entry_point_next_to_the_interpreter(tmp_path: Path) -> None:
    bindir = tmp_path / "venv" / "bin"
    bindir.mkdir(parents=True)
    python = bindir / "python"
    python.write_text("")
    _script(bindir / "image-skill", "/somewhere/else/python")
    assert detect_prefix({"PATH": str(bindir)}, executable=str(python)) == ("image-skill",)
    # A symlink on PATH pointing at that script (pipx style) counts too.
    linkdir = tmp_path / "links"
    linkdir.mkdir()
    (linkdir / "image-skill").symlink_to(bindir / "image-skill")
    assert detect_prefix({"PATH": str(linkdir)}, executable=str(python)) == ("image-skill",)


def test_prefix_accepts_a_script_whose_shebang_is_our_interpreter(tmp_path: Path) -> None:
    python = tmp_path / "py" / "python3"
    python.parent.mkdir()
    python.write_text("")
    other = tmp_path / "bin"
    other.mkdir()
    _script(other / "image-skill", str(python))
    assert detect_prefix({"PATH": str(other)}, executable=str(python)) == ("image-skill",)


def test_prefix_falls_back_to_module_for_foreign_or_missing_script(tmp_path: Path) -> None:
    python = tmp_path / "py" / "python3"
    python.parent.mkdir()
    python.write_text("")
    other = tmp_path / "bin"
    other.mkdir()
    _script(other / "image-skill", "/usr/bin/env node")
    expected = (str(python), "-m", "image_skill")
    assert detect_prefix({"PATH": str(other)}, executable=str(python)) == expected
    assert detect_prefix({"PATH": str(tmp_path / "empty")}, executable=str(python)) == expected


def test_prefix_default_uses_sys_executable() -> None:
    prefix = detect_prefix({"PATH": ""})
    assert prefix == (sys.executable, "-m", "image_skill")
