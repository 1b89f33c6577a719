"""``edit --guide``: the same guide with operation ``edit`` (contract 0.1.70 §5)."""

from __future__ import annotations

import shlex

import pytest
from guide_fixtures import (
    EDIT_KEY,
    HOSTED_ROWS,
    LOCAL_ROWS,
    QUOTA_BROKE,
    QUOTA_RICH,
    build,
    hosted_row,
    models_envelope,
)

from image_skill.guide import text as T

GPT_EDIT = hosted_row(
    "openai.gpt-image-2-edit",
    supports=("edit",),
    credits=17,
    revenue=0.17,
    usd=0.1,
    media_input={"images": {"required": True}},
)
ROWS = [*HOSTED_ROWS, GPT_EDIT]


def edit(**kw: object):
    kw.setdefault("operation", "edit")
    kw.setdefault("prompt", "make it blue")
    kw.setdefault("models", models_envelope(ROWS))
    return build(**kw)


def test_schema_and_selection() -> None:
    out = edit(token_source="env", quota=QUOTA_RICH)
    data = out.data
    assert data["schema"] == "image-skill.edit-guide.v1"
    assert data["stage"] == "ready_to_create"
    assert data["selection"]["operation"] == "edit"
    assert data["selection"]["model_id"] == "openai.gpt-image-2-edit"
    assert data["selection"]["reason"] == T.R_FIRST_EDIT
    # the verified 0.1.70 example (§5), in our renderer
    assert data["next_command"] == (
        "image-skill edit --input image_... --model openai.gpt-image-2-edit "
        "--prompt 'make it blue' --max-estimated-usd-per-image 0.17 "
        f"--idempotency-key {EDIT_KEY} --output . --json"
    )
    assert data["next_command_copy_runnable"] is False
    assert [m["flag"] for m in data["next_command_missing_inputs"]] == ["--input"]
    assert data["cost"]["model_parameter_defaults_applied"] == []
    # ours: the edit guide's reason for an input-image model says how to fill image_...
    assert "image_..." in T.R_REQ_EDIT


def test_input_is_carried_trimmed_and_makes_it_runnable() -> None:
    out = edit(input_reference="  image_abc ", token_source="env", quota=QUOTA_RICH)
    words = shlex.split(out.data["next_command"])
    assert words[words.index("--input") + 1] == "image_abc"
    assert out.data["next_command_copy_runnable"] is True
    dry = shlex.split(out.data["no_spend_next_command"])
    assert dry[1:5] == ["edit", "--dry-run", "--input", "image_abc"]
    # a blank input is no input
    blank = edit(input_reference="  ", token_source="env", quota=QUOTA_RICH)
    assert "image_..." in blank.data["next_command"]


def test_prompt_required_and_auth_required_commands() -> None:
    prompt = edit(prompt="", input_reference="image_abc")
    assert prompt.data["stage"] == "prompt_required"
    assert shlex.split(prompt.data["next_command"])[1:] == [
        "edit",
        "--guide",
        "--prompt",
        "PROMPT",
        "--input",
        "image_abc",
        "--json",
    ]
    # the generic edit dry run keeps the placeholder even when an input was given
    assert prompt.data["escape_hatches"]["dry_run"] == (
        "image-skill edit --dry-run --input image_... --prompt PROMPT --json"
    )
    auth = edit(input_reference="image_abc", model="openai.gpt-image-2-edit")
    assert auth.data["stage"] == "auth_required"
    assert shlex.split(auth.data["after_next"])[1:] == [
        "edit",
        "--guide",
        "--prompt",
        "make it blue",
        "--input",
        "image_abc",
        "--model",
        "openai.gpt-image-2-edit",
        "--json",
    ]


def test_only_input_image_edit_models_are_proposed() -> None:
    # no edit model in the registry at all
    out = edit(models=models_envelope(HOSTED_ROWS[:3]), token_source="env", quota=QUOTA_RICH)
    assert out.data["stage"] == "no_executable_model"
    assert out.data["blocker"]["message"] == T.B_NO_EDIT_MODEL
    # a create model asked for by name is refused by the edit guide
    named = edit(model="fal.flux-dev", token_source="env", quota=QUOTA_RICH)
    assert named.data["stage"] == "no_executable_model"
    assert named.data["blocker"]["message"] == f"{T.B_REQ_EDIT_MODEL}: fal.flux-dev"
    # ...while the create guide takes the edit model when asked (§4.3)
    create = build(model="openai.gpt-image-2-edit", models=models_envelope(ROWS))
    assert create.data["selection"]["reason"] == T.R_REQ_EDIT


def test_three_d_wording_and_promptless_models() -> None:
    out = edit(prompt="", input_reference="image_abc", token_source="env", quota=QUOTA_RICH)
    assert out.data["stage"] == "prompt_required"  # gpt edit takes a prompt
    to_3d = edit(prompt="", model="fal.trellis-image-to-3d", token_source="env", quota=QUOTA_RICH)
    assert to_3d.data["stage"] == "ready_to_create"
    assert "--prompt" not in shlex.split(to_3d.data["next_command"])
    assert to_3d.data["selection"]["reason"] == T.R_REQ_3D
    wording = edit(prompt="turn it into a glb mesh", token_source="env", quota=QUOTA_RICH)
    assert wording.data["selection"]["model_id"] == "fal.trellis-image-to-3d"
    assert wording.data["selection"]["reason"] == T.R_3D


@pytest.mark.parametrize("quota", [QUOTA_RICH, QUOTA_BROKE])
def test_local_rows(quota: dict) -> None:
    out = edit(models=models_envelope(LOCAL_ROWS), token_source="env", quota=quota)
    assert out.data["selection"]["model_id"] == "local.image-edit"
    assert out.data["schema"] == "image-skill.edit-guide.v1"
    if quota is QUOTA_BROKE:
        assert out.data["stage"] == "quota_required"
        assert shlex.split(out.data["after_next"])[1:3] == ["edit", "--guide"]


def test_human_view_titles_the_edit_guide() -> None:
    import io

    from image_skill.cli.output import emit
    from image_skill.envelope import ok_result

    out = edit(input_reference="image_abc", token_source="env", quota=QUOTA_RICH)
    buf = io.StringIO()
    emit(ok_result("image-skill edit --guide", out.data), "human", stdout=buf)
    text = buf.getvalue()
    assert "edit --guide" in text and "create --guide" not in text
    assert "ready_to_create" in text and "openai.gpt-image-2-edit" in text
    assert "{" not in text.split("next command")[0]  # a panel, not the JSON
