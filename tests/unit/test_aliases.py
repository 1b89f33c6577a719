"""The modality alias rewrite (contract 0.1.70 §2), as a pure function of the command line."""

from __future__ import annotations

import pytest

from image_skill.cli.aliases import ALIAS_WORDS, manifest_rows, names_intent, normalize_argv


@pytest.mark.parametrize(
    ("argv", "expected", "alias"),
    [
        (["image", "create", "--prompt", "p"], ["create", "--prompt", "p"], "image"),
        (
            ["video", "create", "--prompt", "p"],
            ["create", "--intent", "video", "--prompt", "p"],
            "video",
        ),
        (["audio", "create"], ["create", "--intent", "audio"], "audio"),
        (
            ["3d", "create", "--input", "x"],
            ["create", "--intent", "image-to-3d", "--input", "x"],
            "3d",
        ),
        (["image-to-3d", "create"], ["create", "--intent", "image-to-3d"], "image-to-3d"),
        (
            ["three-d", "create", "--guide"],
            ["create", "--intent", "image-to-3d", "--guide"],
            "three-d",
        ),
        (["image", "edit", "--input", "a.png"], ["edit", "--input", "a.png"], "image"),
    ],
)
def test_the_table(argv: list[str], expected: list[str], alias: str) -> None:
    out = normalize_argv(argv)
    assert out.argv == expected and out.alias == alias


@pytest.mark.parametrize(
    "rest",
    [["--intent", "final"], ["--prompt", "p", "--intent=final"], ["--intent"]],
)
def test_an_explicit_intent_is_never_doubled(rest: list[str]) -> None:
    out = normalize_argv(["video", "create", *rest])
    assert out.argv == ["create", *rest] and out.alias == "video"


@pytest.mark.parametrize(
    "argv",
    [
        ["video", "edit"],
        ["3d", "edit", "--input", "x"],
        ["video"],
        ["image", "--help"],
        ["image", "--json", "create"],
        ["create", "video"],
        ["images", "create"],
        ["Video", "create"],
        ["video", "create-x"],
        ["--", "video", "create"],
        [],
    ],
)
def test_anything_else_is_left_alone(argv: list[str]) -> None:
    out = normalize_argv(argv)
    assert out.argv == argv and out.alias is None


def test_words_after_help_are_normalized_too() -> None:
    out = normalize_argv(["help", "video", "create"])
    assert out.argv == ["help", "create", "--intent", "video"] and out.alias == "video"
    assert normalize_argv(["help", "image", "edit"]).argv == ["help", "edit"]
    assert normalize_argv(["help", "video"]).argv == ["help", "video"]


def test_leading_global_options_are_skipped() -> None:
    out = normalize_argv(["--api-base-url", "local", "--json", "video", "create", "--prompt", "p"])
    assert out.argv == [
        "--api-base-url",
        "local",
        "--json",
        "create",
        "--intent",
        "video",
        "--prompt",
        "p",
    ]
    # a global option's value is not a command word
    assert normalize_argv(["--token", "video", "create"]).argv == ["--token", "video", "create"]


def test_the_input_list_is_not_changed() -> None:
    argv = ["video", "create"]
    normalize_argv(argv)
    assert argv == ["video", "create"]


def test_names_intent() -> None:
    assert names_intent(["--intent"]) and names_intent(["--intent=video"])
    assert not names_intent(["--intents", "-intent", "intent", "--intent-x", "video"])


def test_manifest_rows_are_the_six_create_aliases() -> None:
    assert manifest_rows() == [
        {"alias": "image", "command": "create", "intent": None},
        {"alias": "video", "command": "create", "intent": "video"},
        {"alias": "audio", "command": "create", "intent": "audio"},
        {"alias": "3d", "command": "create", "intent": "image-to-3d"},
        {"alias": "image-to-3d", "command": "create", "intent": "image-to-3d"},
        {"alias": "three-d", "command": "create", "intent": "image-to-3d"},
    ]
    assert [row["alias"] for row in manifest_rows()] == list(ALIAS_WORDS)
