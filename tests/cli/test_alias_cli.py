"""Modality aliases through the CLI (contract 0.1.70 §2) against the in-process local backend:
what each alias runs, the labels, the words that are no command, and the click groups that
completion and docs see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clitools import invoke
from spendtools import LOCAL, in_flight_files, png

DRY = ("--dry-run", *LOCAL)


def _model(res: Any) -> dict[str, Any]:
    assert res.exit_code == 0, res.stdout
    assert res.json["command"] == "image-skill create"
    model = res.data["model"]
    assert isinstance(model, dict)
    return model


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [("video", "local.video"), ("audio", "local.audio"), ("image", "local.image")],
)
def test_create_aliases_pick_the_model_the_word_implies(alias: str, model_id: str) -> None:
    res = invoke(alias, "create", "--prompt", "rain on a tin roof", *DRY)
    assert _model(res)["id"] == model_id
    # the same as create with the intent spelled out (image: no intent at all)
    intent = [] if alias == "image" else ["--intent", alias]
    plain = invoke("create", *intent, "--prompt", "rain on a tin roof", *DRY)
    assert _model(plain) == _model(res)


@pytest.mark.parametrize("alias", ["3d", "image-to-3d", "three-d"])
def test_3d_aliases_send_the_image_to_3d_intent(alias: str) -> None:
    res = invoke(alias, "create", "--prompt", "a teapot", *DRY)
    plain = invoke("create", "--intent", "image-to-3d", "--prompt", "a teapot", *DRY)
    # the backend answers an image-to-3d create the same way, whatever the alias word
    assert (res.exit_code, res.code) == (plain.exit_code, plain.code) == (4, "CAPABILITY_DENIED")
    assert res.json["error"]["message"] == plain.json["error"]["message"]
    assert "edit" in res.json["error"]["recovery"]["suggested_command"]


def test_an_explicit_intent_wins_over_the_alias() -> None:
    res = invoke("video", "create", "--intent", "audio", "--prompt", "p", *DRY)
    assert _model(res)["id"] == "local.audio"
    res = invoke("video", "create", "--intent=audio", "--prompt", "p", *DRY)
    assert _model(res)["id"] == "local.audio"


def test_global_options_may_come_first() -> None:
    res = invoke(*LOCAL, "--json", "video", "create", "--prompt", "p", "--dry-run")
    assert _model(res)["id"] == "local.video"


def test_image_edit_is_edit(account: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    source.write_bytes(png(8, 8))
    res = invoke("image", "edit", "--input", str(source), "--prompt", "make it blue", *DRY)
    assert res.exit_code == 0, res.stdout
    plain = invoke("edit", "--input", str(source), "--prompt", "make it blue", *DRY)
    assert res.json["command"] == plain.json["command"] == "image-skill edit"
    assert res.data["model"] == plain.data["model"]


def test_labels_follow_the_raw_first_word_for_token_and_json_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "none" / "config.json"))
    no_token = invoke("video", "create", "--prompt", "p", *LOCAL)
    assert no_token.exit_code == 3 and no_token.code == "AUTH_REQUIRED"
    assert no_token.json["command"] == "image-skill video"
    bad_json = invoke("video", "create", "--prompt", "p", "--model-parameters-json", "[1]", *DRY)
    assert bad_json.exit_code == 2 and bad_json.json["command"] == "image-skill video"
    no_input = invoke("image", "edit", "--prompt", "p", *LOCAL)
    assert no_input.exit_code == 2 and no_input.json["command"] == "image-skill edit"
    edit_token = invoke("image", "edit", "--input", "image_x", "--prompt", "p", *LOCAL)
    assert edit_token.exit_code == 3 and edit_token.json["command"] == "image-skill image"
    # other checks keep the command's own label
    no_prompt = invoke("video", "create", *DRY)
    assert no_prompt.exit_code == 2 and no_prompt.json["command"] == "image-skill create"
    # and nothing of that reaches the plain command
    plain = invoke("create", "--prompt", "p", *LOCAL)
    assert plain.json["command"] == "image-skill create"


@pytest.mark.parametrize(
    "argv",
    [["video", "edit"], ["3d", "edit", "--input", "x"], ["video"], ["audio", "--json"], ["image"]],
)
def test_other_alias_words_are_not_available(argv: list[str]) -> None:
    res = invoke(*argv, *LOCAL)
    assert res.exit_code == 2 and res.code == "PUBLIC_CLI_COMMAND_NOT_AVAILABLE"
    assert res.json["command"] == f"image-skill {argv[0]}"
    assert res.json["error"]["recovery"]["suggested_command"].endswith("help --json")
    unknown = invoke("nope", *LOCAL)
    assert unknown.exit_code == res.exit_code
    assert list(unknown.json["error"]["recovery"]) == list(res.json["error"]["recovery"])


def test_a_live_alias_create_records_the_rewritten_command(account: Path) -> None:
    res = invoke("video", "create", "--prompt", "waves", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["model"]["id"] == "local.video"
    assert in_flight_files(account) == []  # a well-formed outcome removes the breadcrumb


def test_the_click_groups_delegate_with_the_implied_intent() -> None:
    """Reached without the argv rewrite (as completion-driven tools do), the alias groups
    still run the real command with the implied intent."""
    from image_skill.cli import root
    from image_skill.cli._app import AppState

    for words, model_id in (
        (["video", "create"], "local.video"),
        (["image", "create"], "local.image"),
    ):
        outcome = CliRunner().invoke(
            root,
            [*words, "--prompt", "p", "--dry-run", "--api-base-url", "local"],
            obj=AppState(),
            standalone_mode=False,
        )
        assert outcome.exception is None, outcome.output
        result = outcome.return_value
        assert result.exit_code == 0 and result.envelope["data"]["model"]["id"] == model_id
    assert sorted(root.commands["image"].commands) == ["create", "edit"]
    for word in ("video", "audio", "3d", "image-to-3d", "three-d"):
        assert sorted(root.commands[word].commands) == ["create"]
