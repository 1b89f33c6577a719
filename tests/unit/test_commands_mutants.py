"""Rules of the command renderer that the other tests leave open: contexts are values, and
where ``--api-base-url`` goes when a server command has no trailing ``--json``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from image_skill.commands import CommandContext, render, runnable_server_command, swap_prefix


def test_a_context_is_an_immutable_value() -> None:
    ctx = CommandContext(api_base_url="http://127.0.0.1:9")
    with pytest.raises(AttributeError):
        ctx.api_base_url = None  # type: ignore[misc]
    assert {ctx, CommandContext(api_base_url="http://127.0.0.1:9")} == {ctx}


def test_a_runnable_server_command_gets_our_base_and_the_carried_environment() -> None:
    ctx = CommandContext(
        api_base_url="http://127.0.0.1:9/a b", env=(("IMAGE_SKILL_CONFIG_PATH", "c d.json"),)
    )
    assert runnable_server_command("image-skill credits status --id P", ctx) == (
        "IMAGE_SKILL_CONFIG_PATH='c d.json' image-skill credits status --id P"
        " --api-base-url 'http://127.0.0.1:9/a b'"
    )
    assert runnable_server_command("image-skill credits status --id P --json", ctx) == (
        "IMAGE_SKILL_CONFIG_PATH='c d.json' image-skill credits status --id P"
        " --api-base-url 'http://127.0.0.1:9/a b' --json"
    )
    # Without an explicit base the server's own is dropped, never followed.
    assert runnable_server_command("image-skill credits status --api-base-url=x --id P") == (
        "image-skill credits status --id P"
    )


def test_a_runnable_server_command_is_refused_or_left_alone() -> None:
    assert runnable_server_command("image-skill credits status --id $(id)") is None
    assert runnable_server_command("image-skill whoami", commands={"doctor"}) is None
    assert runnable_server_command("image-skill whoami", commands={"whoami"}) == (
        "image-skill whoami"
    )
    # Not an image-skill command: not ours to change.
    assert runnable_server_command("image-skillz whoami") == "image-skillz whoami"
    assert runnable_server_command("see the docs") == "see the docs"
    assert runnable_server_command("image-skill\twhoami") == "image-skill whoami"


def test_the_base_url_goes_before_a_trailing_json_only() -> None:
    ctx = CommandContext(api_base_url="local")
    assert render(["doctor", "--json"], ctx) == "image-skill doctor --api-base-url local --json"
    assert render(["--json", "doctor"], ctx) == ("image-skill --json doctor --api-base-url local")
    assert render([], ctx) == "image-skill --api-base-url local"


def test_swap_prefix_keeps_a_later_program_word() -> None:
    assert swap_prefix("image-skill feedback create --title 'image-skill x'") == (
        "image-skill feedback create --title 'image-skill x'"
    )
    with_env = CommandContext(env=(("IMAGE_SKILL_CONFIG_PATH", "/c d"),))
    assert swap_prefix("image-skill doctor --json", with_env) == (
        "IMAGE_SKILL_CONFIG_PATH='/c d' image-skill doctor --json"
    )


def test_delete_is_a_control_character_in_server_text() -> None:
    from image_skill.commands import rerender_server_command

    assert rerender_server_command("image-skill doctor x\x7f") is None
    assert rerender_server_command("image-skill doctor x\x80") == "image-skill doctor 'x\x80'"
    assert rerender_server_command("image-skill doctor 'x\x7f'") == "image-skill doctor 'x\x7f'"


def test_double_quoted_server_text() -> None:
    from image_skill.commands import rerender_server_command as rerender

    # \" and \\ mean the same to sh and shlex inside double quotes, and so does a newline.
    assert rerender('image-skill feedback create --title "a \\" b"') == (
        "image-skill feedback create --title 'a \" b'"
    )
    assert rerender('image-skill feedback create --title "a \\\\ b"') == (
        "image-skill feedback create --title 'a \\ b'"
    )
    assert rerender('image-skill feedback create --title "a\nb"') == (
        "image-skill feedback create --title 'a\nb'"
    )
    # A backslash-newline continues the line for sh but not for shlex: refused.
    assert rerender('image-skill feedback create --title "a\\\nb"') is None
    assert rerender('image-skill feedback create --title "a\\\rb"') is None


def test_an_expansion_right_after_an_escaped_character_is_still_seen() -> None:
    from image_skill.commands import rerender_server_command as rerender

    assert rerender('image-skill feedback create --title "a\\\\$HOME"') is None
    assert rerender('image-skill feedback create --title "a\\"$HOME"') is None


def test_an_unquoted_backslash_escapes_exactly_the_next_character() -> None:
    from image_skill.commands import rerender_server_command as rerender

    # An escaped special character is a literal one to sh and to shlex: kept, quoted our way.
    assert rerender("image-skill jobs show a\\;b") == "image-skill jobs show 'a;b'"
    assert rerender("image-skill jobs show a\\$b") == "image-skill jobs show 'a$b'"
    assert rerender("image-skill jobs show a\\'b") == "image-skill jobs show 'a'\"'\"'b'"
    # Only that one character: the next one is read as shell syntax again.
    assert rerender("image-skill jobs show a\\;; id") is None
    assert rerender("image-skill jobs show a\\''b") is None


def test_an_unquoted_backslash_before_a_control_character_or_the_end_is_refused() -> None:
    from image_skill.commands import rerender_server_command as rerender

    # sh joins the lines at a backslash-newline; shlex would keep the newline in the word.
    assert rerender("image-skill jobs show a\\\nb") is None
    assert rerender("image-skill jobs show a\\\rb") is None
    assert rerender("image-skill jobs show a\\\tb") is None
    assert rerender("image-skill jobs show a\\") is None


SAFE_ALPHABET = "abcXYZ019 _./:=@,%+-"


@given(st.text(alphabet=SAFE_ALPHABET, max_size=80))
def test_the_plain_words_shortcut_agrees_with_the_full_scan(text: str) -> None:
    """Text of the shortcut's alphabet is plain words to the character-by-character scan
    too, so taking the shortcut never changes an answer."""
    from image_skill.commands import _plain_shell_words, _scan_shell_words

    assert _scan_shell_words(text) is True
    assert _plain_shell_words(text) is True


@given(st.text(max_size=40))
def test_any_text_gets_the_scan_answer(text: str) -> None:
    from image_skill.commands import _plain_shell_words, _scan_shell_words

    assert _plain_shell_words(text) is _scan_shell_words(text)
