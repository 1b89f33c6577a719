"""Help for people: `--human --help` and `help --human` print click's help text, grouped;
the JSON help stays the default."""

from __future__ import annotations

import pytest

from clitools import invoke

SECTIONS = ("Core commands:", "Media:", "Money:", "Local backend:", "Options:")


@pytest.mark.parametrize(
    "args", [("--human", "--help"), ("help", "--human"), ("--help", "--human")]
)
def test_root_help_for_people_is_click_text_grouped_like_gh(args: tuple[str, ...]) -> None:
    res = invoke(*args)
    assert res.exit_code == 0
    text = res.stdout
    assert text.startswith("Usage: image-skill [OPTIONS] COMMAND [ARGS]...")
    assert not text.lstrip().startswith("{")
    positions = [text.index(title) for title in SECTIONS]
    assert positions == sorted(positions)
    lines = text.splitlines()
    for name in ("create", "credits", "local", "completion", "video", "assets"):
        # every command word whole at the start of its row, with a one-line summary
        assert any(line.split()[:1] == [name] and len(line.split()) > 1 for line in lines), name
    assert not any(line.strip() in {"0", "1", "2"} for line in lines)


def test_command_help_for_people_lists_its_options() -> None:
    res = invoke("help", "create", "--human")
    assert res.exit_code == 0
    assert res.stdout.startswith("Usage: image-skill create [OPTIONS]")
    assert "--output PATH" in res.stdout or "--output " in res.stdout
    assert "--prompt-file" in res.stdout
    alias = invoke("video", "create", "--human", "--help")
    assert alias.stdout.startswith("Usage: image-skill create [OPTIONS]")


def test_json_help_stays_the_default() -> None:
    res = invoke("--help")
    assert res.json["ok"] is True and res.json["data"]["command"] == "help"
    flags = [row["flags"] for row in invoke("help", "create").json["data"]["options"]]
    assert ["--output"] in flags
