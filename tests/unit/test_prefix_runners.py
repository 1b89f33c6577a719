"""The program prefix when a runner (`uvx`, `pipx run`) made a throw-away environment for us."""

from __future__ import annotations

import shlex
import stat
from pathlib import Path

import pytest

from image_skill.cli.prefix import (
    PIPX_RUN_PREFIX,
    PREFIX_ENV,
    UVX_PREFIX,
    detect_prefix,
    ephemeral_runner_prefix,
)
from image_skill.commands import CommandContext, render

SITE = "lib/python3.12/site-packages/image_skill"
WIN_SITE = "Lib\\site-packages\\image_skill"
HASH = "0123456789abcde"  # pipx run: the first 15 hex digits of a SHA-256


def test_the_prefixes_are_the_documented_runner_commands() -> None:
    assert UVX_PREFIX == ("uvx", "--from", "image-skill[local]", "image-skill")
    assert PIPX_RUN_PREFIX == ("pipx", "run", "--spec", "image-skill[local]", "image-skill")


@pytest.mark.parametrize(
    "path",
    [
        f"/home/u/.cache/uv/archive-v0/AbC123xyz/{SITE}",
        f"/home/u/.cache/uv/environments-v2/image-skill-0f1e2d3c4b5a6978/{SITE}",
        f"/home/u/.cache/uv/environments-v1/409d7d054e15cc1d/23519598101eb3f1/{SITE}",
        f"/Users/u/.cache/uv/archive-v0/Q/{SITE}",
        f"C:\\Users\\u\\AppData\\Local\\uv\\cache\\archive-v0\\Q\\{WIN_SITE}",
        "/home/u/.cache/uv/archive-v0/AbC123xyz",  # the environment root itself
    ],
)
def test_uv_cache_environments_render_uvx(path: str) -> None:
    assert ephemeral_runner_prefix(path, {}) == UVX_PREFIX


def test_a_relocated_uv_cache_counts_when_uv_says_so() -> None:
    path = f"/srv/ci-cache/archive-v0/Q/{SITE}"
    # A bucket name alone, outside any uv cache we can see, is not enough...
    assert ephemeral_runner_prefix(path, {}) is None
    assert ephemeral_runner_prefix(path, {"UV_CACHE_DIR": "/srv/other"}) is None
    # ... but it is under the cache UV_CACHE_DIR names, or when uv started this process.
    assert ephemeral_runner_prefix(path, {"UV_CACHE_DIR": "/srv/ci-cache/"}) == UVX_PREFIX
    assert ephemeral_runner_prefix(path, {"UV": "/usr/local/bin/uv"}) == UVX_PREFIX


@pytest.mark.parametrize(
    "path",
    [
        f"/home/u/.cache/pipx/{HASH}/{SITE}",
        f"/home/u/.local/share/pipx/.cache/{HASH}/{SITE}",
        f"/home/u/.local/pipx/.cache/{HASH}/{SITE}",
        f"/Users/u/Library/Caches/pipx/{HASH}/{SITE}",
        f"C:\\Users\\u\\AppData\\Local\\pipx\\Cache\\{HASH}\\{WIN_SITE}",
    ],
)
def test_pipx_run_cache_environments_render_pipx_run(path: str) -> None:
    assert ephemeral_runner_prefix(path, {}) == PIPX_RUN_PREFIX


def test_a_custom_pipx_home_counts_only_when_it_is_pipx_home() -> None:
    path = f"/opt/tools/.cache/{HASH}/{SITE}"
    assert ephemeral_runner_prefix(path, {}) is None
    assert ephemeral_runner_prefix(path, {"PIPX_HOME": "/opt/elsewhere"}) is None
    assert ephemeral_runner_prefix(path, {"PIPX_HOME": "/opt/tools"}) == PIPX_RUN_PREFIX


@pytest.mark.parametrize(
    "path",
    [
        # Lasting installations: their scripts are on PATH, step 3 handles them.
        f"/home/u/.local/share/uv/tools/image-skill/{SITE}",
        f"/home/u/.local/share/pipx/venvs/image-skill/{SITE}",
        f"/home/u/.local/pipx/venvs/image-skill/{SITE}",
        # Ordinary virtualenvs and checkouts, even with a telling name somewhere.
        f"/home/u/project/.venv/{SITE}",
        f"/home/uv/project/.venv/{SITE}",
        "/home/u/src/image-skill/src/image_skill",
        f"/home/u/jobs/archive-v0/.venv/{SITE}",
        "/usr/lib/python3/dist-packages/image_skill",
        # Almost a pipx run environment: wrong digest length, upper case, no pipx around.
        f"/home/u/.cache/pipx/{HASH}f/{SITE}",
        f"/home/u/.cache/pipx/{HASH[:-1]}/{SITE}",
        f"/home/u/.cache/pipx/{HASH.upper()}/{SITE}",
        f"/home/u/.cache/{HASH}/{SITE}",
        f"/home/u/project/.cache/{HASH}/{SITE}",
        # Almost a uv bucket.
        f"/home/u/.cache/uv/archive/Q/{SITE}",
        f"/home/u/.cache/uv/archive-vx/Q/{SITE}",
        f"/home/u/.cache/uv/wheels-v5/Q/{SITE}",
        "",
    ],
)
def test_other_installations_are_not_runner_environments(path: str) -> None:
    assert ephemeral_runner_prefix(path, {}) is None


def _entry_point_on_path(tmp_path: Path) -> tuple[Path, Path]:
    """A venv-like bin dir whose image-skill script belongs to its python."""
    bindir = tmp_path / "env" / "bin"
    bindir.mkdir(parents=True)
    python = bindir / "python"
    python.write_text("")
    script = bindir / "image-skill"
    script.write_text(f"#!{python}\nimport sys\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bindir, python


def test_runner_environment_wins_over_an_entry_point_on_path(tmp_path: Path) -> None:
    # uvx puts the throw-away environment's scripts on the PATH of the process it starts:
    # the entry point is found there, yet the user's shell will not have it.
    bindir, python = _entry_point_on_path(tmp_path)
    env = {"PATH": str(bindir)}
    assert detect_prefix(env, executable=str(python)) == ("image-skill",)
    uv_site = f"{tmp_path}/.cache/uv/archive-v0/Q/{SITE}"
    assert detect_prefix(env, executable=str(python), package_path=uv_site) == UVX_PREFIX
    pipx_site = f"{tmp_path}/.cache/pipx/{HASH}/{SITE}"
    assert detect_prefix(env, executable=str(python), package_path=pipx_site) == PIPX_RUN_PREFIX
    # A lasting install falls through to the PATH check as before.
    tools_site = f"{tmp_path}/.local/share/uv/tools/image-skill/{SITE}"
    assert detect_prefix(env, executable=str(python), package_path=tools_site) == ("image-skill",)


def test_the_env_override_still_wins_over_a_runner() -> None:
    uv_site = f"/home/u/.cache/uv/archive-v0/Q/{SITE}"
    env = {PREFIX_ENV: "my-wrapper run", "PATH": ""}
    assert detect_prefix(env, executable="/x/python", package_path=uv_site) == (
        "my-wrapper",
        "run",
    )


def test_without_a_runner_or_entry_point_the_module_form_remains() -> None:
    site = f"/home/u/project/.venv/{SITE}"
    assert detect_prefix({"PATH": ""}, executable="/x/python", package_path=site) == (
        "/x/python",
        "-m",
        "image_skill",
    )


@pytest.mark.parametrize("prefix", [UVX_PREFIX, PIPX_RUN_PREFIX])
def test_rendered_runner_commands_split_back_into_the_same_words(prefix: tuple[str, ...]) -> None:
    line = render(["create", "--guide", "--prompt", "a red cube"], CommandContext(prefix=prefix))
    # The extra's brackets are quoted, so no shell treats them as a glob.
    assert "'image-skill[local]'" in line
    assert shlex.split(line) == [*prefix, "create", "--guide", "--prompt", "a red cube"]
