"""The --human renderers: readable views of the same envelope, no JSON."""

from __future__ import annotations

import io

from image_skill.cli.output import choose_format, emit
from image_skill.envelope import Result, error_result, ok_result


def render(result: Result) -> str:
    buf = io.StringIO()
    emit(result, "human", stdout=buf)
    return buf.getvalue()


def test_models_table():
    data = {
        "models": [
            {
                "id": "local.image",
                "modality": "image",
                "operations": ["image.generate"],
                "status": "available",
                "economics": {"credit_pricing": {"credits_required": 9}},
            },
        ]
    }
    text = render(ok_result("image-skill models list", data))
    assert "local.image" in text and "image.generate" in text and "9" in text
    assert "{" not in text


def test_guide_panel_shows_next_command():
    data = {
        "schema": "image-skill.create-guide.v1",
        "stage": "auth_required",
        "ready": False,
        "next_command": "image-skill signup --agent --json",
        "next_command_effect": "signs up",
    }
    text = render(ok_result("image-skill create --guide", data))
    assert "auth_required" in text and "image-skill signup --agent --json" in text


def test_error_panel_shows_code_and_recovery():
    result = error_result(
        "image-skill whoami",
        "AUTH_REQUIRED",
        "no token [here]",
        recovery={"suggested_command": "image-skill signup"},
    )
    text = render(result)
    assert "AUTH_REQUIRED" in text and "no token [here]" in text
    assert "image-skill signup" in text and "exit 3" in text


def test_format_choice():
    assert choose_format(["whoami"], {}) == "json"
    assert choose_format(["--human", "whoami"], {}) == "human"
    assert choose_format(["--human", "whoami", "--json"], {}) == "json"
    assert choose_format(["whoami"], {"IMAGE_SKILL_FORMAT": "human"}) == "human"
    assert choose_format(["create", "--", "--human"], {}) == "json"
