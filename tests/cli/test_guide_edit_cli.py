"""`image-skill edit --guide` in-process against the local backend (contract 0.1.70 §5).

The same guide as `create --guide`, with operation ``edit``: its own schema and label, its
own pre-flight errors, input-image edit models only, and EDITIMG commands that carry the
input when one was given.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from clitools import CliResult, invoke
from spendtools import LOCAL, png

# The 0.1.30 signup form (with a contact), still accepted in 0.1.70 (§1.1).
SIGNUP = (
    "signup",
    "--agent",
    "--agent-contact",
    "agent@example.com",
    "--agent-name",
    "edit-guide-test",
    "--runtime",
    "pytest",
    *LOCAL,
)
EDIT_KEY = re.compile(r"edit-guide-\d{13}-[0-9a-f]{8}")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.S)


def edit_guide(*args: str) -> CliResult:
    return invoke("edit", "--guide", *args, *LOCAL)


def words_of(command: str) -> list[str]:
    """The words of a printed command after its leading ``NAME=value`` assignments."""
    words = shlex.split(command)
    while words and _ASSIGNMENT.fullmatch(words[0]):
        words.pop(0)
    return words


def ok(res: CliResult) -> dict:
    assert res.exit_code == 0, res.stdout
    env = res.json
    assert env["ok"] is True and env["command"] == "image-skill edit --guide"
    assert env["data"]["schema"] == "image-skill.edit-guide.v1"
    assert set(env["data"]["mutation"].values()) == {False}
    return env["data"]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "image-skill")
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture
def signed(fresh: Path) -> Path:
    res = invoke(*SIGNUP)
    assert res.exit_code == 0, res.stdout
    return fresh


def test_guide_is_checked_before_the_input_requirement(fresh: Path):
    # plain edit without an input is refused; with --guide it is the guide's job to say how
    assert invoke("edit", "--prompt", "x", *LOCAL).code == "INVALID_ARGUMENTS"
    data = ok(edit_guide("--prompt", "make it blue"))
    assert data["stage"] == "auth_required"
    assert data["selection"]["operation"] == "edit"
    assert data["selection"]["model_id"] == "local.image-edit"
    assert words_of(data["after_next"])[1:] == [
        "edit",
        "--guide",
        "--prompt",
        "make it blue",
        "--api-base-url",
        "local",
        "--json",
    ]
    assert not fresh.parent.exists()


@pytest.mark.parametrize(
    ("flags", "mentions"),
    [
        (("--dry-run",), "edit --guide cannot be combined with --dry-run"),
        (("--reference-image", "image_x"), "edit --dry-run"),
        (("--element-reference", "1:image_x"), "edit --dry-run"),
        (("--output", "out.png"), "--output"),
    ],
)
def test_pre_flight_errors(fresh: Path, flags: tuple[str, ...], mentions: str):
    res = edit_guide("--prompt", "make it blue", *flags)
    assert res.exit_code == 2
    assert res.code == "INVALID_ARGUMENTS"
    assert res.json["command"] == "image-skill edit --guide"
    assert mentions in res.json["error"]["message"]


def test_bad_model_parameters_json_is_refused(fresh: Path):
    res = edit_guide("--prompt", "x", "--model-parameters-json", "[1]")
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert res.json["command"] == "image-skill edit"


def test_ready_without_input_holds_the_input_placeholder(signed: Path):
    data = ok(edit_guide("--prompt", "make it blue"))
    assert data["stage"] == "ready_to_create"
    words = words_of(data["next_command"])
    assert words[1:5] == ["edit", "--input", "image_...", "--model"]
    assert words[words.index("--model") + 1] == "local.image-edit"
    assert words[words.index("--prompt") + 1] == "make it blue"
    assert EDIT_KEY.fullmatch(words[words.index("--idempotency-key") + 1])
    assert data["next_command_copy_runnable"] is False
    assert [(m["flag"], m["placeholder"]) for m in data["next_command_missing_inputs"]] == [
        ("--input", "image_...")
    ]
    assert data["next_command_effect"]["requires_placeholder_substitution"] is True
    assert data["cost"]["model_parameter_defaults_applied"] == []
    # the dry run never has the key or --output
    dry = words_of(data["recommended_no_spend_command"])
    assert dry[1:3] == ["edit", "--dry-run"] and "--idempotency-key" not in dry
    assert "--output" not in dry


def test_ready_with_an_uploaded_input_runs_as_printed(signed: Path, tmp_path: Path):
    (tmp_path / "photo.png").write_bytes(png(48, 32))
    uploaded = invoke("upload", "photo.png", *LOCAL)
    assert uploaded.exit_code == 0, uploaded.stdout
    asset_id = uploaded.data["asset"]["asset_id"]
    data = ok(edit_guide("--input", f"  {asset_id} ", "--prompt", "make it blue"))
    assert data["stage"] == "ready_to_create"
    assert data["next_command_copy_runnable"] is True
    words = words_of(data["next_command"])
    assert words[words.index("--input") + 1] == asset_id  # trimmed
    assert words[-5:] == ["--output", ".", "--api-base-url", "local", "--json"]
    # the dry-run hatch carries the input as well
    dry = words_of(data["escape_hatches"]["dry_run"])
    assert dry[dry.index("--input") + 1] == asset_id
    before = set(tmp_path.iterdir())
    edited = invoke(*words[1:])
    assert edited.exit_code == 0, edited.stdout
    saved = Path(edited.data["downloads"][0]["output_path"])
    assert saved.parent == tmp_path and saved not in before
    assert saved.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_positional_input_and_prompt(signed: Path):
    data = ok(edit_guide("image_abc", "make it blue"))
    assert data["stage"] == "ready_to_create"
    words = words_of(data["next_command"])
    assert words[words.index("--input") + 1] == "image_abc"
    assert words[words.index("--prompt") + 1] == "make it blue"


def test_prompt_required_keeps_the_input_and_the_generic_dry_run(signed: Path):
    data = ok(edit_guide("--input", "image_abc"))
    assert data["stage"] == "prompt_required"
    assert words_of(data["next_command"])[1:] == [
        "edit",
        "--guide",
        "--prompt",
        "PROMPT",
        "--input",
        "image_abc",
        "--api-base-url",
        "local",
        "--json",
    ]
    # §5: the generic edit dry run always holds the image_... placeholder
    assert words_of(data["escape_hatches"]["dry_run"])[1:] == [
        "edit",
        "--dry-run",
        "--input",
        "image_...",
        "--prompt",
        "PROMPT",
        "--api-base-url",
        "local",
        "--json",
    ]


def test_only_input_image_edit_models(signed: Path):
    create_model = ok(edit_guide("--prompt", "x", "--model", "local.image"))
    assert create_model["stage"] == "no_executable_model"
    assert create_model["selection"] is None
    assert create_model["blocker"]["message"].endswith(": local.image")
    # a promptless model needs no prompt (§4.5), and gets none in its command
    to_3d = ok(edit_guide("--input", "image_abc", "--model", "local.image-to-3d"))
    assert to_3d["stage"] == "ready_to_create"
    assert to_3d["selection"]["modality"] == "3d"
    assert "--prompt" not in words_of(to_3d["next_command"])
    # 3D wording routes the edit guide to the image-to-3D model
    wording = ok(edit_guide("--input", "image_abc", "--prompt", "turn it into a glb mesh"))
    assert wording["selection"]["model_id"] == "local.image-to-3d"
