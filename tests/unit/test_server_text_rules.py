"""Pure rules for server text (issue 8 points 2, 3, 7) and the spend recovery's token words
(point 1): the safe re-render of suggested commands, the exit-code header clamp, the
well-formed-envelope test, the capped reply read and the env-token pipe."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from image_skill.api.wire import envelope_problem, read_capped
from image_skill.cli.calls import header_exit_code
from image_skill.commands import (
    CommandContext,
    _plain_shell_words,
    pipe_env_token,
    render,
    rerender_server_command,
)

CTX = CommandContext(api_base_url="http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("server", "ours"),
    [
        ("image-skill credits methods --json", "credits methods --api-base-url URL --json"),
        (
            "image-skill create --prompt '$(id)' --json",
            "create --prompt '$(id)' --api-base-url URL --json",
        ),
        ('image-skill jobs show "job 1" --json', "jobs show 'job 1' --api-base-url URL --json"),
        (
            "image-skill jobs show job_1 --api-base-url http://x --json",
            "jobs show job_1 --api-base-url URL --json",
        ),
        (
            "image-skill jobs show job_1 --api-base-url=http://x",
            "jobs show job_1 --api-base-url URL",
        ),
        ("image-skill x 'a\"b'", "x 'a\"b' --api-base-url URL"),
        ("image-skill x a\\ b", "x 'a b' --api-base-url URL"),
    ],
)
def test_plain_server_commands_are_rebuilt(server: str, ours: str) -> None:
    expected = "image-skill " + ours.replace("URL", "http://127.0.0.1:9")
    assert rerender_server_command(server, CTX) == expected


@pytest.mark.parametrize(
    "server",
    [
        "image-skill whoami $(id)",
        'image-skill create --prompt "$(id)"',
        "image-skill create --prompt `id`",
        "image-skill create --prompt $HOME",
        'image-skill create --prompt "a\\$b"',
        "image-skill whoami; id",
        "image-skill whoami && id",
        "image-skill whoami || id",
        "image-skill whoami | sh",
        "image-skill whoami > out",
        "image-skill whoami < in",
        "image-skill whoami &",
        "image-skill whoami\nid",
        "image-skill whoami\\\nid",
        "image-skill whoami *",
        "image-skill jobs show ?",
        "image-skill jobs show [ab]",
        "image-skill jobs show {a,b}",
        "image-skill jobs show ~root",
        "image-skill whoami # comment",
        "image-skill whoami (x)",
        "image-skill whoami !!",
        "image-skill 'unterminated",
        "image-skill",
        "image-skill --token x",
        "image-skill WHOAMI",
        "rm -rf /tmp/x",
        "IMAGE_SKILL_TOKEN=x image-skill whoami",
        "python -m image_skill whoami",
        "image-skill\x07 whoami",
    ],
)
def test_server_text_with_shell_syntax_is_refused(server: str) -> None:
    assert rerender_server_command(server, CTX) is None


def test_a_known_command_list_limits_the_second_word() -> None:
    assert rerender_server_command("image-skill whoami", CTX, commands={"whoami"})
    assert rerender_server_command("image-skill nope", CTX, commands={"whoami"}) is None


words = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@given(st.lists(words, max_size=6))
def test_our_own_rendered_commands_survive_the_rebuild(args: list[str]) -> None:
    """Anything our renderer wrote is plain words and rebuilds to itself."""
    command = render(["jobs", *args])
    assert _plain_shell_words(command)
    assert rerender_server_command(command) == command


@given(st.text(max_size=40))
def test_whatever_is_rebuilt_splits_into_the_servers_words(text: str) -> None:
    server = "image-skill jobs " + text
    rebuilt = rerender_server_command(server)
    if rebuilt is not None:
        assert shlex.split(rebuilt) == shlex.split(server)


SHELLISH = st.text(st.sampled_from(list("ab =-'\"\\$`;&|<>(){}[]*?~#!\t\n\r")), max_size=16)


@given(SHELLISH)
@settings(max_examples=150, deadline=None)
def test_text_taken_as_plain_words_means_the_same_to_sh(text: str) -> None:
    """For every text the rule accepts, ``sh`` itself sees exactly the words shlex sees."""
    if not _plain_shell_words(text):
        return
    out = subprocess.run(
        ["sh", "-c", "printf '%s\\0' word " + text], capture_output=True, timeout=10, env={}
    )
    assert out.returncode == 0, (text, out.stderr)
    seen = out.stdout.decode().split("\0")[:-1]
    assert seen == ["word", *shlex.split(text)], text


@pytest.mark.parametrize(
    ("value", "code"),
    [("", 0), ("0", 0), ("5", 5), (" 9 ", 9), ("3.7", 3), ("10", None), ("42", None)]
    + [("130", None), ("258", None), ("-1", None), ("abc", None), ("inf", None), ("nan", None)],
)
def test_exit_code_header_keeps_only_contract_codes(value: str, code: int | None) -> None:
    assert header_exit_code(value) == code


@pytest.mark.parametrize(
    "envelope",
    [
        {"ok": True},
        {"ok": True, "error": None, "data": [1]},
        {"ok": False, "error": {"code": "X"}},
        {"ok": False, "error": {"code": "X", "message": "m", "retryable": True}},
    ],
)
def test_well_formed_envelopes(envelope: dict) -> None:
    assert envelope_problem(envelope) is None


@pytest.mark.parametrize(
    "envelope",
    [
        {"ok": "false"},
        {"ok": "true"},
        {"ok": 1},
        {"ok": 0},
        {"ok": None},
        {"ok": [True]},
        {"ok": True, "error": "x"},
        {"ok": False},
        {"ok": False, "error": None},
        {"ok": False, "error": "boom"},
        {"ok": False, "error": []},
        {"ok": False, "error": {}},
        {"ok": False, "error": {"code": 7}},
    ],
)
def test_malformed_envelopes(envelope: dict) -> None:
    assert envelope_problem(envelope)


def test_read_capped_stops_reading_past_the_limit() -> None:
    pulled = []

    def chunks() -> Iterator[bytes]:
        for index in range(1000):
            pulled.append(index)
            yield b"x" * 100

    assert read_capped(iter([b"ab", b"cd"]), 4) == b"abcd"
    assert read_capped(chunks(), 1000) is None
    assert len(pulled) == 11  # the 11th chunk crossed the limit; nothing after it was read


def test_env_token_pipe_names_the_variable_and_reaches_stdin() -> None:
    command = pipe_env_token("cat", "IMAGE_SKILL_TOKEN")
    assert command == "printf '%s\\n' \"$IMAGE_SKILL_TOKEN\" | cat"
    out = subprocess.run(
        ["sh", "-c", command], env={"IMAGE_SKILL_TOKEN": "t0k en"}, capture_output=True, text=True
    )
    assert out.stdout == "t0k en\n"
    with pytest.raises(ValueError):
        pipe_env_token("cat", "BAD NAME")
