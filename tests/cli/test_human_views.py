"""The --human views at 60 and 200 columns, on envelopes from the real local backend:
every id, URL and command appears whole on one line (never cut, folded or wrapped), error
titles name the command that ran, and the recovery command sits on one copyable line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from clitools import invoke
from image_skill.envelope import Result
from image_skill.render.human import render_human
from spendtools import LOCAL

WIDTHS = (60, 200)


def view(envelope: dict[str, Any], width: int, exit_code: int = 0, ran: str | None = None) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, highlight=False, soft_wrap=False)
    render_human(console, Result(envelope, exit_code), ran=ran)
    return buffer.getvalue()


def whole(value: str, text: str) -> bool:
    """``value`` on one line of ``text`` (a cut, folded or wrapped value is not)."""
    return any(value in line for line in text.splitlines())


@pytest.fixture
def made(account: Path) -> dict[str, Any]:
    res = invoke("create", "--prompt", "a small red fox on a hill", *LOCAL)
    assert res.exit_code == 0, res.stdout
    return res.json


@pytest.mark.parametrize("width", WIDTHS)
def test_models_list_keeps_every_id_whole(account: Path, width: int) -> None:
    env = invoke("models", "list", *LOCAL).json
    ids = [row["id"] for row in env["data"]["models"]]
    assert ids
    text = view(env, width)
    assert all(whole(model_id, text) for model_id in ids), text
    assert "…" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_activity_list_keeps_every_subject_id_whole(made: dict[str, Any], width: int) -> None:
    env = invoke("activity", "list", *LOCAL).json
    ids = [event["subject"]["id"] for event in env["data"]["events"]]
    assert any(i.startswith("job_") for i in ids)
    text = view(env, width)
    assert all(whole(i, text) for i in ids), text
    assert "…" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_jobs_show_keeps_ids_and_urls_whole(made: dict[str, Any], width: int) -> None:
    job_id = made["data"]["job"]["job_id"] if "job" in made["data"] else made["data"]["job_id"]
    env = invoke("jobs", "show", job_id, *LOCAL).json
    text = view(env, width, ran="image-skill jobs show")
    for asset in env["data"]["assets"]:
        assert whole(asset["asset_id"], text) and whole(asset["url"], text), text
    assert "…" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_the_guide_panel_keeps_its_commands_whole(account: Path, width: int) -> None:
    env = invoke("create", "--guide", "--prompt", "a small red fox on a hill", *LOCAL).json
    data = env["data"]
    text = view(env, width)
    assert whole(data["next_command"], text), text
    assert whole(data["recommended_no_spend_command"], text)
    assert whole(data["selection"]["model_id"], text)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_error_names_the_command_that_ran_and_keeps_its_command_whole(
    account: Path, width: int
) -> None:
    res = invoke("assets", "get", "image_0123456789abcdef0123456789", "--output", "x.png", *LOCAL)
    assert res.exit_code != 0
    recovery = res.json["error"]["recovery"]
    commands = [v for k, v in recovery.items() if k.endswith("command")]
    assert commands
    text = view(res.json, width, res.exit_code, ran="image-skill assets get")
    assert "failed: image-skill assets get" in text
    assert all(whole(command, text) for command in commands), text


def test_the_cli_titles_an_error_with_the_command_line_s_command(account: Path) -> None:
    res = invoke("--human", "assets", "get", "image_0123456789abcdef0123456789", *LOCAL)
    assert res.exit_code != 0
    assert "failed: image-skill assets get" in res.stdout
    assert "assets show" not in res.stdout.split("\n")[0]


def test_generic_view_has_no_index_nodes() -> None:
    env = {
        "ok": True,
        "command": "image-skill x",
        "data": {"rows": [{"id": "row_1", "n": 1}, {"id": "row_2", "n": 2}]},
    }
    text = view(env, 60)
    lines = text.splitlines()
    assert "- id: row_1" in lines[2] and "- id: row_2" in text
    assert not any(line.strip() in {"0", "1"} for line in lines)
