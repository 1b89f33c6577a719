"""``image_skill.local.cli_commands``: commands aimed at the backend that answered."""

from __future__ import annotations

import shlex

import pytest

from image_skill._constants import IN_PROCESS_ORIGIN
from image_skill.local.cli_commands import cli_base, cli_command, render_recovery


@pytest.mark.parametrize(
    ("request_base", "expected"),
    [
        (IN_PROCESS_ORIGIN, "local"),
        (IN_PROCESS_ORIGIN + "/", "local"),
        ("local", "local"),
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787"),
        ("http://localhost:9", "http://localhost:9"),
    ],
)
def test_cli_base(request_base: str, expected: str) -> None:
    assert cli_base(request_base) == expected


def test_flag_goes_before_a_trailing_json_or_at_the_end() -> None:
    text = "image-skill credits buy --provider stripe --quote-id QUOTE_ID --json"
    assert cli_command(IN_PROCESS_ORIGIN, text) == (
        "image-skill credits buy --provider stripe --quote-id QUOTE_ID --api-base-url local --json"
    )
    assert cli_command("http://127.0.0.1:8787", "image-skill credits quote --help") == (
        "image-skill credits quote --help --api-base-url http://127.0.0.1:8787"
    )


def test_words_are_shell_quoted_and_the_program_word_is_kept() -> None:
    out = cli_command("http://h:1/a b", ["models", "show", "it's $(x)", "--json"])
    assert out.startswith("image-skill models show ")
    assert shlex.split(out) == [
        "image-skill", "models", "show", "it's $(x)", "--api-base-url", "http://h:1/a b", "--json"
    ]  # fmt: skip


def test_an_existing_base_is_kept_and_the_result_is_stable() -> None:
    first = cli_command("local", "image-skill usage quota --json")
    assert cli_command("http://127.0.0.1:1", first) == first
    assert cli_command("local", "whoami --api-base-url=http://x --json") == (
        "image-skill whoami --api-base-url=http://x --json"
    )


def test_render_recovery_aims_only_the_command_fields() -> None:
    recovery = {
        "suggested_command": "image-skill models show local.image --json",
        "suggested_commands": ["image-skill credits methods --json", 7],
        "docs_url": "https://image-skill.com/cli.md",
    }
    assert render_recovery("local", recovery) == {
        "suggested_command": "image-skill models show local.image --api-base-url local --json",
        "suggested_commands": ["image-skill credits methods --api-base-url local --json", 7],
        "docs_url": "https://image-skill.com/cli.md",
    }
    assert recovery["suggested_command"] == "image-skill models show local.image --json"
    assert render_recovery("local", None) is None
